"""Deal-registration configuration through the API: the settings, the vendor's custom form
fields and the vendor's own sales opportunities (direct deals): every value checked, nothing
written on bad input, and who may read or change what."""

from __future__ import annotations

from typing import Any

import pytest

from models.deal_registrations import DealRegistrationField, DealRegistrationSettings, DirectDeal
from services.deals.companies import domain_problem, normalise_domain
from tests.conftest import GraphQLClient, World, gid, pk_of

SETTINGS = """{ dealRegistrationSettings {
  id protectionDays extensionDays reviewTargetWorkingDays timeZone holidays expiryReminderOffsets
} }"""
UPDATE_SETTINGS = """mutation($input: DealRegistrationSettingsInput!) {
  updateDealRegistrationSettings(input: $input) {
    __typename
    ... on DealRegistrationSettings {
      protectionDays extensionDays reviewTargetWorkingDays timeZone holidays expiryReminderOffsets
    }
    ... on OperationErrors { errors { field code message } }
  }
}"""
FIELD_PARTS = "id key label kind choices required position archived"
FIELDS = f"""query($archived: Boolean! = false) {{
  dealRegistrationFields(includeArchived: $archived) {{ {FIELD_PARTS} }}
}}"""
CREATE_FIELD = f"""mutation($key: String!, $label: String!, $kind: RegistrationFieldKind!,
  $choices: [String!], $required: Boolean! = false) {{
  createDealRegistrationField(key: $key, label: $label, kind: $kind, choices: $choices,
    required: $required) {{
    __typename
    ... on DealRegistrationField {{ {FIELD_PARTS} }}
    ... on OperationErrors {{ errors {{ field code message }} }}
  }}
}}"""
UPDATE_FIELD = f"""mutation($id: ID!, $label: String, $choices: [String!], $required: Boolean) {{
  updateDealRegistrationField(id: $id, label: $label, choices: $choices, required: $required) {{
    __typename
    ... on DealRegistrationField {{ {FIELD_PARTS} }}
    ... on OperationErrors {{ errors {{ field code message }} }}
  }}
}}"""
ARCHIVE_FIELD = f"""mutation($id: ID!, $archived: Boolean! = true) {{
  archiveDealRegistrationField(id: $id, archived: $archived) {{
    __typename
    ... on DealRegistrationField {{ {FIELD_PARTS} }}
    ... on OperationErrors {{ errors {{ field code message }} }}
  }}
}}"""
REORDER = """mutation($ids: [ID!]!) {
  reorderDealRegistrationFields(fieldIds: $ids) {
    __typename
    ... on DealRegistrationFieldList { fields { key position } }
    ... on OperationErrors { errors { field code message } }
  }
}"""
UPSERT_DEAL = """mutation($externalId: String!, $company: String!, $domain: String! = "",
  $owner: String! = "", $open: Boolean! = true) {
  upsertDirectDeal(externalId: $externalId, companyName: $company, companyDomain: $domain,
    ownerName: $owner, open: $open) {
    __typename
    ... on DirectDealUpsert { created directDeal { id externalId companyName companyDomain
      ownerName open } }
    ... on OperationErrors { errors { field code message } }
  }
}"""
CLOSE_DEAL = """mutation($id: ID!) { closeDirectDeal(id: $id) {
  __typename ... on DirectDeal { id open } ... on OperationErrors { errors { code } }
} }"""
DIRECT_DEALS = """query($open: Boolean, $company: String) {
  directDeals(open: $open, company: $company, first: 10) {
    totalCount nodes { externalId companyName companyDomain open }
  }
}"""
NODE = "query($id: ID!) { node(id: $id) { __typename id } }"


def error_code(body: dict[str, Any]) -> str:
    return body["errors"][0]["extensions"]["code"]


# ---- settings ---------------------------------------------------------------------------------


async def test_vendor_admin_changes_every_setting(gql: GraphQLClient, world: World):
    defaults = (await gql.data(SETTINGS, token=world.token("vendor_admin")))[
        "dealRegistrationSettings"
    ]
    assert defaults["protectionDays"] == 90
    assert defaults["expiryReminderOffsets"] == [30, 7, 1]
    changed = await gql.data(
        UPDATE_SETTINGS,
        {
            "input": {
                "protectionDays": 120,
                "extensionDays": 45,
                "reviewTargetWorkingDays": 0,
                "timeZone": "America/New_York",
                "holidays": ["2026-12-25", "2026-07-04"],
                "expiryReminderOffsets": [3, 14],
            }
        },
        token=world.token("vendor_admin"),
    )
    assert changed["updateDealRegistrationSettings"] == {
        "__typename": "DealRegistrationSettings",
        "protectionDays": 120,
        "extensionDays": 45,
        "reviewTargetWorkingDays": 0,
        "timeZone": "America/New_York",
        "holidays": ["2026-07-04", "2026-12-25"],
        "expiryReminderOffsets": [14, 3],
    }
    row = await DealRegistrationSettings.get(id=1)
    assert (row.protection_days, row.time_zone, row.holidays) == (
        120,
        "America/New_York",
        ["2026-07-04", "2026-12-25"],
    )
    # A partial change leaves the rest; channel managers read the settings too.
    await gql.data(UPDATE_SETTINGS, {"input": {"extensionDays": 10}}, world.token("vendor_admin"))
    read = (await gql.data(SETTINGS, token=world.token("manager")))["dealRegistrationSettings"]
    assert (read["extensionDays"], read["protectionDays"]) == (10, 120)
    node = await gql.data(NODE, {"id": read["id"]}, token=world.token("manager"))
    assert node["node"]["__typename"] == "DealRegistrationSettings"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"protectionDays": 0}, "protectionDays"),
        ({"protectionDays": 731}, "protectionDays"),
        ({"extensionDays": 0}, "extensionDays"),
        ({"extensionDays": 366}, "extensionDays"),
        ({"reviewTargetWorkingDays": -1}, "reviewTargetWorkingDays"),
        ({"reviewTargetWorkingDays": 31}, "reviewTargetWorkingDays"),
        ({"timeZone": "Mars/Olympus"}, "timeZone"),
        ({"timeZone": "Europe"}, "timeZone"),
        ({"timeZone": "europe/amsterdam"}, "timeZone"),
        ({"timeZone": "../../etc/passwd"}, "timeZone"),
        ({"timeZone": ""}, "timeZone"),
        ({"timeZone": "Europe/Am\nsterdam"}, "timeZone"),
        ({"timeZone": "x" * 65}, "timeZone"),
        ({"holidays": ["2026-12-25", "2026-12-25"]}, "holidays"),
        ({"expiryReminderOffsets": [7, 7]}, "expiryReminderOffsets"),
        ({"expiryReminderOffsets": [0]}, "expiryReminderOffsets"),
        ({"expiryReminderOffsets": [-3]}, "expiryReminderOffsets"),
        ({"expiryReminderOffsets": [366]}, "expiryReminderOffsets"),
        ({"expiryReminderOffsets": list(range(1, 12))}, "expiryReminderOffsets"),
    ],
)
async def test_bad_settings_are_refused_and_nothing_changes(
    gql: GraphQLClient, world: World, change: dict[str, Any], field: str
):
    before = await gql.data(SETTINGS, token=world.token("vendor_admin"))
    # A valid value next to the bad one is not written either.
    valid = {"extensionDays": 20} if field == "holidays" else {"holidays": ["2027-01-01"]}
    result = await gql.data(
        UPDATE_SETTINGS, {"input": {**valid, **change}}, token=world.token("vendor_admin")
    )
    payload = result["updateDealRegistrationSettings"]
    assert payload["__typename"] == "OperationErrors"
    assert [e["field"] for e in payload["errors"]] == [field]
    assert payload["errors"][0]["code"] == "INVALID"
    assert await gql.data(SETTINGS, token=world.token("vendor_admin")) == before


async def test_several_bad_settings_are_all_named(gql: GraphQLClient, world: World):
    result = await gql.data(
        UPDATE_SETTINGS,
        {"input": {"protectionDays": 0, "timeZone": "Nowhere", "expiryReminderOffsets": [1, 1]}},
        token=world.token("vendor_admin"),
    )
    errors = result["updateDealRegistrationSettings"]["errors"]
    assert {e["field"] for e in errors} == {"protectionDays", "timeZone", "expiryReminderOffsets"}
    assert errors[0]["message"] == "Choose 1 to 730 days."


@pytest.mark.parametrize("who", ["manager", "admin_a", "user_a"])
async def test_only_vendor_admins_change_settings(gql: GraphQLClient, world: World, who: str):
    body = await gql.request(UPDATE_SETTINGS, {"input": {"protectionDays": 5}}, world.token(who))
    assert error_code(body) == "FORBIDDEN"
    assert not await DealRegistrationSettings.filter(protection_days=5).exists()


@pytest.mark.parametrize("who", ["admin_a", "user_a"])
async def test_partners_do_not_read_settings(gql: GraphQLClient, world: World, who: str):
    body = await gql.request(SETTINGS, token=world.token(who))
    assert error_code(body) == "FORBIDDEN"


# ---- custom fields ----------------------------------------------------------------------------


async def create_field(gql: GraphQLClient, world: World, **variables: Any) -> dict[str, Any]:
    result = await gql.data(CREATE_FIELD, variables, token=world.token("vendor_admin"))
    return result["createDealRegistrationField"]


async def test_fields_are_defined_read_by_partners_and_archived(gql: GraphQLClient, world: World):
    region = await create_field(
        gql,
        world,
        key="region",
        label=" Sales  region ",
        kind="CHOICE",
        choices=["North", " South "],
        required=True,
    )
    assert region["__typename"] == "DealRegistrationField"
    assert (region["label"], region["choices"], region["position"]) == (
        "Sales region",
        ["North", "South"],
        0,
    )
    seats = await create_field(gql, world, key="seats", label="Seats", kind="NUMBER")
    assert seats["position"] == 1
    for who in ("user_a", "admin_b", "manager"):
        listed = await gql.data(FIELDS, token=world.token(who))
        assert [f["key"] for f in listed["dealRegistrationFields"]] == ["region", "seats"]
    archived = await gql.data(ARCHIVE_FIELD, {"id": seats["id"]}, world.token("vendor_admin"))
    assert archived["archiveDealRegistrationField"]["archived"] is True
    listed = await gql.data(FIELDS, token=world.token("user_a"))
    assert [f["key"] for f in listed["dealRegistrationFields"]] == ["region"]
    # Vendor staff see archived fields after the active ones; partners may not ask for them.
    staff = await gql.data(FIELDS, {"archived": True}, token=world.token("manager"))
    assert [f["key"] for f in staff["dealRegistrationFields"]] == ["region", "seats"]
    body = await gql.request(FIELDS, {"archived": True}, token=world.token("admin_a"))
    assert error_code(body) == "FORBIDDEN"
    # An archived field is not found by id for partners, and its key stays taken.
    assert error_code(await gql.request(NODE, {"id": seats["id"]}, world.token("user_a"))) == (
        "NOT_FOUND"
    )
    again = await create_field(gql, world, key="seats", label="Seats again", kind="TEXT")
    assert again["errors"][0]["code"] == "DUPLICATE"
    # Restored, it comes back at the end of the form.
    restored = await gql.data(
        ARCHIVE_FIELD, {"id": seats["id"], "archived": False}, world.token("vendor_admin")
    )
    assert restored["archiveDealRegistrationField"]["archived"] is False
    node = await gql.data(NODE, {"id": seats["id"]}, token=world.token("user_a"))
    assert node["node"] == {"__typename": "DealRegistrationField", "id": seats["id"]}


@pytest.mark.parametrize(
    ("variables", "field"),
    [
        ({"key": "Region", "label": "R", "kind": "TEXT"}, "key"),
        ({"key": "1st", "label": "R", "kind": "TEXT"}, "key"),
        ({"key": "sales-region", "label": "R", "kind": "TEXT"}, "key"),
        ({"key": "", "label": "R", "kind": "TEXT"}, "key"),
        ({"key": "a" * 65, "label": "R", "kind": "TEXT"}, "key"),
        ({"key": "region", "label": "  ", "kind": "TEXT"}, "label"),
        ({"key": "region", "label": "x" * 201, "kind": "TEXT"}, "label"),
        ({"key": "region", "label": "Line\nbreak", "kind": "TEXT"}, "label"),
        ({"key": "region", "label": "R", "kind": "CHOICE"}, "choices"),
        ({"key": "region", "label": "R", "kind": "CHOICE", "choices": []}, "choices"),
        ({"key": "region", "label": "R", "kind": "CHOICE", "choices": ["A", "a"]}, "choices"),
        ({"key": "region", "label": "R", "kind": "CHOICE", "choices": ["A", " "]}, "choices[1]"),
        ({"key": "region", "label": "R", "kind": "TEXT", "choices": ["A"]}, "choices"),
        ({"key": "region", "label": "R", "kind": "DATE", "choices": ["A"]}, "choices"),
    ],
)
async def test_bad_field_definitions_are_refused(
    gql: GraphQLClient, world: World, variables: dict[str, Any], field: str
):
    result = await create_field(gql, world, **variables)
    assert result["__typename"] == "OperationErrors"
    assert result["errors"][0]["field"] == field
    assert result["errors"][0]["code"] == "INVALID"
    assert not await DealRegistrationField.exists()


async def test_field_updates_keep_key_and_kind(gql: GraphQLClient, world: World):
    region = await create_field(
        gql, world, key="region", label="Region", kind="CHOICE", choices=["North"]
    )
    updated = await gql.data(
        UPDATE_FIELD,
        {"id": region["id"], "label": "Area", "choices": ["North", "East"], "required": True},
        token=world.token("vendor_admin"),
    )
    assert updated["updateDealRegistrationField"] | {"id": None} == {
        "__typename": "DealRegistrationField",
        "id": None,
        "key": "region",
        "label": "Area",
        "kind": "CHOICE",
        "choices": ["North", "East"],
        "required": True,
        "position": 0,
        "archived": False,
    }
    emptied = await gql.data(
        UPDATE_FIELD, {"id": region["id"], "choices": []}, token=world.token("vendor_admin")
    )
    assert emptied["updateDealRegistrationField"]["errors"][0]["field"] == "choices"
    notes = await create_field(gql, world, key="notes_extra", label="More", kind="TEXT")
    refused = await gql.data(
        UPDATE_FIELD, {"id": notes["id"], "choices": ["A"]}, token=world.token("vendor_admin")
    )
    assert refused["updateDealRegistrationField"]["errors"][0]["message"] == (
        "Only a choice field has choices."
    )
    row = await DealRegistrationField.get(id=pk_of(region["id"]))
    assert (row.choices, row.label) == (["North", "East"], "Area")


async def test_fields_are_reordered(gql: GraphQLClient, world: World):
    ids = [
        (await create_field(gql, world, key=key, label=key.title(), kind="TEXT"))["id"]
        for key in ("alpha", "beta", "gamma")
    ]
    result = await gql.data(REORDER, {"ids": ids[::-1]}, token=world.token("vendor_admin"))
    assert [f["key"] for f in result["reorderDealRegistrationFields"]["fields"]] == [
        "gamma",
        "beta",
        "alpha",
    ]
    listed = await gql.data(FIELDS, token=world.token("user_b"))
    assert [f["key"] for f in listed["dealRegistrationFields"]] == ["gamma", "beta", "alpha"]
    for wrong in (ids[:2], [*ids, ids[0]], [ids[0], ids[1], gid("DealRegistrationField", 999)]):
        refused = await gql.data(REORDER, {"ids": wrong}, token=world.token("vendor_admin"))
        assert refused["reorderDealRegistrationFields"]["errors"][0]["field"] == "fieldIds"
    refused = await gql.data(REORDER, {"ids": [gid("Partner", 1)]}, world.token("vendor_admin"))
    assert refused["reorderDealRegistrationFields"]["errors"][0]["code"] == "INVALID"
    positions = await DealRegistrationField.all().order_by("position").values_list("key", flat=True)
    assert positions == ["gamma", "beta", "alpha"]


@pytest.mark.parametrize("who", ["manager", "admin_a", "user_a"])
async def test_only_vendor_admins_change_fields(gql: GraphQLClient, world: World, who: str):
    body = await gql.request(
        CREATE_FIELD, {"key": "region", "label": "R", "kind": "TEXT"}, token=world.token(who)
    )
    assert error_code(body) == "FORBIDDEN"
    field = await DealRegistrationField.create(key="seats", label="Seats", kind="number")
    field_id = gid("DealRegistrationField", field.id)
    for query, variables in (
        (UPDATE_FIELD, {"id": field_id, "label": "X"}),
        (ARCHIVE_FIELD, {"id": field_id}),
        (REORDER, {"ids": [field_id]}),
    ):
        assert error_code(await gql.request(query, variables, world.token(who))) == "FORBIDDEN"
    assert await DealRegistrationField.filter(label="Seats", archived=False).count() == 1


# ---- direct deals -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("https://www.Example.com/pricing?x=1", "example.com"),
        ("HTTP://WWW.www.example.com:8080", "example.com"),
        ("user:secret@shop.example.co.uk/", "shop.example.co.uk"),
        ("  example.org.  ", "example.org"),
        ("", ""),
    ],
)
def test_domains_are_normalised(raw: str, normalised: str):
    assert normalise_domain(raw) == normalised
    assert domain_problem(normalised) is None


async def test_direct_deals_are_upserted_closed_and_listed(gql: GraphQLClient, world: World):
    admin = world.token("vendor_admin")
    first = (
        await gql.data(
            UPSERT_DEAL,
            {
                "externalId": "crm-1",
                "company": "  Initech   BV ",
                "domain": "https://www.Initech.example/about",
                "owner": "Sam Seller",
            },
            admin,
        )
    )["upsertDirectDeal"]
    assert first["created"] is True
    assert first["directDeal"] | {"id": None} == {
        "id": None,
        "externalId": "crm-1",
        "companyName": "Initech BV",
        "companyDomain": "initech.example",
        "ownerName": "Sam Seller",
        "open": True,
    }
    row = await DirectDeal.get(external_id="crm-1")
    assert row.normalised_company == "initech bv"
    # The same external id again updates the same deal (a sync may repeat itself).
    again = (
        await gql.data(
            UPSERT_DEAL, {"externalId": "crm-1", "company": "Initech", "domain": ""}, admin
        )
    )["upsertDirectDeal"]
    assert again["created"] is False
    assert again["directDeal"]["id"] == first["directDeal"]["id"]
    assert await DirectDeal.all().count() == 1
    await gql.data(UPSERT_DEAL, {"externalId": "crm-2", "company": "Globex"}, admin)
    closed = await gql.data(CLOSE_DEAL, {"id": first["directDeal"]["id"]}, admin)
    assert closed["closeDirectDeal"]["open"] is False
    manager = world.token("manager")
    listed = await gql.data(DIRECT_DEALS, {"open": True}, manager)
    assert [n["externalId"] for n in listed["directDeals"]["nodes"]] == ["crm-2"]
    listed = await gql.data(DIRECT_DEALS, {"company": "INITECH"}, manager)
    assert listed["directDeals"]["totalCount"] == 1
    # Reopened by the sync.
    await gql.data(UPSERT_DEAL, {"externalId": "crm-1", "company": "Initech", "open": True}, admin)
    assert (await DirectDeal.get(external_id="crm-1")).is_open is True


@pytest.mark.parametrize(
    ("variables", "field"),
    [
        ({"externalId": " ", "company": "Initech"}, "externalId"),
        ({"externalId": "x" * 201, "company": "Initech"}, "externalId"),
        ({"externalId": "crm-1", "company": ""}, "companyName"),
        ({"externalId": "crm-1", "company": "Initech", "domain": "not a domain"}, "companyDomain"),
        ({"externalId": "crm-1", "company": "Initech", "domain": "localhost"}, "companyDomain"),
        ({"externalId": "crm-1", "company": "Initech", "owner": "o" * 201}, "ownerName"),
    ],
)
async def test_bad_direct_deals_are_refused(
    gql: GraphQLClient, world: World, variables: dict[str, Any], field: str
):
    result = await gql.data(UPSERT_DEAL, variables, token=world.token("vendor_admin"))
    payload = result["upsertDirectDeal"]
    assert payload["errors"][0]["field"] == field
    assert not await DirectDeal.exists()


@pytest.mark.parametrize("who", ["admin_a", "user_a"])
async def test_partners_never_see_direct_deals(gql: GraphQLClient, world: World, who: str):
    deal = await DirectDeal.create(
        external_id="crm-9", company_name="Umbrella", normalised_company="umbrella"
    )
    deal_id = gid("DirectDeal", deal.id)
    assert error_code(await gql.request(DIRECT_DEALS, token=world.token(who))) == "FORBIDDEN"
    assert error_code(await gql.request(NODE, {"id": deal_id}, world.token(who))) == "FORBIDDEN"
    for query, variables in (
        (UPSERT_DEAL, {"externalId": "crm-9", "company": "Changed"}),
        (CLOSE_DEAL, {"id": deal_id}),
    ):
        assert error_code(await gql.request(query, variables, world.token(who))) == "FORBIDDEN"
    row = await DirectDeal.get(id=deal.id)
    assert (row.company_name, row.is_open) == ("Umbrella", True)


async def test_channel_managers_read_but_do_not_write_direct_deals(
    gql: GraphQLClient, world: World
):
    deal = await DirectDeal.create(
        external_id="crm-9", company_name="Umbrella", normalised_company="umbrella"
    )
    manager = world.token("manager")
    node = await gql.data(NODE, {"id": gid("DirectDeal", deal.id)}, manager)
    assert node["node"]["__typename"] == "DirectDeal"
    body = await gql.request(CLOSE_DEAL, {"id": gid("DirectDeal", deal.id)}, manager)
    assert error_code(body) == "FORBIDDEN"
    missing = await gql.request(NODE, {"id": gid("DirectDeal", deal.id + 1)}, manager)
    assert error_code(missing) == "NOT_FOUND"

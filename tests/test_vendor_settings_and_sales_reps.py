"""Vendor settings (vendor admins change them) and partners' external sales reps."""

from __future__ import annotations

import pytest

from models.users import SalesRep
from models.vendor import VendorSettings
from tests.conftest import GraphQLClient, World, gid, pk_of

UPDATE_SETTINGS = """mutation($input: VendorSettingsInput!) {
  updateVendorSettings(input: $input) {
    __typename
    ... on VendorSettings { vendorName trialLengthDays leadProtectionWindowDays }
    ... on OperationErrors { errors { field code message } }
  }
}"""
CREATE_REP = """mutation($input: SalesRepInput!, $partnerId: ID) {
  createSalesRep(input: $input, partnerId: $partnerId) {
    __typename
    ... on SalesRep { id fullName email isDefaultLeadRecipient }
    ... on OperationErrors { errors { field code } }
  }
}"""
REPS_OF = "query($id: ID!) { partner(id: $id) { salesReps { nodes { email } } } }"


async def test_vendor_admin_changes_settings(gql: GraphQLClient, world: World):
    result = await gql.data(
        UPDATE_SETTINGS,
        {"input": {"vendorName": " Acme Vendor ", "trialLengthDays": 21}},
        token=world.token("vendor_admin"),
    )
    assert result["updateVendorSettings"] == {
        "__typename": "VendorSettings",
        "vendorName": "Acme Vendor",
        "trialLengthDays": 21,
        "leadProtectionWindowDays": 90,
    }
    row = await VendorSettings.get(id=1)
    assert (row.vendor_name, row.trial_length_days) == ("Acme Vendor", 21)
    # Everyone logged in can read them (the portal shows the vendor's name and terms).
    read = await gql.data("{ vendorSettings { vendorName } }", token=world.token("user_b"))
    assert read["vendorSettings"]["vendorName"] == "Acme Vendor"


async def test_invalid_settings_change_nothing(gql: GraphQLClient, world: World):
    result = await gql.data(
        UPDATE_SETTINGS,
        {"input": {"vendorName": "Changed", "trialLengthDays": 0}},
        token=world.token("vendor_admin"),
    )
    errors = result["updateVendorSettings"]["errors"]
    assert errors == [
        {
            "field": "trialLengthDays",
            "code": "INVALID",
            "message": "Must be between 1 and 365 days.",
        }
    ]
    row, _ = await VendorSettings.get_or_create(id=1)
    assert row.vendor_name == "Channelport vendor"


@pytest.mark.parametrize("who", ["manager", "admin_a", "user_a"])
async def test_only_vendor_admins_change_settings(gql: GraphQLClient, world: World, who: str):
    body = await gql.request(
        UPDATE_SETTINGS, {"input": {"vendorName": "X"}}, token=world.token(who)
    )
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert not await VendorSettings.filter(vendor_name="X").exists()


async def test_partner_admin_manages_own_sales_reps(gql: GraphQLClient, world: World):
    created = await gql.data(
        CREATE_REP,
        {"input": {"fullName": "Rita Rep", "email": "Rita@Reps.test"}},
        token=world.token("admin_a"),
    )
    rep = created["createSalesRep"]
    assert rep["__typename"] == "SalesRep"
    assert rep["email"] == "rita@reps.test"
    stored = await SalesRep.get(id=pk_of(rep["id"]))
    assert stored.partner_id == world.partner_a.id  # type: ignore[attr-defined]
    duplicate = await gql.data(
        CREATE_REP,
        {"input": {"fullName": "Rita Again", "email": "rita@reps.test"}},
        token=world.token("admin_a"),
    )
    assert duplicate["createSalesRep"]["errors"] == [{"field": "email", "code": "DUPLICATE"}]
    updated = await gql.data(
        """mutation($id: ID!) { updateSalesRep(id: $id, input: {isDefaultLeadRecipient: true}) {
             ... on SalesRep { isDefaultLeadRecipient } } }""",
        {"id": rep["id"]},
        token=world.token("admin_a"),
    )
    assert updated["updateSalesRep"] == {"isDefaultLeadRecipient": True}
    listed = await gql.data(
        REPS_OF, {"id": gid("Partner", world.partner_a.id)}, token=world.token("user_a")
    )
    assert listed["partner"]["salesReps"]["nodes"] == [{"email": "rita@reps.test"}]


async def test_sales_reps_of_another_partner_are_out_of_reach(gql: GraphQLClient, world: World):
    rep = await SalesRep.create(partner=world.partner_a, full_name="Rita", email="rita@reps.test")
    # Partner B can neither change, delete nor add to A's reps, and gets "not found".
    for mutation in (
        'mutation($id: ID!) { updateSalesRep(id: $id, input: {fullName: "Hijack"}) '
        "{ ... on OperationErrors { errors { code } } } }",
        "mutation($id: ID!) { deleteSalesRep(id: $id) "
        "{ ... on OperationErrors { errors { code } } } }",
    ):
        result = await gql.data(
            mutation, {"id": gid("SalesRep", rep.id)}, token=world.token("admin_b")
        )
        assert next(iter(result.values())) == {"errors": [{"code": "NOT_FOUND"}]}
    added = await gql.data(
        CREATE_REP,
        {
            "input": {"fullName": "Sneaky", "email": "s@x.test"},
            "partnerId": gid("Partner", world.partner_a.id),
        },
        token=world.token("admin_b"),
    )
    assert added["createSalesRep"]["errors"] == [{"field": "id", "code": "NOT_FOUND"}]
    # A partner user (not admin) cannot add reps either.
    body = await gql.request(
        CREATE_REP, {"input": {"fullName": "U", "email": "u@x.test"}}, token=world.token("user_a")
    )
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    await rep.refresh_from_db()
    assert rep.full_name == "Rita"
    assert await SalesRep.all().count() == 1


NODE = """query($id: ID!) { node(id: $id) { __typename id
  ... on VendorSettings { vendorName }
  ... on InvoicingDetails { companyName } } }"""


async def test_settings_and_invoicing_details_have_ids_node_can_fetch(
    gql: GraphQLClient, world: World
):
    """Cacheable objects without a row of their own get their owner's key: one VendorSettings,
    a partner's InvoicingDetails; node(id) gives each back, inside the caller's tenancy."""
    token = world.token("user_a")
    data = await gql.data(
        "{ vendorSettings { id vendorName } me { partner { id invoicing { id companyName } } } }",
        token=token,
    )
    settings_id = data["vendorSettings"]["id"]
    assert pk_of(settings_id, "VendorSettings") == (await VendorSettings.get()).id
    invoicing_id = data["me"]["partner"]["invoicing"]["id"]
    assert invoicing_id == gid("InvoicingDetails", world.partner_a.id)
    again = await gql.data(NODE, {"id": settings_id}, token=token)
    assert again["node"]["vendorName"] == data["vendorSettings"]["vendorName"]
    again = await gql.data(NODE, {"id": invoicing_id}, token=token)
    assert again["node"]["__typename"] == "InvoicingDetails"
    # Another partner's invoicing details read like a missing object.
    foreign = await gql.request(
        NODE, {"id": gid("InvoicingDetails", world.partner_b.id)}, token=token
    )
    missing = await gql.request(NODE, {"id": gid("InvoicingDetails", 987654)}, token=token)
    assert foreign == missing
    assert foreign["data"] == {"node": None}
    assert foreign["errors"][0]["extensions"]["code"] == "NOT_FOUND"

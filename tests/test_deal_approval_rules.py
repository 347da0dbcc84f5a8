"""Auto-approval rules for deal registrations: saved per partner tier or group with versioned
history, checked as the lead rules are, explained condition by condition without writing, and
`auto_approval_for` (what submission calls) on registrations stored as rows: the partner's tier
first, then its groups (static or dynamic) by id, the latest version only, never a conflict."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from models.deal_registrations import (
    DealApprovalRuleVersion,
    DealConflictKind,
    DealRegistration,
    DealRegistrationField,
    DealRegistrationStatus,
)
from models.enums import GroupKind, PartnerTier
from models.partners import PartnerGroup, PartnerGroupMember, PartnerOrg
from services.deals.approval_rule_fields import DealConditionInput, DealField
from services.deals.approval_rules import (
    AutoApproval,
    RuleScope,
    auto_approval_for,
    save_approval_rules,
)
from services.deals.companies import normalise_company
from services.leads.rules import Operator
from services.partners.rules import validate_group_rule
from services.platform.errors import ErrorCode, ServiceError
from settings import Settings
from tests.accounts_support import viewer_for
from tests.conftest import GraphQLClient, World, gid, make_partner

RULE_PARTS = """id version scopeKey tier change group { name }
  groups { conditions { field customFieldKey operator value values } }
  createdBy { email }"""
SAVE = f"""mutation($tier: PartnerTier, $groupId: ID, $groups: [DealRuleGroupInput!]!,
  $change: String) {{
  saveDealApprovalRules(tier: $tier, groupId: $groupId, groups: $groups, change: $change) {{
    __typename
    ... on DealApprovalRules {{ {RULE_PARTS} }}
    ... on OperationErrors {{ errors {{ field code message }} }}
  }}
}}"""
RULES = f"""query($tier: PartnerTier, $groupId: ID, $first: Int, $after: String) {{
  dealApprovalRules(tier: $tier, groupId: $groupId) {{
    scopeKey tier group {{ name }}
    current {{ {RULE_PARTS} }}
    history(first: $first, after: $after) {{
      totalCount pageInfo {{ hasNextPage endCursor }} nodes {{ version change }}
    }}
  }}
}}"""
EXPLAIN = """query($id: ID!, $groups: [DealRuleGroupInput!]) {
  explainDealApproval(registrationId: $id, groups: $groups) {
    registrationId registration { id companyName }
    proposed hasConflict wouldApprove approvedByGroupIndex reason
    approvedBy { version scopeKey }
    ruleSets {
      rules { scopeKey version }
      matchedGroupIndex reason
      groups { index matched conditions {
        condition { field customFieldKey operator value values } actualValue matched
      } }
    }
  }
}"""
RULE_SETS = "{ dealApprovalRuleSets { scopeKey version } }"


def condition(field: str, operator: str, value: str | None = None, **more: Any) -> dict[str, Any]:
    return {"field": field, "operator": operator, "value": value, **more}


BIG_EURO_DEALS = [
    {
        "conditions": [
            condition("AMOUNT", "GREATER_THAN", "10000"),
            condition("CURRENCY", "EQUALS", "eur"),
        ]
    }
]
CLOUD_DEALS = [{"conditions": [condition("PRODUCTS", "CONTAINS", "cloud")]}]


async def make_registration(partner: PartnerOrg, **fields: Any) -> DealRegistration:
    now = datetime.now(UTC)
    fields.setdefault("company_name", "Initech")
    fields.setdefault("status", DealRegistrationStatus.SUBMITTED)
    return await DealRegistration.create(
        partner=partner,
        normalised_company=normalise_company(fields["company_name"]),
        created_at=now,
        updated_at=now,
        submitted_at=now,
        **fields,
    )


async def save(
    gql: GraphQLClient, token: str, groups: list[dict[str, Any]], **scope: Any
) -> dict[str, Any]:
    result = await gql.data(SAVE, {"groups": groups, **scope}, token=token)
    return result["saveDealApprovalRules"]


async def make_group(name: str, kind: GroupKind = GroupKind.STATIC, **rule: Any) -> PartnerGroup:
    stored = validate_group_rule([rule]) if rule else []
    return await PartnerGroup.create(name=name, kind=kind, rule=stored)


# ---- saving and history -----------------------------------------------------------------------


async def test_rules_are_saved_as_versions_with_history(gql: GraphQLClient, world: World):
    admin = world.token("vendor_admin")
    first = await save(gql, admin, BIG_EURO_DEALS, tier="GOLD", change="Big euro deals")
    assert first["__typename"] == "DealApprovalRules"
    assert (first["version"], first["scopeKey"], first["tier"], first["change"]) == (
        1,
        "tier:gold",
        "GOLD",
        "Big euro deals",
    )
    assert first["createdBy"] == {"email": "admin@vendor.test"}
    assert first["groups"][0]["conditions"][0] == {
        "field": "AMOUNT",
        "customFieldKey": None,
        "operator": "GREATER_THAN",
        "value": "10000",
        "values": [],
    }
    second = await save(gql, admin, CLOUD_DEALS, tier="GOLD")
    assert (second["version"], second["change"]) == (2, "saved 1 group")
    # Another scope has its own sequence.
    silver = await save(gql, admin, CLOUD_DEALS, tier="SILVER")
    assert silver["version"] == 1
    group = await make_group("Resellers NL")
    assert group.id < 9
    by_group = await save(gql, admin, CLOUD_DEALS, groupId=gid("PartnerGroup", group.id))
    assert (by_group["scopeKey"], by_group["group"]) == (
        f"group:{group.id}",
        {"name": "Resellers NL"},
    )
    # Channel managers read the rules and their history, newest first, a page at a time.
    manager = world.token("manager")
    read = (await gql.data(RULES, {"tier": "GOLD", "first": 1}, manager))["dealApprovalRules"]
    assert read["current"]["version"] == 2
    assert read["current"]["groups"][0]["conditions"][0]["field"] == "PRODUCTS"
    assert read["history"]["totalCount"] == 2
    assert read["history"]["nodes"] == [{"version": 2, "change": "saved 1 group"}]
    rest = await gql.data(
        RULES,
        {"tier": "GOLD", "first": 5, "after": read["history"]["pageInfo"]["endCursor"]},
        manager,
    )
    assert rest["dealApprovalRules"]["history"]["nodes"] == [
        {"version": 1, "change": "Big euro deals"}
    ]
    none_yet = (await gql.data(RULES, {"tier": "PLATINUM"}, manager))["dealApprovalRules"]
    assert (none_yet["current"], none_yet["history"]["totalCount"]) == (None, 0)
    # After the tiers in tier order, groups by id (9 before 12, though "12" < "9" as text).
    for pk in (12, 9):
        numbered = await PartnerGroup.create(id=pk, name=f"Group {pk}")
        await save(gql, admin, CLOUD_DEALS, groupId=gid("PartnerGroup", numbered.id))
    in_force = (await gql.data(RULE_SETS, token=manager))["dealApprovalRuleSets"]
    assert in_force == [
        {"scopeKey": "tier:silver", "version": 1},
        {"scopeKey": "tier:gold", "version": 2},
        *({"scopeKey": f"group:{pk}", "version": 1} for pk in (group.id, 9, 12)),
    ]
    node = await gql.data(
        "query($id: ID!) { node(id: $id) { ... on DealApprovalRules { version } } }",
        {"id": first["id"]},
        manager,
    )
    assert node["node"] == {"version": 1}


@pytest.mark.parametrize(
    ("groups", "field", "message"),
    [
        (
            [{"conditions": [condition("AMOUNT", "CONTAINS", "1")]}],
            "groups[0].conditions[0]",
            "'contains' compares text; amount is a number.",
        ),
        (
            [{"conditions": [condition("COMPANY", "GREATER_THAN", "1")]}],
            "groups[0].conditions[0]",
            "'greater_than' compares numbers; company is text.",
        ),
        (
            [{"conditions": [condition("AMOUNT", "EQUALS", "a lot")]}],
            "groups[0].conditions[0]",
            "'a lot' is not a number.",
        ),
        ([{"conditions": []}], "groups[0]", "A group needs at least one condition."),
        (
            [{"conditions": [condition("CURRENCY", "IN_LIST", None, values=[])]}],
            "groups[0].conditions[0]",
            "'in_list' needs at least one value.",
        ),
        (
            [{"conditions": [condition("CURRENCY", "IS_EMPTY", "x")]}],
            "groups[0].conditions[0]",
            "'is_empty' takes no value.",
        ),
        (
            [
                {"conditions": [condition("CURRENCY", "EQUALS", "EUR")]},
                {"conditions": [condition("CUSTOM_FIELD", "EQUALS", "x", customFieldKey="nope")]},
            ],
            "groups[1].conditions[0]",
            "There is no active registration field with this key.",
        ),
        (
            [{"conditions": [condition("CUSTOM_FIELD", "EQUALS", "x")]}],
            "groups[0].conditions[0]",
            "There is no active registration field with this key.",
        ),
        (
            [{"conditions": [condition("COMPANY", "EQUALS", "x", customFieldKey="region")]}],
            "groups[0].conditions[0]",
            "Only a custom-field condition names a custom field key.",
        ),
        (
            [{"conditions": [condition("CUSTOM_FIELD", "CONTAINS", "1", customFieldKey="seats")]}],
            "groups[0].conditions[0]",
            "'contains' compares text; custom.seats is a number.",
        ),
        (
            [{"conditions": [condition("CUSTOM_FIELD", "EQUALS", "x", customFieldKey="old")]}],
            "groups[0].conditions[0]",
            "There is no active registration field with this key.",
        ),
        (
            [{"conditions": [condition("COMPANY", "EQUALS", "x\u202e")]}],
            "groups[0].conditions[0].value",
            "This text contains control characters, which are not allowed.",
        ),
    ],
)
async def test_bad_rules_are_refused_with_the_lead_rules_messages(
    gql: GraphQLClient, world: World, groups: list[dict[str, Any]], field: str, message: str
):
    await DealRegistrationField.create(key="seats", label="Seats", kind="number")
    await DealRegistrationField.create(key="region", label="Region", kind="text")
    await DealRegistrationField.create(key="old", label="Old", kind="text", archived=True)
    result = await save(gql, world.token("vendor_admin"), groups, tier="GOLD")
    assert result["__typename"] == "OperationErrors"
    assert {"field": field, "code": "INVALID", "message": message} in result["errors"]
    assert not await DealApprovalRuleVersion.exists()


async def test_the_scope_is_one_tier_or_one_existing_group(gql: GraphQLClient, world: World):
    admin = world.token("vendor_admin")
    group = await make_group("Resellers")
    both = await save(gql, admin, CLOUD_DEALS, tier="GOLD", groupId=gid("PartnerGroup", group.id))
    assert both["errors"][0]["code"] == "INVALID"
    neither = await save(gql, admin, CLOUD_DEALS)
    assert neither["errors"][0]["message"] == "Name either a partner tier or a partner group."
    missing = await save(gql, admin, CLOUD_DEALS, groupId=gid("PartnerGroup", group.id + 1))
    assert missing["errors"][0] == {
        "field": "groupId",
        "code": "NOT_FOUND",
        "message": "Partner group not found.",
    }
    wrong_type = await save(gql, admin, CLOUD_DEALS, groupId=gid("Partner", group.id))
    assert wrong_type["errors"][0]["code"] == "INVALID"
    too_long = await save(gql, admin, CLOUD_DEALS, tier="GOLD", change="c" * 201)
    assert too_long["errors"][0]["field"] == "change"
    assert not await DealApprovalRuleVersion.exists()


async def test_concurrent_saves_never_share_a_version(settings: Settings, world: World):
    admin = await viewer_for(settings, world.token("vendor_admin"))
    scope = RuleScope(tier=PartnerTier.GOLD)
    rules = [[DealConditionInput(DealField.CURRENCY, Operator.EQUALS, "EUR")]]
    outcomes = await asyncio.gather(
        *(save_approval_rules(admin, scope, rules, f"save {n}") for n in range(6)),
        return_exceptions=True,
    )
    saved = [o for o in outcomes if isinstance(o, DealApprovalRuleVersion)]
    refused = [o for o in outcomes if isinstance(o, ServiceError)]
    assert len(saved) + len(refused) == len(outcomes)
    assert all(error.code is ErrorCode.DUPLICATE for error in refused)
    versions = await DealApprovalRuleVersion.filter(scope_key="tier:gold").values_list(
        "version", flat=True
    )
    assert sorted(versions) == list(range(1, len(saved) + 1))


@pytest.mark.parametrize("who", ["manager", "admin_a", "user_a"])
async def test_only_vendor_admins_save_rules(gql: GraphQLClient, world: World, who: str):
    body = await gql.request(SAVE, {"groups": CLOUD_DEALS, "tier": "GOLD"}, world.token(who))
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert not await DealApprovalRuleVersion.exists()


@pytest.mark.parametrize("who", ["admin_a", "user_a"])
async def test_partners_do_not_read_rules(gql: GraphQLClient, world: World, who: str):
    await save(gql, world.token("vendor_admin"), CLOUD_DEALS, tier="SILVER")
    registration = await make_registration(world.partner_a, products="Cloud suite")
    for query, variables in (
        (RULES, {"tier": "SILVER"}),
        (RULE_SETS, {}),
        (EXPLAIN, {"id": gid("DealRegistration", registration.id)}),
    ):
        body = await gql.request(query, variables, world.token(who))
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


# ---- explain ----------------------------------------------------------------------------------


async def test_explain_goes_condition_by_condition_and_writes_nothing(
    gql: GraphQLClient, world: World
):
    admin = world.token("vendor_admin")
    await DealRegistrationField.create(key="seats", label="Seats", kind="number")
    await save(gql, admin, BIG_EURO_DEALS, tier="GOLD")
    group = await make_group("Germany", GroupKind.DYNAMIC, field="country", operator="in",
                             values=["DE"])  # fmt: skip
    seats_rule = [
        {
            "conditions": [
                condition("CUSTOM_FIELD", "GREATER_THAN", "50", customFieldKey="seats"),
                condition("EXPECTED_CLOSE_IN_DAYS", "LESS_THAN", "90"),
            ]
        }
    ]
    await save(gql, admin, seats_rule, groupId=gid("PartnerGroup", group.id))
    # partner_b is gold and in Germany: its tier's rules fail (amount too small), its group's hold.
    registration = await make_registration(
        world.partner_b,
        amount=Decimal("5000.00"),
        currency="EUR",
        custom_values={"seats": "120"},
        expected_close_on=date.today() + timedelta(days=30),
    )
    versions_before = await DealApprovalRuleVersion.all().count()
    result = (await gql.data(EXPLAIN, {"id": gid("DealRegistration", registration.id)}, admin))[
        "explainDealApproval"
    ]
    assert result["registrationId"] == gid("DealRegistration", registration.id)
    assert result["registration"] == {
        "id": result["registrationId"],
        "companyName": registration.company_name,
    }
    assert (result["wouldApprove"], result["hasConflict"], result["proposed"]) == (
        True,
        False,
        False,
    )
    assert result["approvedBy"] == {"version": 1, "scopeKey": f"group:{group.id}"}
    assert result["approvedByGroupIndex"] == 0
    tier_rules, group_rules = result["ruleSets"]
    assert tier_rules["rules"]["scopeKey"] == "tier:gold"
    assert tier_rules["matchedGroupIndex"] is None
    amount, currency = tier_rules["groups"][0]["conditions"]
    assert (amount["actualValue"], amount["matched"]) == ("5000.00", False)
    assert (currency["actualValue"], currency["matched"]) == ("EUR", True)
    seats, close = group_rules["groups"][0]["conditions"]
    assert seats["condition"]["customFieldKey"] == "seats"
    assert (seats["actualValue"], seats["matched"]) == ("120", True)
    assert close["matched"] is True
    # Proposed groups are tried alone.
    proposed = (
        await gql.data(
            EXPLAIN,
            {"id": gid("DealRegistration", registration.id), "groups": BIG_EURO_DEALS},
            admin,
        )
    )["explainDealApproval"]
    assert (proposed["proposed"], proposed["wouldApprove"], proposed["approvedBy"]) == (
        True,
        False,
        None,
    )
    assert [rule_set["rules"] for rule_set in proposed["ruleSets"]] == [None]
    bad = await gql.request(
        EXPLAIN,
        {
            "id": gid("DealRegistration", registration.id),
            "groups": [{"conditions": [condition("AMOUNT", "CONTAINS", "1")]}],
        },
        admin,
    )
    assert bad["errors"][0]["extensions"]["code"] == "INVALID"
    assert await DealApprovalRuleVersion.all().count() == versions_before
    row = await DealRegistration.get(id=registration.id)
    assert (row.status, row.auto_approved, row.approval_rule_version_id) == (
        DealRegistrationStatus.SUBMITTED,
        False,
        None,
    )


async def test_explain_says_a_conflict_is_never_auto_approved(gql: GraphQLClient, world: World):
    admin = world.token("vendor_admin")
    await save(gql, admin, CLOUD_DEALS, tier="SILVER")
    registration = await make_registration(
        world.partner_a, products="Cloud", conflict_kind=DealConflictKind.DIRECT_DEAL
    )
    result = (await gql.data(EXPLAIN, {"id": gid("DealRegistration", registration.id)}, admin))[
        "explainDealApproval"
    ]
    assert (result["wouldApprove"], result["hasConflict"], result["approvedBy"]) == (
        False,
        True,
        None,
    )
    assert result["ruleSets"][0]["matchedGroupIndex"] == 0
    assert "never auto-approved" in result["reason"]


async def test_channel_managers_explain_only_their_partners(gql: GraphQLClient, world: World):
    await save(gql, world.token("vendor_admin"), CLOUD_DEALS, tier="SILVER")
    own = await make_registration(world.partner_a, products="Cloud")
    other = await make_registration(world.partner_b, products="Cloud")
    manager = world.token("manager")
    result = await gql.data(EXPLAIN, {"id": gid("DealRegistration", own.id)}, manager)
    assert result["explainDealApproval"]["wouldApprove"] is True
    for missing in (other.id, other.id + 100):
        body = await gql.request(EXPLAIN, {"id": gid("DealRegistration", missing)}, manager)
        assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
        assert body["errors"][0]["message"] == "Deal registration not found."


# ---- auto_approval_for --------------------------------------------------------------------------


async def version_id(scope_key: str, version: int = 1) -> int:
    return (await DealApprovalRuleVersion.get(scope_key=scope_key, version=version)).id


async def test_the_tier_rules_approve_and_only_the_latest_version_counts(
    gql: GraphQLClient, world: World
):
    admin = world.token("vendor_admin")
    await save(gql, admin, BIG_EURO_DEALS, tier="GOLD")
    big = await make_registration(world.partner_b, amount=Decimal("20000"), currency="eur")
    small = await make_registration(world.partner_b, amount=Decimal("200"), currency="EUR")
    dollars = await make_registration(world.partner_b, amount=Decimal("20000"), currency="USD")
    assert await auto_approval_for(big) == AutoApproval(await version_id("tier:gold"), 0)
    assert await auto_approval_for(small) is None
    assert await auto_approval_for(dollars) is None
    # partner_a is silver: the gold rules do not apply to it.
    silver = await make_registration(world.partner_a, amount=Decimal("20000"), currency="EUR")
    assert await auto_approval_for(silver) is None
    # A new version replaces the old one: the big euro deal no longer matches, the dollars do.
    never = [condition("CURRENCY", "EQUALS", "EUR"), condition("AMOUNT", "LESS_THAN", "0")]
    dollars_rule = [
        {"conditions": never},
        {"conditions": [condition("CURRENCY", "IN_LIST", None, values=["usd", "gbp"])]},
    ]
    await save(gql, admin, dollars_rule, tier="GOLD")
    assert await auto_approval_for(big) is None
    assert await auto_approval_for(dollars) == AutoApproval(await version_id("tier:gold", 2), 1)
    # Clearing the rules (a version without groups) approves nothing.
    await save(gql, admin, [], tier="GOLD")
    assert await auto_approval_for(dollars) is None


async def test_group_rules_apply_to_static_and_dynamic_members_tier_first(
    gql: GraphQLClient, world: World
):
    admin = world.token("vendor_admin")
    hand_picked = await make_group("Hand-picked")
    await PartnerGroupMember.create(group=hand_picked, partner=world.partner_a)
    germany = await make_group("Germany", GroupKind.DYNAMIC, field="country", operator="in",
                               values=["DE"])  # fmt: skip
    await save(gql, admin, CLOUD_DEALS, groupId=gid("PartnerGroup", hand_picked.id))
    anything = [{"conditions": [condition("COMPANY", "IS_NOT_EMPTY")]}]
    await save(gql, admin, anything, groupId=gid("PartnerGroup", germany.id))
    hand_key, germany_key = f"group:{hand_picked.id}", f"group:{germany.id}"
    # partner_a: a static member of Hand-picked (cloud deals), not in Germany.
    cloud_a = await make_registration(world.partner_a, products="Private CLOUD hosting")
    other_a = await make_registration(world.partner_a, products="On-premise")
    assert await auto_approval_for(cloud_a) == AutoApproval(await version_id(hand_key), 0)
    assert await auto_approval_for(other_a) is None
    # partner_b: in Germany by rule; anything goes.
    other_b = await make_registration(world.partner_b, products="On-premise")
    assert await auto_approval_for(other_b) == AutoApproval(await version_id(germany_key), 0)
    # Both groups match partner_b's cloud deal once it joins Hand-picked: the lower group id wins.
    await PartnerGroupMember.create(group=hand_picked, partner=world.partner_b)
    cloud_b = await make_registration(world.partner_b, products="cloud")
    assert await auto_approval_for(cloud_b) == AutoApproval(await version_id(hand_key), 0)
    # The tier's rules come before any group's.
    await save(gql, admin, CLOUD_DEALS, tier="GOLD")
    assert await auto_approval_for(cloud_b) == AutoApproval(await version_id("tier:gold"), 0)
    # Membership is read at the time of the check: a partner that moves out is no longer covered.
    await PartnerOrg.filter(id=world.partner_b.id).update(country="FR", tier=PartnerTier.SILVER)
    assert await auto_approval_for(other_b) is None
    stranger = await make_partner("Gamma", tier=PartnerTier.PLATINUM, country="DE")
    assert await auto_approval_for(await make_registration(stranger)) == AutoApproval(
        await version_id(germany_key), 0
    )


async def test_a_registration_with_a_conflict_is_never_auto_approved(
    gql: GraphQLClient, world: World
):
    anything = [{"conditions": [condition("COMPANY", "IS_NOT_EMPTY")]}]
    await save(gql, world.token("vendor_admin"), anything, tier="SILVER")
    for kind in (DealConflictKind.PARTNER_REGISTRATION, DealConflictKind.DIRECT_DEAL):
        registration = await make_registration(world.partner_a, conflict_kind=kind)
        assert await auto_approval_for(registration) is None
    clear = await make_registration(world.partner_a)
    assert await auto_approval_for(clear) is not None


async def test_rules_read_every_registration_field(gql: GraphQLClient, world: World):
    await DealRegistrationField.create(key="seats", label="Seats", kind="number")
    await DealRegistrationField.create(
        key="region", label="Region", kind="choice", choices=["North", "South"]
    )
    await DealRegistrationField.create(key="signed_on", label="Signed", kind="date")
    every_field = [
        {
            "conditions": [
                condition("COMPANY", "STARTS_WITH", "init"),
                condition("COMPANY_DOMAIN", "EQUALS", "initech.example"),
                condition("CONTACT_EMAIL_DOMAIN", "IN_LIST", None, values=["initech.example"]),
                condition("PRODUCTS", "NOT_CONTAINS", "hardware"),
                condition("AMOUNT", "GREATER_THAN", "999.99"),
                condition("CURRENCY", "NOT_EQUALS", "usd"),
                condition("EXPECTED_CLOSE_IN_DAYS", "LESS_THAN", "60"),
                condition("PARTNER_COUNTRY", "EQUALS", "nl"),
                condition("CUSTOM_FIELD", "GREATER_THAN", "9", customFieldKey="seats"),
                condition("CUSTOM_FIELD", "EQUALS", "north", customFieldKey="region"),
                condition("CUSTOM_FIELD", "EQUALS", "2026-01-31", customFieldKey="signed_on"),
            ]
        }
    ]
    saved = await save(gql, world.token("vendor_admin"), every_field, tier="SILVER")
    assert saved["__typename"] == "DealApprovalRules", saved
    fields: dict[str, Any] = {
        "company_name": "Initech Holding",
        "company_domain": "initech.example",
        "contact_email": "pat@initech.example",
        "products": "Cloud suite",
        "amount": Decimal("1000.00"),
        "currency": "EUR",
        "expected_close_on": date.today() + timedelta(days=20),
        "custom_values": {"seats": "10", "region": "North", "signed_on": "2026-01-31"},
    }
    matching = await make_registration(world.partner_a, **fields)
    assert await auto_approval_for(matching) == AutoApproval(await version_id("tier:silver"), 0)
    # Each field, changed alone, stops the match.
    for name, value in (
        ("company_name", "Globex"),
        ("amount", Decimal("999.99")),
        ("amount", None),
        ("expected_close_on", date.today() + timedelta(days=90)),
        ("expected_close_on", None),
        ("custom_values", {**fields["custom_values"], "seats": "9"}),
        ("custom_values", {**fields["custom_values"], "region": "South"}),
        ("custom_values", {"seats": "10", "region": "North"}),
        ("contact_email", ""),
    ):
        changed = await make_registration(world.partner_a, **{**fields, name: value})
        assert await auto_approval_for(changed) is None, (name, value)

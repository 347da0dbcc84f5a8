"""Auto-approval end to end: rules saved through the API approve a matching submission at once
(with the rule version and group in its history), a conflict is never auto-approved, and a
submission no rule matches waits for a reviewer."""

from __future__ import annotations

from tests.conftest import GraphQLClient, World
from tests.deal_registration_support import approved, history_of, submitted

SAVE = """mutation($tier: PartnerTier, $groups: [DealRuleGroupInput!]!) {
  saveDealApprovalRules(tier: $tier, groups: $groups, change: "Small euro deals") {
    __typename ... on DealApprovalRules { version }
    ... on OperationErrors { errors { field code message } } } }"""
SMALL_EURO_DEALS = [
    {
        "conditions": [
            {"field": "AMOUNT", "operator": "LESS_THAN", "value": "30000"},
            {"field": "CURRENCY", "operator": "EQUALS", "value": "EUR"},
        ]
    }
]


async def _save_rules(gql: GraphQLClient, world: World, tier: str) -> None:
    data = await gql.data(
        SAVE, {"tier": tier, "groups": SMALL_EURO_DEALS}, token=world.token("vendor_admin")
    )
    assert data["saveDealApprovalRules"]["__typename"] == "DealApprovalRules", data


async def test_a_matching_submission_is_approved_at_once(gql: GraphQLClient, world: World) -> None:
    await _save_rules(gql, world, "SILVER")  # Alpha Partners' tier
    registration = await submitted(gql, world, amount="12000.00")
    assert registration["status"] == "APPROVED"
    assert registration["autoApproved"] is True
    assert registration["protectedUntil"] is not None
    history = await history_of(gql, world, "vendor_admin", registration["id"])
    automatic = [entry for entry in history if entry["kind"] == "AUTO_APPROVED"]
    assert len(automatic) == 1
    assert automatic[0]["automatic"] is True
    assert automatic[0]["actor"] is None


async def test_no_match_or_another_tier_waits_for_review(gql: GraphQLClient, world: World) -> None:
    await _save_rules(gql, world, "SILVER")
    too_big = await submitted(gql, world, companyName="Big Co", amount="90000.00")
    assert (too_big["status"], too_big["autoApproved"]) == ("SUBMITTED", False)
    await _save_rules(gql, world, "PLATINUM")  # Beta Partners are gold: no rules of theirs
    other_tier = await submitted(gql, world, "user_b", companyName="Gold Co", amount="100.00")
    assert other_tier["status"] == "SUBMITTED"


async def test_a_conflict_is_never_auto_approved(gql: GraphQLClient, world: World) -> None:
    await approved(gql, world, "user_b", companyName="Contested Ltd", amount="80000.00")
    await _save_rules(gql, world, "SILVER")
    flagged = await submitted(gql, world, companyName="Contested Ltd", amount="1000.00")
    assert flagged["conflictKind"] == "PARTNER_REGISTRATION"
    assert (flagged["status"], flagged["autoApproved"]) == ("SUBMITTED", False)

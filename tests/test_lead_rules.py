"""Auto-registration rules: the engine (every operator, AND/OR, empty groups, validation), the
rules applied to partner leads on create and update (never retroactively), ignored companies,
who may edit which rules, versioning, and explain output that agrees with what really happens."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from models.lead_management import (
    AutoRegistrationMatch,
    AutoRegistrationMode,
    RuleSetOwner,
    RuleSetVersion,
)
from models.leads import Lead, LeadEvent, RegistrationStatus
from models.outbox import OutboxEmail
from models.users import ChannelManagerAssignment, User
from services.leads import ignored_companies as lead_ignored_companies
from services.leads import lead_settings
from services.leads import rule_sets as lead_rule_sets
from services.leads import service as lead_management
from services.leads.rules import (
    Condition,
    LeadField,
    Operator,
    condition_problem,
    explain,
    lead_facts,
    validate_rule_set,
)
from services.leads.rules_compiled import first_matching_group
from services.leads.service import LeadInput
from services.platform.errors import ErrorCode, ServiceError, ValidationFailed
from services.platform.viewer import Viewer
from settings import Settings
from tests.conftest import GraphQLClient, World, gid, pk_of

F, Op = LeadField, Operator


def viewer_for(user: User, managed: frozenset[int] = frozenset()) -> Viewer:
    return Viewer(
        user_id=user.id,
        email=user.email,
        role=user.role,
        partner_id=user.partner_id,  # type: ignore[attr-defined]
        session_id="test",
        managed_partner_ids=managed,
    )


async def manager_viewer(world: World) -> Viewer:
    managed = await ChannelManagerAssignment.filter(manager=world.manager).values_list(
        "partner_id", flat=True
    )
    return viewer_for(world.manager, frozenset(managed))


def cond(field: LeadField, operator: Operator, value: str | None = None, *values: str) -> Condition:
    return Condition(field, operator, value, tuple(values))


BASE_LEAD: dict[str, Any] = {
    "email": "jane.doe@acme.example",
    "company": "Acme Corp",
    "first_name": "Jane",
    "last_name": "Doe",
    "phone": "+31 20 123",
    "country": "NL",
    "industry": "Software",
    "locale": "en",
    "notes": "",
    "employees": 120,
    "estimated_value": Decimal("5000.00"),
}


def facts(**changes: Any) -> dict[str, Any]:
    return lead_facts(SimpleNamespace(**{**BASE_LEAD, **changes}))


# ---- the engine ------------------------------------------------------------------------------

OPERATOR_CASES = [
    # (condition, lead changes, expected)
    (cond(F.COMPANY, Op.EQUALS, "acme corp"), {}, True),
    (cond(F.COMPANY, Op.EQUALS, "  ACME   corp "), {}, True),
    (cond(F.COMPANY, Op.EQUALS, "Acme"), {}, False),
    (cond(F.COUNTRY, Op.NOT_EQUALS, "de"), {}, True),
    (cond(F.COUNTRY, Op.NOT_EQUALS, "nl"), {}, False),
    (cond(F.NOTES, Op.NOT_EQUALS, "x"), {}, True),
    (cond(F.INDUSTRY, Op.CONTAINS, "SOFT"), {}, True),
    (cond(F.INDUSTRY, Op.CONTAINS, "hard"), {}, False),
    (cond(F.NOTES, Op.CONTAINS, "x"), {}, False),
    (cond(F.INDUSTRY, Op.NOT_CONTAINS, "soft"), {}, False),
    (cond(F.INDUSTRY, Op.NOT_CONTAINS, "hard"), {}, True),
    (cond(F.NOTES, Op.NOT_CONTAINS, "x"), {}, True),
    (cond(F.EMAIL, Op.STARTS_WITH, "JANE."), {}, True),
    (cond(F.EMAIL, Op.STARTS_WITH, "doe"), {}, False),
    (cond(F.EMAIL_DOMAIN, Op.EQUALS, "Acme.Example"), {}, True),
    (cond(F.EMAIL_DOMAIN, Op.EQUALS, "acme"), {}, False),
    (cond(F.COUNTRY, Op.IN_LIST, None, "de", "NL"), {}, True),
    (cond(F.COUNTRY, Op.IN_LIST, None, "de", "fr"), {}, False),
    (cond(F.COUNTRY, Op.NOT_IN_LIST, None, "de", "fr"), {}, True),
    (cond(F.COUNTRY, Op.NOT_IN_LIST, None, "nl"), {}, False),
    (cond(F.EMPLOYEES, Op.GREATER_THAN, "100"), {}, True),
    (cond(F.EMPLOYEES, Op.GREATER_THAN, "120"), {}, False),
    (cond(F.EMPLOYEES, Op.GREATER_THAN, "0"), {"employees": None}, False),
    (cond(F.EMPLOYEES, Op.LESS_THAN, "121"), {}, True),
    (cond(F.EMPLOYEES, Op.LESS_THAN, "120"), {}, False),
    (cond(F.EMPLOYEES, Op.LESS_THAN, "1000"), {"employees": None}, False),
    (cond(F.EMPLOYEES, Op.EQUALS, "120"), {}, True),
    (cond(F.EMPLOYEES, Op.NOT_EQUALS, "5"), {"employees": None}, True),
    (cond(F.EMPLOYEES, Op.NOT_EQUALS, "120"), {}, False),
    (cond(F.ESTIMATED_VALUE, Op.EQUALS, "5000"), {}, True),
    (cond(F.ESTIMATED_VALUE, Op.IN_LIST, None, "1", "5000.00"), {}, True),
    (cond(F.ESTIMATED_VALUE, Op.NOT_IN_LIST, None, "1", "2"), {}, True),
    (cond(F.ESTIMATED_VALUE, Op.LESS_THAN, "4999.99"), {}, False),
    (cond(F.ESTIMATED_VALUE, Op.GREATER_THAN, "4999.99"), {}, True),
    (cond(F.NOTES, Op.IS_EMPTY), {}, True),
    (cond(F.NOTES, Op.IS_EMPTY), {"notes": "   "}, True),
    (cond(F.COMPANY, Op.IS_EMPTY), {}, False),
    (cond(F.EMPLOYEES, Op.IS_EMPTY), {"employees": None}, True),
    (cond(F.EMPLOYEES, Op.IS_EMPTY), {}, False),
    (cond(F.COMPANY, Op.IS_NOT_EMPTY), {}, True),
    (cond(F.NOTES, Op.IS_NOT_EMPTY), {}, False),
    (cond(F.ESTIMATED_VALUE, Op.IS_NOT_EMPTY), {"estimated_value": None}, False),
]


@pytest.mark.parametrize(("condition", "changes", "expected"), OPERATOR_CASES)
def test_every_operator(condition: Condition, changes: dict[str, Any], expected: bool):
    assert condition_problem(condition) is None
    lead = facts(**changes)
    assert (first_matching_group([[condition]], lead) == 0) is expected
    outcome = explain([[condition]], lead).groups[0].conditions[0]
    assert outcome.matched is expected


def test_every_operator_is_covered():
    assert {case[0].operator for case in OPERATOR_CASES} == set(Operator)


def test_and_within_a_group_or_across_groups_first_match_recorded():
    groups = [
        [cond(F.COUNTRY, Op.EQUALS, "de"), cond(F.INDUSTRY, Op.EQUALS, "software")],
        [cond(F.COMPANY, Op.CONTAINS, "acme"), cond(F.EMPLOYEES, Op.GREATER_THAN, "100")],
    ]
    assert first_matching_group(groups, facts()) == 1  # group 0 fails on country (AND)
    assert first_matching_group(groups, facts(country="DE")) == 0  # both match: the first
    assert first_matching_group(groups, facts(country="DE", industry="Hardware")) == 1
    assert (
        first_matching_group(groups, facts(country="DE", industry="Hardware", employees=5)) is None
    )


def test_empty_groups_and_empty_rule_sets_match_nothing():
    always = cond(F.EMAIL, Op.IS_NOT_EMPTY)
    assert first_matching_group([], facts()) is None
    assert first_matching_group([[]], facts()) is None
    assert first_matching_group([[], [always]], facts()) == 1
    explanation = explain([[]], facts())
    assert explanation.would_register is False
    assert explanation.groups[0].matched is False


VALIDATION_CASES = [
    (cond(F.COMPANY, Op.GREATER_THAN, "5"), "compares numbers"),
    (cond(F.EMPLOYEES, Op.CONTAINS, "5"), "compares text"),
    (cond(F.EMPLOYEES, Op.STARTS_WITH, "5"), "compares text"),
    (cond(F.EMPLOYEES, Op.EQUALS, "abc"), "not a number"),
    (cond(F.ESTIMATED_VALUE, Op.GREATER_THAN, "NaN"), "not a number"),
    (cond(F.EMPLOYEES, Op.IN_LIST, None, "1", "x"), "not a number"),
    (cond(F.COMPANY, Op.EQUALS), "needs a value"),
    (cond(F.COMPANY, Op.CONTAINS, "   "), "needs a value"),
    (cond(F.COMPANY, Op.IN_LIST), "at least one value"),
    (cond(F.COMPANY, Op.IN_LIST, "x"), "takes a list"),
    (Condition(F.COMPANY, Op.EQUALS, "x", ("y",)), "single value"),
    (cond(F.COMPANY, Op.IS_EMPTY, "x"), "takes no value"),
    (cond(F.COMPANY, Op.IN_LIST, None, "a", " "), "must not be empty"),
    (cond(F.COMPANY, Op.EQUALS, "x" * 201), "at most 200"),
    (cond(F.COMPANY, Op.EQUALS, "x"), None),
    (cond(F.EMPLOYEES, Op.LESS_THAN, "10.5"), None),
    (cond(F.COUNTRY, Op.NOT_IN_LIST, None, "de", "nl"), None),
    (cond(F.ESTIMATED_VALUE, Op.IS_NOT_EMPTY), None),
]


@pytest.mark.parametrize(("condition", "problem"), VALIDATION_CASES)
def test_condition_validation(condition: Condition, problem: str | None):
    found = condition_problem(condition)
    if problem is None:
        assert found is None
    else:
        assert found is not None
        assert problem in found


def test_rule_set_validation_names_the_failing_group_and_condition():
    good = cond(F.COMPANY, Op.EQUALS, "x")
    with pytest.raises(ValidationFailed) as failure:
        validate_rule_set([[good], [good, cond(F.EMPLOYEES, Op.CONTAINS, "1")], []])
    fields = [field for field, _ in failure.value.problems]
    assert fields == ["groups[1].conditions[1]", "groups[2]"]
    validate_rule_set([[good], [good]])  # valid: no error


def test_explain_reports_actual_values_and_per_condition_outcomes():
    groups = [[cond(F.COUNTRY, Op.EQUALS, "de"), cond(F.EMPLOYEES, Op.GREATER_THAN, "100")]]
    explanation = explain(groups, facts())
    assert explanation.would_register is False
    [group] = explanation.groups
    assert [(c.actual_value, c.matched) for c in group.conditions] == [("NL", False), ("120", True)]
    ignored = explain([[cond(F.COUNTRY, Op.EQUALS, "nl")]], facts(), ignored_company=True)
    assert ignored.groups[0].matched is True
    assert ignored.would_register is False
    assert ignored.matched_group_index is None
    assert "ignored" in ignored.reason


# ---- rules applied to partner leads ----------------------------------------------------------


async def enable(world: World, mode: AutoRegistrationMode, groups: list[list[Condition]]) -> None:
    admin = viewer_for(world.admin_a)
    await lead_settings.set_auto_registration(admin, None, True, mode)
    if mode is AutoRegistrationMode.PARTNER_DEFINED:
        await lead_rule_sets.replace_rule_set(admin, None, RuleSetOwner.PARTNER, groups)
    else:
        vendor = viewer_for(world.vendor_admin)
        await lead_rule_sets.replace_rule_set(
            vendor, world.partner_a.id, RuleSetOwner.SUPPLIER, groups
        )


def lead_input(**changes: Any) -> LeadInput:
    values = {
        "email": "jane.doe@acme.example",
        "company": "Acme Corp",
        "country": "NL",
        "industry": "Software",
        "employees": 120,
        "estimated_value": "5000",
    }
    values.update(changes)
    return LeadInput(**values)


DUTCH = [[cond(F.COUNTRY, Op.EQUALS, "nl")]]


async def test_auto_registration_is_off_by_default(world: World, settings: Settings):
    user = viewer_for(world.user_a)
    await lead_rule_sets.replace_rule_set(
        viewer_for(world.admin_a), None, RuleSetOwner.PARTNER, DUTCH
    )
    lead = await lead_management.create_lead(settings, user, lead_input())
    await lead.refresh_from_db()
    assert lead.registration_status is RegistrationStatus.NOT_REGISTERED
    assert not await AutoRegistrationMatch.exists(lead_id=lead.id)


async def test_matching_lead_starts_its_registration_on_create_with_the_matched_group(
    world: World, settings: Settings
):
    groups = [[cond(F.COUNTRY, Op.EQUALS, "de")], [cond(F.INDUSTRY, Op.CONTAINS, "soft")]]
    await enable(world, AutoRegistrationMode.PARTNER_DEFINED, groups)
    lead = await lead_management.create_lead(settings, viewer_for(world.user_a), lead_input())
    await lead.refresh_from_db()
    # A match starts the registration: the customer is asked, nothing is linked yet.
    assert lead.registration_status is RegistrationStatus.PENDING_CONSENT
    assert lead.registered_at is None
    assert await OutboxEmail.filter(reference=f"lead:{lead.id}", recipient=lead.email).exists()
    match = await AutoRegistrationMatch.get(lead_id=lead.id).prefetch_related("rule_set_version")
    assert match.group_index == 1
    assert match.owner is RuleSetOwner.PARTNER
    assert match.rule_set_version.version == 1
    event = await LeadEvent.get(lead_id=lead.id, kind="auto_registered")
    assert event.details["group_index"] == 1
    assert event.details["rule_set"] == "partner"
    assert event.actor_id == world.user_a.id  # type: ignore[attr-defined]

    other = await lead_management.create_lead(
        settings, viewer_for(world.user_a), lead_input(email="x@y.example", industry="Hardware")
    )
    await other.refresh_from_db()
    assert other.registration_status is RegistrationStatus.NOT_REGISTERED


async def test_rules_run_on_update(world: World, settings: Settings):
    await enable(world, AutoRegistrationMode.PARTNER_DEFINED, DUTCH)
    user = viewer_for(world.user_a)
    lead = await lead_management.create_lead(settings, user, lead_input(country="BE"))
    await lead.refresh_from_db()
    assert lead.registration_status is RegistrationStatus.NOT_REGISTERED
    await lead_management.update_lead(settings, user, lead.id, LeadInput(notes="called"))
    await lead.refresh_from_db()
    assert lead.registration_status is RegistrationStatus.NOT_REGISTERED
    await lead_management.update_lead(settings, user, lead.id, LeadInput(country="nl"))
    await lead.refresh_from_db()
    assert lead.registration_status is RegistrationStatus.PENDING_CONSENT
    kinds = await LeadEvent.filter(lead_id=lead.id).order_by("id").values_list("kind", flat=True)
    assert kinds == ["created", "updated", "updated", "auto_registered", "consent_requested"]


async def test_changing_rules_does_not_touch_existing_leads(world: World, settings: Settings):
    await enable(world, AutoRegistrationMode.PARTNER_DEFINED, [[cond(F.COUNTRY, Op.EQUALS, "de")]])
    lead = await lead_management.create_lead(settings, viewer_for(world.user_a), lead_input())
    events_before = await LeadEvent.filter(lead_id=lead.id).count()
    await lead_rule_sets.replace_rule_set(
        viewer_for(world.admin_a), None, RuleSetOwner.PARTNER, DUTCH
    )
    await lead_settings.set_auto_registration(
        viewer_for(world.admin_a), None, True, AutoRegistrationMode.PARTNER_DEFINED
    )
    await lead.refresh_from_db()
    assert lead.registration_status is RegistrationStatus.NOT_REGISTERED
    assert await LeadEvent.filter(lead_id=lead.id).count() == events_before
    # A new lead with the same data starts its registration under the new rules.
    fresh = await lead_management.create_lead(settings, viewer_for(world.user_a), lead_input())
    await fresh.refresh_from_db()
    assert fresh.registration_status is RegistrationStatus.PENDING_CONSENT


async def test_supplier_managed_mode_uses_the_vendor_rules(world: World, settings: Settings):
    await enable(world, AutoRegistrationMode.SUPPLIER_MANAGED, [[cond(F.COUNTRY, Op.EQUALS, "de")]])
    # The partner's own rules would match, but they are not the ones in force.
    await lead_rule_sets.replace_rule_set(
        viewer_for(world.admin_a), None, RuleSetOwner.PARTNER, DUTCH
    )
    user = viewer_for(world.user_a)
    dutch = await lead_management.create_lead(settings, user, lead_input())
    german = await lead_management.create_lead(
        settings, user, lead_input(email="k@firma.example", country="DE")
    )
    await dutch.refresh_from_db()
    await german.refresh_from_db()
    assert dutch.registration_status is RegistrationStatus.NOT_REGISTERED
    assert german.registration_status is RegistrationStatus.PENDING_CONSENT
    match = await AutoRegistrationMatch.get(lead_id=german.id)
    assert match.owner is RuleSetOwner.SUPPLIER


async def test_ignored_companies_are_never_auto_registered(world: World, settings: Settings):
    await enable(world, AutoRegistrationMode.PARTNER_DEFINED, DUTCH)
    admin = viewer_for(world.admin_a)
    await lead_ignored_companies.add_ignored_company(admin, None, "  ACME   corp ")
    user = viewer_for(world.user_a)
    lead = await lead_management.create_lead(settings, user, lead_input())
    await lead_management.update_lead(settings, user, lead.id, LeadInput(notes="still ignored"))
    await lead.refresh_from_db()
    assert lead.registration_status is RegistrationStatus.NOT_REGISTERED
    skipped = await LeadEvent.filter(lead_id=lead.id, kind="auto_registration_skipped")
    assert len(skipped) == 2
    assert skipped[0].details["reason"] == "ignored_company"
    other = await lead_management.create_lead(settings, user, lead_input(company="Other BV"))
    await other.refresh_from_db()
    assert other.registration_status is RegistrationStatus.PENDING_CONSENT
    # Ignoring applies to partner A only.
    names = [c.name for c in await lead_ignored_companies.list_ignored_companies(admin, None)]
    assert names == ["ACME corp"]
    assert (
        await lead_ignored_companies.list_ignored_companies(viewer_for(world.admin_b), None) == []
    )


async def test_who_may_edit_which_rules(world: World):
    admin_a, user_a = viewer_for(world.admin_a), viewer_for(world.user_a)
    vendor, admin_b = viewer_for(world.vendor_admin), viewer_for(world.admin_b)
    a = world.partner_a.id
    refused = [
        (admin_a, a, RuleSetOwner.SUPPLIER, ErrorCode.FORBIDDEN),  # partner: read-only
        (user_a, a, RuleSetOwner.PARTNER, ErrorCode.FORBIDDEN),  # not an admin
        (vendor, a, RuleSetOwner.PARTNER, ErrorCode.FORBIDDEN),  # the partner's own rules
        (admin_b, a, RuleSetOwner.PARTNER, ErrorCode.NOT_FOUND),  # another partner
        (admin_b, a, RuleSetOwner.SUPPLIER, ErrorCode.NOT_FOUND),
        (await manager_viewer(world), a, RuleSetOwner.SUPPLIER, ErrorCode.FORBIDDEN),
    ]
    for viewer, partner_id, owner, code in refused:
        with pytest.raises(ServiceError) as failure:
            await lead_rule_sets.replace_rule_set(viewer, partner_id, owner, DUTCH)
        assert failure.value.code is code, (viewer.role, owner)
        with pytest.raises(ServiceError):
            await lead_rule_sets.add_group(viewer, partner_id, owner, DUTCH[0])
    assert await RuleSetVersion.all().count() == 0
    await lead_rule_sets.replace_rule_set(vendor, a, RuleSetOwner.SUPPLIER, DUTCH)
    await lead_rule_sets.replace_rule_set(admin_a, None, RuleSetOwner.PARTNER, DUTCH)
    assert await RuleSetVersion.filter(partner_id=a).count() == 2


async def test_every_edit_is_a_new_version_with_who_and_when(world: World, gql: GraphQLClient):
    admin = viewer_for(world.admin_a)
    partner = RuleSetOwner.PARTNER
    await lead_rule_sets.add_group(admin, None, partner, [cond(F.COUNTRY, Op.EQUALS, "nl")])
    await lead_rule_sets.add_condition(admin, None, partner, 0, cond(F.EMPLOYEES, Op.IS_NOT_EMPTY))
    await lead_rule_sets.add_group(admin, None, partner, [cond(F.INDUSTRY, Op.EQUALS, "it")])
    await lead_rule_sets.remove_condition(admin, None, partner, 0, 0)
    await lead_rule_sets.remove_condition(admin, None, partner, 1, 0)  # empties group 1
    with pytest.raises(ValidationFailed):
        await lead_rule_sets.remove_group(admin, None, partner, 5)
    versions = await RuleSetVersion.filter(partner_id=world.partner_a.id).order_by("version")
    assert [v.version for v in versions] == [1, 2, 3, 4, 5]
    assert versions[-1].groups == [
        [{"field": "employees", "operator": "is_not_empty", "value": None, "values": []}]
    ]
    assert {v.created_by_id for v in versions} == {world.admin_a.id}  # type: ignore[attr-defined]

    query = """query($owner: RuleSetOwner!) { autoRegistrationHistory(owner: $owner) {
        totalCount nodes { id version change createdBy { id } createdAt editable
        groups { conditions { field operator } } } } }"""
    data = await gql.data(query, {"owner": "PARTNER"}, token=world.token("admin_a"))
    assert data["autoRegistrationHistory"]["totalCount"] == 5
    history = data["autoRegistrationHistory"]["nodes"]
    assert [h["version"] for h in history] == [5, 4, 3, 2, 1]
    assert [h["id"] for h in history] == [gid("RuleSet", v.id) for v in reversed(versions)]
    assert history[0]["createdBy"] == {"id": gid("User", world.admin_a.id)}
    assert history[0]["editable"] is True
    assert history[-1]["groups"] == [{"conditions": [{"field": "COUNTRY", "operator": "EQUALS"}]}]


SETTINGS_QUERY = """query { leadManagementSettings {
    id autoRegistrationEnabled mode autoAccept ignoredCompanies { nodes { id name } }
    supplierRules { version editable groups { conditions { field operator value values } } }
    partnerRules { version editable } } }"""


async def test_partner_reads_but_cannot_edit_supplier_rules_over_graphql(
    world: World, gql: GraphQLClient
):
    replace = """mutation($owner: RuleSetOwner!, $groups: [RuleGroupInput!]!, $partnerId: ID) {
      replaceAutoRegistrationRules(owner: $owner, groups: $groups, partnerId: $partnerId) {
        __typename ... on RuleSet { version editable }
        ... on OperationErrors { errors { field message code } } } }"""
    groups = [{"conditions": [{"field": "COUNTRY", "operator": "IN_LIST", "values": ["nl", "be"]}]}]
    as_vendor = {
        "owner": "SUPPLIER",
        "groups": groups,
        "partnerId": gid("Partner", world.partner_a.id),
    }
    saved = await gql.data(replace, as_vendor, token=world.token("vendor_admin"))
    assert saved["replaceAutoRegistrationRules"] == {
        "__typename": "RuleSet",
        "version": 1,
        "editable": True,
    }
    refused = await gql.data(replace, as_vendor, token=world.token("admin_a"))
    assert refused["replaceAutoRegistrationRules"]["errors"][0]["code"] == "FORBIDDEN"
    data = await gql.data(SETTINGS_QUERY, token=world.token("admin_a"))
    settings = data["leadManagementSettings"]
    assert settings["id"] == gid("LeadManagementSettings", world.partner_a.id)
    assert settings["autoRegistrationEnabled"] is False
    assert settings["mode"] == "SUPPLIER_MANAGED"
    assert settings["supplierRules"]["editable"] is False
    assert settings["supplierRules"]["groups"] == [
        {
            "conditions": [
                {"field": "COUNTRY", "operator": "IN_LIST", "value": None, "values": ["nl", "be"]}
            ]
        }
    ]
    assert settings["partnerRules"] is None
    assert await RuleSetVersion.all().count() == 1
    # Partner users do not reach lead management settings; another partner sees only its own.
    body = await gql.request(SETTINGS_QUERY, token=world.token("user_a"))
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    other = await gql.request(
        "query($p: ID) { leadManagementSettings(partnerId: $p) { autoAccept } }",
        {"p": gid("Partner", world.partner_a.id)},
        token=world.token("admin_b"),
    )
    assert other["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_invalid_condition_is_refused_naming_it_and_nothing_is_written(
    world: World, gql: GraphQLClient
):
    mutation = """mutation($groups: [RuleGroupInput!]!) {
      replaceAutoRegistrationRules(owner: PARTNER, groups: $groups) {
        __typename ... on OperationErrors { errors { field message code } } } }"""
    groups = [
        {"conditions": [{"field": "COUNTRY", "operator": "EQUALS", "value": "nl"}]},
        {
            "conditions": [
                {"field": "COMPANY", "operator": "IS_NOT_EMPTY"},
                {"field": "EMPLOYEES", "operator": "CONTAINS", "value": "12"},
            ]
        },
    ]
    data = await gql.data(mutation, {"groups": groups}, token=world.token("admin_a"))
    errors = data["replaceAutoRegistrationRules"]["errors"]
    assert [(e["field"], e["code"]) for e in errors] == [("groups[1].conditions[1]", "INVALID")]
    assert "compares text" in errors[0]["message"]
    assert await RuleSetVersion.all().count() == 0


async def test_other_partners_never_see_or_touch_a_lead(
    world: World, gql: GraphQLClient, settings: Settings
):
    created = await gql.data(
        """mutation { createLead(input: {email: "Lee@Prospect.example", company: "Prospect"}) {
            ... on Lead { id partner { id } email registrationStatus } } }""",
        token=world.token("user_a"),
    )
    lead = created["createLead"]
    assert lead["email"] == "lee@prospect.example"
    assert lead["partner"] == {"id": gid("Partner", world.partner_a.id)}
    update = """mutation($id: ID!) { updateLead(id: $id, input: {company: "Stolen"}) {
        __typename ... on OperationErrors { errors { code } } } }"""
    refused = await gql.data(update, {"id": lead["id"]}, token=world.token("user_b"))
    assert refused["updateLead"]["errors"][0]["code"] == "NOT_FOUND"
    body = await gql.request(
        "query($id: ID!) { lead(id: $id) { id } }",
        {"id": lead["id"]},
        token=world.token("admin_b"),
    )
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    listed = await gql.data("{ leads { nodes { id } } }", token=world.token("user_b"))
    assert listed["leads"]["nodes"] == []
    assert (await Lead.get(id=pk_of(lead["id"]))).company == "Prospect"
    # The channel manager of A sees it; vendor staff cannot create partner leads.
    seen = await gql.data("{ leads { nodes { id } } }", token=world.token("manager"))
    assert seen["leads"]["nodes"] == [{"id": lead["id"]}]
    with pytest.raises(ServiceError):
        await lead_management.create_lead(settings, viewer_for(world.vendor_admin), lead_input())


async def test_bad_lead_input_is_refused_and_writes_nothing(world: World, settings: Settings):
    with pytest.raises(ValidationFailed) as failure:
        await lead_management.create_lead(
            settings,
            viewer_for(world.user_a),
            LeadInput(email="not-an-email", country="NLD", employees=-1, estimated_value="lots"),
        )
    assert {field for field, _ in failure.value.problems} == {
        "email",
        "country",
        "employees",
        "estimatedValue",
    }
    assert await Lead.all().count() == 0


EXPLAIN_QUERY = """query($groups: [RuleGroupInput!], $leadId: ID, $recent: Int!) {
  explainAutoRegistration(groups: $groups, leadId: $leadId, recent: $recent) {
    proposed version owner autoRegistrationEnabled
    leads { lead { id company } wouldRegister matchedGroupIndex ignoredCompany reason
      groups { index matched
        conditions { actualValue matched condition { field operator } } } } } }"""


async def test_explain_over_recent_leads_matches_what_registration_does(
    world: World, gql: GraphQLClient, settings: Settings
):
    groups = [
        [cond(F.COUNTRY, Op.EQUALS, "de")],
        [cond(F.INDUSTRY, Op.CONTAINS, "soft"), cond(F.EMPLOYEES, Op.GREATER_THAN, "50")],
    ]
    user = viewer_for(world.user_a)
    # Leads created before the rules exist: explain shows what the rules WOULD do.
    leads = [
        await lead_management.create_lead(settings, user, lead_input(email="a@a.example")),
        await lead_management.create_lead(
            settings, user, lead_input(email="b@b.example", employees=10)
        ),
        await lead_management.create_lead(
            settings,
            user,
            lead_input(email="c@c.example", country="DE", company="Ignored Ltd"),
        ),
        await lead_management.create_lead(
            settings, user, lead_input(email="d@d.example", country="de")
        ),
    ]
    await lead_ignored_companies.add_ignored_company(viewer_for(world.admin_a), None, "ignored ltd")
    proposed = [
        {
            "conditions": [
                {"field": c.field.name, "operator": c.operator.name, "value": c.value} for c in g
            ]
        }
        for g in groups
    ]
    data = await gql.data(
        EXPLAIN_QUERY, {"groups": proposed, "recent": 10}, token=world.token("admin_a")
    )
    result = data["explainAutoRegistration"]
    assert result["proposed"] is True
    assert result["version"] is None
    by_id = {item["lead"]["id"]: item for item in result["leads"]}
    assert [item["lead"]["id"] for item in result["leads"]] == [
        gid("Lead", lead.id) for lead in reversed(leads)
    ]
    expected = {leads[0].id: 1, leads[1].id: None, leads[2].id: None, leads[3].id: 0}
    for lead_id, group in expected.items():
        item = by_id[gid("Lead", lead_id)]
        assert item["matchedGroupIndex"] == group
        assert item["wouldRegister"] is (group is not None)
    ignored = by_id[gid("Lead", leads[2].id)]
    assert ignored["ignoredCompany"] is True
    assert ignored["groups"][0]["matched"] is True
    second = by_id[gid("Lead", leads[1].id)]["groups"][1]["conditions"]
    assert [(c["actualValue"], c["matched"]) for c in second] == [("Software", True), ("10", False)]
    # Nothing was registered by the dry run.
    assert await Lead.exclude(registration_status=RegistrationStatus.NOT_REGISTERED).count() == 0

    # Save these rules, enable them, and create the same leads again: the real outcome agrees.
    await enable(world, AutoRegistrationMode.PARTNER_DEFINED, groups)
    for lead in leads:
        again = await lead_management.create_lead(
            settings,
            user,
            lead_input(
                email=f"again.{lead.email}",
                country=lead.country,
                company=lead.company,
                employees=lead.employees,
            ),
        )
        await again.refresh_from_db()
        saved = await gql.data(
            EXPLAIN_QUERY,
            {"leadId": gid("Lead", again.id), "recent": 1},
            token=world.token("admin_a"),
        )
        [item] = saved["explainAutoRegistration"]["leads"]
        assert saved["explainAutoRegistration"]["version"] == 1
        registered = again.registration_status is RegistrationStatus.PENDING_CONSENT
        assert item["wouldRegister"] is registered is (expected[lead.id] is not None)
        if registered:
            match = await AutoRegistrationMatch.get(lead_id=again.id)
            assert match.group_index == item["matchedGroupIndex"] == expected[lead.id]


# ---- property: explain and the real registration agree ---------------------------------------

TEXT_FIELDS = [f for f in LeadField if f not in (F.EMPLOYEES, F.ESTIMATED_VALUE)]
TEXT_OPERATORS = [o for o in Operator if o not in (Op.GREATER_THAN, Op.LESS_THAN)]
NUMBER_OPERATORS = [o for o in Operator if o not in (Op.CONTAINS, Op.NOT_CONTAINS, Op.STARTS_WITH)]
WORDS = ["acme", "ACME Corp", "nl", "de", "soft", "Software", "a", "jane", "example", "be"]
NUMBERS = ["0", "10", "50", "120", "5000", "5000.00", "99.5"]


@st.composite
def conditions(draw: st.DrawFn) -> Condition:
    field = draw(st.sampled_from(list(LeadField)))
    number = field in (F.EMPLOYEES, F.ESTIMATED_VALUE)
    operator = draw(st.sampled_from(NUMBER_OPERATORS if number else TEXT_OPERATORS))
    pool = NUMBERS if number else WORDS
    if operator in (Op.IS_EMPTY, Op.IS_NOT_EMPTY):
        return Condition(field, operator)
    if operator in (Op.IN_LIST, Op.NOT_IN_LIST):
        values = draw(st.lists(st.sampled_from(pool), min_size=1, max_size=3))
        return Condition(field, operator, None, tuple(values))
    return Condition(field, operator, draw(st.sampled_from(pool)))


rule_sets = st.lists(st.lists(conditions(), min_size=1, max_size=3), min_size=0, max_size=4)
leads = st.fixed_dictionaries(
    {
        "email": st.sampled_from(["jane@acme.example", "bob@software.be", "x@nl.example"]),
        "company": st.sampled_from(["Acme Corp", "acme", "Ignored Ltd", "", "Software NL"]),
        "country": st.sampled_from(["NL", "DE", "BE", ""]),
        "industry": st.sampled_from(["Software", "soft drinks", ""]),
        "first_name": st.sampled_from(["Jane", "", "a"]),
        "notes": st.sampled_from(["", "acme", "call back"]),
        "employees": st.one_of(st.none(), st.sampled_from([0, 10, 50, 120, 7000])),
        "estimated_value": st.one_of(st.none(), st.sampled_from(["5000", "99.50", "0", "120"])),
    }
)


@pytest.fixture
async def property_world(world: World) -> World:
    admin = viewer_for(world.admin_a)
    await lead_settings.set_auto_registration(
        admin, None, True, AutoRegistrationMode.PARTNER_DEFINED
    )
    await lead_ignored_companies.add_ignored_company(admin, None, "Ignored Ltd")
    return world


@hypothesis_settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(groups=rule_sets, lead=leads)
async def test_explain_and_real_registration_agree(
    property_world: World, groups: list[list[Condition]], lead: dict[str, Any], settings: Settings
):
    world = property_world
    admin, user = viewer_for(world.admin_a), viewer_for(world.user_a)
    if groups:
        await lead_rule_sets.replace_rule_set(admin, None, RuleSetOwner.PARTNER, groups)
    else:
        await RuleSetVersion.filter(partner_id=world.partner_a.id).delete()
    created = await lead_management.create_lead(settings, user, LeadInput(**lead))
    await created.refresh_from_db()
    result = await lead_rule_sets.explain_auto_registration(admin, None, lead_id=created.id)
    [(_, explanation)] = result.leads
    registered = created.registration_status is RegistrationStatus.PENDING_CONSENT
    assert explanation.would_register is registered
    match = await AutoRegistrationMatch.get_or_none(lead_id=created.id)
    assert (match.group_index if match else None) == explanation.matched_group_index
    # And with the rules as a proposal, the same answer.
    proposal = (
        await lead_rule_sets.explain_auto_registration(
            admin, None, lead_id=created.id, proposed_groups=groups
        )
        if groups
        else result
    )
    assert proposal.leads[0][1].would_register is registered


async def test_explain_refuses_distributed_leads_and_other_partners_leads(
    world: World, settings: Settings
):
    vendor_lead = await lead_management.create_vendor_lead(
        viewer_for(world.vendor_admin), LeadInput(email="v@vendor-lead.example")
    )
    await Lead.filter(id=vendor_lead.id).update(partner_id=world.partner_a.id)
    admin = viewer_for(world.admin_a)
    with pytest.raises(ValidationFailed) as failure:
        await lead_rule_sets.explain_auto_registration(admin, None, lead_id=vendor_lead.id)
    assert failure.value.problems[0][0] == "leadId"
    own_b = await lead_management.create_lead(settings, viewer_for(world.user_b), lead_input())
    with pytest.raises(ServiceError) as refused:
        await lead_rule_sets.explain_auto_registration(admin, None, lead_id=own_b.id)
    assert refused.value.code is ErrorCode.NOT_FOUND
    recent = await lead_rule_sets.explain_auto_registration(admin, None)
    assert recent.leads == []  # neither the distributed lead nor partner B's lead

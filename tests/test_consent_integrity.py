"""The central promise through the public API: a customer is linked to a partner only with that
customer's proven consent, and a partner never learns which other partner holds a customer.

- The address of a lead that is pending consent, registered or in conflict cannot change.
- Auto-registration rules start the same registration as `registerLead` (protection window,
  consent email); the lead is linked only after the customer's approval.
- A resend takes the same path: a customer another partner holds gets no email, the lead goes to
  conflict.
- Lead history, consent history, conflicts and the switch-account log never name, number or date
  another partner for a partner; vendor staff still see the holder.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import httpx

from models.accounts import SwitchAccountAudit, SwitchOutcome
from models.consent import ConsentAction, ConsentLedgerEntry, LeadConflict
from models.leads import Lead, LeadEvent, RegistrationStatus
from models.outbox import OutboxEmail
from services.consent.jobs import expire_consent_requests
from settings import Settings
from tests.accounts_support import fixed_now, make_customer
from tests.conftest import GraphQLClient, World, gid, pk_of
from tests.test_consent_invariant import check_invariant
from tests.test_consent_registration import (
    RESEND,
    answer,
    consent_emails,
    forms_of,
    latest_token,
    register,
    snapshot,
)

UPDATE = """
mutation($id: ID!, $input: LeadFieldsInput!) {
  updateLead(id: $id, input: $input) {
    __typename
    ... on Lead { id email registrationStatus }
    ... on OperationErrors { errors { field message code } }
  }
}"""

CREATE = """
mutation($input: LeadFieldsInput!) {
  createLead(input: $input) {
    __typename
    ... on Lead { id email registrationStatus }
    ... on OperationErrors { errors { field message code } }
  }
}"""

REGISTRATION = """
query($id: ID!) {
  lead(id: $id) {
    status: registrationStatus linked registeredAt
    consentHistory { nodes { action partner { id } partnerName } }
    conflict { reason resolutionNote holderLead { id } holderPartner { name } }
  }
}"""

HISTORY = """{ leads(first: 50) { nodes { id
  history(first: 100) { nodes { kind partner { id } details { __typename
    ... on RegistrationConflictDetails { reason conflict { id reason resolutionNote
      holderLead { id } holderPartner { id name } } }
    ... on ConflictResolvedDetails { resolution note }
    ... on RegistrationMovedDetails { toLead { id } toPartner { id name } }
    ... on ConsentRequestedDetails { email }
    ... on ConsentApprovedDetails { registeredAt } } } } } } }"""

ENABLE_RULES = """
mutation($groups: [RuleGroupInput!]!) {
  setAutoRegistration(enabled: true, mode: PARTNER_DEFINED) { __typename }
  replaceAutoRegistrationRules(owner: PARTNER, groups: $groups) { __typename }
}"""

EMAIL_NOT_EMPTY = [{"conditions": [{"field": "EMAIL", "operator": "IS_NOT_EMPTY"}]}]


async def update_email(gql: GraphQLClient, token: str, lead_id: str, email: str) -> dict[str, Any]:
    data = await gql.data(UPDATE, {"id": lead_id, "input": {"email": email}}, token=token)
    return data["updateLead"]


def assert_refused_on_email(result: dict[str, Any]) -> None:
    assert result["__typename"] == "OperationErrors", result
    [error] = result["errors"]
    assert (error["field"], error["code"]) == ("email", "INVALID")
    assert "cannot change" in error["message"]


# ---- 1. the address of a registration ----------------------------------------------------------


async def test_email_of_a_pending_registered_or_conflict_lead_cannot_change(
    gql: GraphQLClient, http: httpx.AsyncClient, world: World
):
    user_a, user_b = world.token("user_a"), world.token("user_b")
    pending = await register(gql, user_a, "first@example.test")
    before = await snapshot()
    assert_refused_on_email(await update_email(gql, user_a, pending["id"], "other@example.test"))
    assert await snapshot() == before
    # The pending request still works for the address it was sent to.
    await answer(http, await latest_token(pk_of(pending["id"])), "approve")
    registered = await Lead.get(id=pk_of(pending["id"]))
    assert registered.registration_status is RegistrationStatus.REGISTERED

    before = await snapshot()
    assert_refused_on_email(await update_email(gql, user_a, pending["id"], "free@example.test"))
    assert await snapshot() == before
    assert (await Lead.get(id=registered.id)).email == "first@example.test"
    # The address that never consented is not blocked for another partner.
    other = await register(gql, user_b, "free@example.test")
    assert other["status"] == "PENDING_CONSENT"

    conflict = await register(gql, user_b, "first@example.test")
    assert conflict["status"] == "CONFLICT"
    before = await snapshot()
    assert_refused_on_email(await update_email(gql, user_b, conflict["id"], "x@example.test"))
    assert await snapshot() == before

    # The same address written differently is no change; other fields may change.
    same = await gql.data(
        UPDATE,
        {"id": pending["id"], "input": {"email": " First@Example.test ", "company": "First BV"}},
        token=user_a,
    )
    assert same["updateLead"]["email"] == "first@example.test"
    assert (await Lead.get(id=registered.id)).company == "First BV"


async def test_email_of_a_lead_not_being_registered_can_change(gql: GraphQLClient, world: World):
    created = (
        await gql.data(
            CREATE, {"input": {"email": "typo@exmaple.test"}}, token=world.token("user_a")
        )
    )["createLead"]
    fixed = await update_email(gql, world.token("user_a"), created["id"], "typo@example.test")
    assert fixed["email"] == "typo@example.test"
    assert fixed["registrationStatus"] == "NOT_REGISTERED"


# ---- 2. auto-registration takes the consent path -----------------------------------------------


async def test_auto_registration_asks_the_customer_and_respects_the_protection_window(
    gql: GraphQLClient, http: httpx.AsyncClient, world: World
):
    await gql.data(ENABLE_RULES, {"groups": EMAIL_NOT_EMPTY}, token=world.token("admin_a"))
    # Beta holds one customer with consent.
    held = await register(gql, world.token("user_b"), "held@example.test")
    await answer(http, await latest_token(pk_of(held["id"])), "approve")

    # Alpha's rule matches a lead for that customer: a conflict, no email, not linked.
    clash = (
        await gql.data(
            CREATE, {"input": {"email": "held@example.test"}}, token=world.token("user_a")
        )
    )["createLead"]
    assert clash["registrationStatus"] == "CONFLICT"
    assert await consent_emails(pk_of(clash["id"])) == []
    view = (await gql.data(REGISTRATION, {"id": clash["id"]}, token=world.token("user_a")))["lead"]
    assert (view["status"], view["linked"], view["registeredAt"]) == ("CONFLICT", False, None)
    assert await LeadConflict.filter(lead_id=pk_of(clash["id"])).count() == 1
    holder = await Lead.get(id=pk_of(held["id"]))
    assert holder.registration_status is RegistrationStatus.REGISTERED

    # A free customer: the consent email goes out, and the lead is linked only on approval.
    fresh = (
        await gql.data(
            CREATE, {"input": {"email": "new@example.test"}}, token=world.token("user_a")
        )
    )["createLead"]
    assert fresh["registrationStatus"] == "PENDING_CONSENT"
    [email] = await consent_emails(pk_of(fresh["id"]))
    assert email.recipient == "new@example.test"
    assert "Alpha Partners" in email.subject
    view = (await gql.data(REGISTRATION, {"id": fresh["id"]}, token=world.token("user_a")))["lead"]
    assert (view["linked"], [e["action"] for e in view["consentHistory"]["nodes"]]) == (
        False,
        ["REQUEST"],
    )
    await answer(http, await latest_token(pk_of(fresh["id"])), "approve")
    view = (await gql.data(REGISTRATION, {"id": fresh["id"]}, token=world.token("user_a")))["lead"]
    assert view["linked"] is True
    assert [e["action"] for e in view["consentHistory"]["nodes"]] == ["REQUEST", "APPROVAL"]


async def test_auto_registration_on_update_takes_the_same_path(
    gql: GraphQLClient, http: httpx.AsyncClient, world: World
):
    country_nl = [{"conditions": [{"field": "COUNTRY", "operator": "EQUALS", "value": "NL"}]}]
    await gql.data(ENABLE_RULES, {"groups": country_nl}, token=world.token("admin_a"))
    created = (
        await gql.data(
            CREATE, {"input": {"email": "later@example.test"}}, token=world.token("user_a")
        )
    )["createLead"]
    assert created["registrationStatus"] == "NOT_REGISTERED"
    updated = (
        await gql.data(
            UPDATE, {"id": created["id"], "input": {"country": "NL"}}, token=world.token("user_a")
        )
    )["updateLead"]
    assert updated["registrationStatus"] == "PENDING_CONSENT"
    assert len(await consent_emails(pk_of(created["id"]))) == 1
    assert not await ConsentLedgerEntry.exists(action=ConsentAction.APPROVAL)
    await answer(http, await latest_token(pk_of(created["id"])), "decline")
    assert (await Lead.get(id=pk_of(created["id"]))).registration_status is (
        RegistrationStatus.DECLINED
    )


# ---- a resend checks the protection window -----------------------------------------------------


async def resend(gql: GraphQLClient, token: str, lead_id: str) -> dict[str, Any]:
    return (await gql.data(RESEND, {"id": lead_id}, token=token))["resendConsentRequest"]


async def test_resend_to_a_customer_another_partner_holds_sends_nothing_and_conflicts(
    gql: GraphQLClient, http: httpx.AsyncClient, world: World, settings: Settings
):
    user_a, user_b = world.token("user_a"), world.token("user_b")
    held = await register(gql, user_b, "held@example.test")
    await answer(http, await latest_token(pk_of(held["id"])), "approve")
    held_emails = await OutboxEmail.filter(recipient="held@example.test").count()

    # A declined lead whose address is then changed to the held customer's.
    declined = await register(gql, user_a, "wrong@example.test")
    await answer(http, await latest_token(pk_of(declined["id"])), "decline")
    changed = await update_email(gql, user_a, declined["id"], "held@example.test")
    assert (changed["email"], changed["registrationStatus"]) == ("held@example.test", "DECLINED")
    resent = await resend(gql, user_a, declined["id"])
    assert resent == {"__typename": "Lead", "id": declined["id"], "status": "CONFLICT"}
    assert await OutboxEmail.filter(recipient="held@example.test").count() == held_emails
    assert len(await consent_emails(pk_of(declined["id"]))) == 1  # the first one, to wrong@
    [conflict] = await LeadConflict.filter(lead_id=pk_of(declined["id"]))
    assert conflict.holder_lead_id == pk_of(held["id"])  # type: ignore[attr-defined]
    assert not await ConsentLedgerEntry.filter(
        lead_id=pk_of(declined["id"]), action=ConsentAction.RESEND
    ).exists()

    # An expired request to a customer another partner registered in the meantime.
    late = await register(gql, user_a, "late@example.test")
    other = await register(gql, user_b, "late@example.test")
    await answer(http, await latest_token(pk_of(other["id"])), "approve")
    await expire_consent_requests(settings, fixed_now().replace(year=fixed_now().year + 1))
    assert (await Lead.get(id=pk_of(late["id"]))).registration_status is RegistrationStatus.EXPIRED
    resent = await resend(gql, user_a, late["id"])
    assert resent["status"] == "CONFLICT"
    assert len(await consent_emails(pk_of(late["id"]))) == 1

    # Still pending, but the customer approved another partner first: the open link stops working.
    pending = await register(gql, user_a, "both@example.test")
    first = await register(gql, user_b, "both@example.test")
    await answer(http, await latest_token(pk_of(first["id"])), "approve")
    open_link = await latest_token(pk_of(pending["id"]))
    resent = await resend(gql, user_a, pending["id"])
    assert resent["status"] == "CONFLICT"
    assert len(await consent_emails(pk_of(pending["id"]))) == 1
    page = await http.get(f"/consent/{open_link}")
    assert (page.status_code, "replaced" in page.text) == (410, True)
    assert forms_of(page.text) == []
    await check_invariant()

    # The partner is not told who holds them; a free customer still gets the resend.
    alpha = (await gql.data(HISTORY, token=user_a))["leads"]["nodes"]
    assert _mentions_beta(alpha, world) == []
    free = await register(gql, user_a, "free@example.test")
    await answer(http, await latest_token(pk_of(free["id"])), "decline")
    assert (await resend(gql, user_a, free["id"]))["status"] == "PENDING_CONSENT"
    assert len(await consent_emails(pk_of(free["id"]))) == 2


# ---- 3. nobody learns who holds a customer -----------------------------------------------------


# Details fields that would point to the holder (or carry the vendor's notes about it).
IDENTIFYING_FIELDS = {"holderPartner", "holderLead", "toPartner", "toLead", "note"}


def _identifying(value: Any) -> set[str]:
    """The identifying fields set (not null) anywhere inside a details object."""
    if isinstance(value, list):
        return set().union(*(_identifying(item) for item in value))
    if not isinstance(value, dict):
        return set()
    found = {key for key, item in value.items() if key in IDENTIFYING_FIELDS and item}
    return found.union(*(_identifying(item) for item in value.values()))


def _mentions_beta(value: Any, world: World) -> list[str]:
    """How a partner's view names, numbers or dates the holder (Beta and its lead)."""
    found = []
    if "Beta" in json.dumps(value):
        found.append("name")
    entries = [e for node in value for e in node.get("history", {}).get("nodes", [])]
    holder = {"id": gid("Partner", world.partner_b.id)}
    for entry in entries:
        if entry["partner"] == holder:
            found.append("entry of the holder")
        details = entry["details"]
        if _identifying(details):
            found.append(f"fields {sorted(_identifying(details))}")
        # The holder's registration date (the lead's own dates are its partner's to see).
        own_dates = entry["kind"] in ("CONSENT_APPROVED",)
        if not own_dates and datetime.now(UTC).strftime("%Y-%m-%d") in json.dumps(details):
            found.append("registration date")
    for node in value:
        for item in node.get("consentHistory", {}).get("nodes", []):
            if item["partner"] == holder:
                found.append("holder in the consent history")
    return found


async def test_lead_history_never_names_the_partner_holding_the_customer(
    gql: GraphQLClient, http: httpx.AsyncClient, world: World
):
    held = await register(gql, world.token("user_b"), "held@example.test")
    await answer(http, await latest_token(pk_of(held["id"])), "approve")
    clash = await register(gql, world.token("user_a"), "held@example.test")
    assert clash["status"] == "CONFLICT"

    alpha = (await gql.data(HISTORY, token=world.token("user_a")))["leads"]["nodes"]
    assert _mentions_beta(alpha, world) == []
    [entry] = [e for e in alpha[0]["history"]["nodes"] if e["kind"] == "REGISTRATION_CONFLICT"]
    assert "another partner" in entry["details"]["reason"]

    # The vendor asks the customer, with a note naming the holder; the customer chooses Alpha.
    conflict = await LeadConflict.get(lead_id=pk_of(clash["id"]))
    resolved = await gql.data(
        """mutation($id: ID!) { resolveLeadConflict(id: $id, resolution: ASK_CUSTOMER,
             note: "Beta Partners had it first") { __typename } }""",
        {"id": gid("LeadConflict", conflict.id)},
        token=world.token("vendor_admin"),
    )
    assert resolved["resolveLeadConflict"]["__typename"] == "LeadConflict"
    await answer(http, await latest_token(pk_of(clash["id"])), "approve")

    alpha = (await gql.data(HISTORY, token=world.token("admin_a")))["leads"]["nodes"]
    assert _mentions_beta(alpha, world) == []
    view = (await gql.data(REGISTRATION, {"id": clash["id"]}, token=world.token("user_a")))["lead"]
    assert _mentions_beta([{"history": {"nodes": []}, **view}], world) == []
    assert view["conflict"]["holderPartner"] is None
    assert view["conflict"]["holderLead"] is None
    # Beta, which lost the customer, is not told to whom.
    beta = (await gql.data(HISTORY, token=world.token("user_b")))["leads"]["nodes"]
    [moved] = [e for n in beta for e in n["history"]["nodes"] if e["kind"] == "REGISTRATION_MOVED"]
    assert moved["details"] == {
        "__typename": "RegistrationMovedDetails",
        "toLead": None,
        "toPartner": None,
    }
    assert "Alpha" not in json.dumps(beta)

    # Vendor staff still see the holder, in the conflict and in the history.
    vendor = await gql.data(
        REGISTRATION.replace("consentHistory { nodes { action partner { id } partnerName } }", ""),
        {"id": clash["id"]},
        token=world.token("vendor_admin"),
    )
    assert vendor["lead"]["conflict"]["holderPartner"] == {"name": "Beta Partners"}
    assert "Beta Partners" in vendor["lead"]["conflict"]["reason"]
    everything = (await gql.data(HISTORY, token=world.token("vendor_admin")))["leads"]
    moved_for_vendor = [
        e
        for n in everything["nodes"]
        for e in n["history"]["nodes"]
        if e["kind"] == "REGISTRATION_MOVED"
    ]
    assert moved_for_vendor[0]["details"]["toPartner"] == {
        "id": gid("Partner", world.partner_a.id),
        "name": "Alpha Partners",
    }
    assert moved_for_vendor[0]["details"]["toLead"] == {"id": clash["id"]}


async def test_history_written_before_the_rule_is_filtered_for_partners(
    gql: GraphQLClient, world: World
):
    lead = await register(gql, world.token("user_a"), "old@example.test")
    await LeadEvent.create(
        lead_id=pk_of(lead["id"]),
        kind="registration_conflict",
        partner_id=world.partner_a.id,
        details={
            "reason": "old@example.test is already a registered lead of Beta Partners since "
            "2024-01-02, inside the 90-day protection window.",
            "holder_partner_id": world.partner_b.id,
        },
    )
    await LeadEvent.create(
        lead_id=pk_of(lead["id"]),
        kind="conflict_resolved",
        partner_id=world.partner_a.id,
        details={"resolution": "keep_holder", "note": "Beta Partners keeps it"},
    )
    alpha = (await gql.data(HISTORY, token=world.token("user_a")))["leads"]["nodes"]
    text = json.dumps(alpha)
    for leaked in ("Beta", "2024-01-02", "holder_partner_id"):
        assert leaked not in text
    [resolved] = [e for e in alpha[0]["history"]["nodes"] if e["kind"] == "CONFLICT_RESOLVED"]
    assert resolved["details"] == {
        "__typename": "ConflictResolvedDetails",
        "resolution": "KEEP_HOLDER",
        "note": None,
    }


async def test_switch_account_log_does_not_tell_who_owns_a_customer(
    gql: GraphQLClient, world: World
):
    foreign = await make_customer(world.partner_b, "Beta's customer", fixed_now())
    refused = await gql.data(
        """mutation($id: ID!) { switchAccount(customerId: $id) {
             ... on OperationErrors { errors { code message } } } }""",
        {"id": gid("Customer", foreign.id)},
        token=world.token("admin_a"),
    )
    assert refused["switchAccount"]["errors"][0]["code"] == "NOT_FOUND"
    missing = await gql.data(
        f'mutation {{ switchAccount(customerId: "{gid("Customer", 987654)}") {{ __typename }} }}',
        token=world.token("admin_a"),
    )
    assert missing["switchAccount"]["__typename"] == "OperationErrors"
    # An entry written before, in the old words.
    await SwitchAccountAudit.create(
        user_id=world.admin_a.id,
        user_email=world.admin_a.email,
        partner_id=world.partner_a.id,
        customer_id=foreign.id,
        outcome=SwitchOutcome.REFUSED,
        reason=f"The customer belongs to partner {world.partner_b.id}.",
        client_address="10.0.0.1",
        created_at=fixed_now(),
    )
    log = "{ switchAccountLog(first: 20) { nodes { customer { name } outcome reason } } }"
    alpha = (await gql.data(log, token=world.token("admin_a")))["switchAccountLog"]["nodes"]
    assert len(alpha) == 3
    reasons = {entry["reason"] for entry in alpha}
    assert reasons == {"No customer of yours has this id."}
    assert f"partner {world.partner_b.id}" not in json.dumps(alpha)
    assert foreign.name not in json.dumps(alpha)
    vendor = (await gql.data(log, token=world.token("vendor_admin")))["switchAccountLog"]["nodes"]
    assert f"The customer belongs to partner {world.partner_b.id}." in {
        entry["reason"] for entry in vendor
    }

"""Every webhook event type, triggered through the public API (or the worker job that causes it)
and received, signature verified, by a real HTTP receiver with its documented default payload.

`TRIGGERS` is the table: one entry per event type, each doing what makes that event happen and
returning the fields the payload's `data` must hold. An event type missing from the table, or one
whose change emits nothing, fails here.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from models.consent import LeadConflict
from models.customers import Customer
from models.deal_registrations import DealRegistration
from models.deals import Commission
from models.webhooks import WebhookEventType
from services.consent.jobs import expire_consent_requests
from services.consent.tokens import newsletter_withdraw_url
from services.customers.jobs import run_close_ended_trials
from services.deals.jobs import expire_ended_protections
from services.leads.jobs import return_overdue_leads
from services.webhooks.delivery import deliver_due_webhooks
from settings import Settings
from tests.conftest import GraphQLClient, World, free_port, gid, make_settings, pk_of
from tests.messaging_support import PUBLISH, SEND, create_message
from tests.test_consent_registration import answer, forms_of, latest_token, register
from tests.webhook_receiver import Receiver

CREATE_ENDPOINT = """
mutation($input: WebhookEndpointInput!) {
  createWebhookEndpoint(input: $input) {
    ... on WebhookEndpointWithSecret { secret endpoint { id } }
    ... on OperationErrors { errors { field message code } }
  }
}"""
OPERATION_RESULT = "__typename ... on OperationErrors { errors { field message code } }"


@dataclass
class Scenario:
    gql: GraphQLClient
    http: httpx.AsyncClient
    world: World
    settings: Settings

    async def run(self, who: str, document: str, **variables: Any) -> dict[str, Any]:
        """The one result object of a one-field mutation, which must not be an error."""
        data = await self.gql.data(document, variables, token=self.world.token(who))
        result = next(iter(data.values()))
        assert result.get("__typename") != "OperationErrors", result
        assert "errors" not in result, result
        return result


Trigger = Callable[[Scenario], Awaitable[dict[str, Any]]]

# ---- lead registration (consent) -------------------------------------------------------------


async def _registered(s: Scenario, email: str = "eva@example.test", who: str = "user_a") -> str:
    lead = await register(s.gql, s.world.token(who), email)
    assert lead["__typename"] == "Lead", lead
    return str(lead["id"])


async def _approved(s: Scenario, email: str = "eva@example.test") -> str:
    lead_id = await _registered(s, email)
    response = await answer(s.http, await latest_token(pk_of(lead_id, "Lead")), "approve")
    assert response.status_code == 200, response.text
    return lead_id


async def registration_requested(s: Scenario) -> dict[str, Any]:
    return {
        "id": await _registered(s),
        "registrationStatus": "PENDING_CONSENT",
        "email": "eva@example.test",
    }


async def registration_approved(s: Scenario) -> dict[str, Any]:
    return {"id": await _approved(s), "registrationStatus": "REGISTERED", "linked": True}


async def registration_declined(s: Scenario) -> dict[str, Any]:
    lead_id = await _registered(s)
    await answer(s.http, await latest_token(pk_of(lead_id, "Lead")), "decline")
    return {"id": lead_id, "registrationStatus": "DECLINED"}


async def registration_expired(s: Scenario) -> dict[str, Any]:
    lead_id = await _registered(s)
    assert await expire_consent_requests(s.settings, datetime.now(UTC) + timedelta(days=400)) == 1
    return {"id": lead_id, "registrationStatus": "EXPIRED"}


async def registration_withdrawn(s: Scenario) -> dict[str, Any]:
    lead_id = await _approved(s)
    url = newsletter_withdraw_url(s.settings, "eva@example.test").removeprefix(
        s.settings.public_url
    )
    [form] = forms_of((await s.http.get(url)).text)
    assert (await s.http.post(form["action"], data=form["fields"])).status_code == 200
    return {"id": lead_id, "email": "eva@example.test"}


async def registration_in_conflict(s: Scenario) -> dict[str, Any]:
    await _approved(s)
    return {"id": await _registered(s, who="user_b"), "registrationStatus": "CONFLICT"}


# ---- managed leads ---------------------------------------------------------------------------

CREATE_LEAD = f"""mutation($input: LeadFieldsInput!) {{ createLead(input: $input) {{
  {OPERATION_RESULT} ... on Lead {{ id }} }} }}"""
UPDATE_LEAD = f"""mutation($id: ID!, $input: LeadFieldsInput!) {{ updateLead(id: $id, input: $input)
  {{ {OPERATION_RESULT} ... on Lead {{ id }} }} }}"""
CREATE_VENDOR_LEAD = f"""mutation($input: LeadFieldsInput!) {{ createVendorLead(input: $input) {{
  {OPERATION_RESULT} ... on Lead {{ id }} }} }}"""
DISTRIBUTE = f"""mutation($ids: [ID!]!, $p: ID!, $by: DateTime) {{
  distributeLeads(leadIds: $ids, partnerId: $p, acceptBy: $by) {{ {OPERATION_RESULT} }} }}"""
ACCEPT_LEAD = f"mutation($id: ID!) {{ acceptLead(id: $id) {{ {OPERATION_RESULT} }} }}"
REJECT_LEAD = f"""mutation($id: ID!) {{ rejectLead(id: $id, reason: "No capacity") {{
  {OPERATION_RESULT} }} }}"""


async def lead_created(s: Scenario) -> dict[str, Any]:
    lead = await s.run("user_a", CREATE_LEAD, input={"email": "new@lead.test", "company": "Acme"})
    return {"id": lead["id"], "company": "Acme", "source": "PARTNER"}


async def lead_updated(s: Scenario) -> dict[str, Any]:
    lead = await s.run("user_a", CREATE_LEAD, input={"email": "new@lead.test", "company": "Acme"})
    await s.run("user_a", UPDATE_LEAD, id=lead["id"], input={"company": "Acme Two"})
    return {"id": lead["id"], "company": "Acme Two"}


async def _distributed(s: Scenario, accept_by: datetime | None = None) -> str:
    lead = await s.run("vendor_admin", CREATE_VENDOR_LEAD, input={"email": "big@deal.test"})
    await s.run(
        "vendor_admin",
        DISTRIBUTE,
        ids=[lead["id"]],
        p=gid("Partner", s.world.partner_a.id),
        by=accept_by.isoformat() if accept_by else None,
    )
    return str(lead["id"])


async def lead_distributed(s: Scenario) -> dict[str, Any]:
    lead_id = await _distributed(s)
    return {
        "id": lead_id,
        "distributionStatus": "PENDING",
        "partner": {"id": gid("Partner", s.world.partner_a.id)},
    }


async def lead_accepted(s: Scenario) -> dict[str, Any]:
    lead_id = await _distributed(s)
    await s.run("user_a", ACCEPT_LEAD, id=lead_id)
    return {"id": lead_id, "distributionStatus": "ACCEPTED"}


async def lead_rejected(s: Scenario) -> dict[str, Any]:
    lead_id = await _distributed(s)
    await s.run("user_a", REJECT_LEAD, id=lead_id)
    return {"id": lead_id, "distributionStatus": "REJECTED", "partner": None}


async def lead_returned(s: Scenario) -> dict[str, Any]:
    accept_by = datetime.now(UTC) + timedelta(hours=1)
    lead_id = await _distributed(s, accept_by)
    assert await return_overdue_leads(s.settings, now=accept_by + timedelta(minutes=1)) == 1
    return {"id": lead_id, "distributionStatus": "RETURNED", "partner": None}


# ---- customers, deals and commissions --------------------------------------------------------

CREATE_CUSTOMER = f"""mutation($name: String!) {{ createCustomer(name: $name) {{
  {OPERATION_RESULT} ... on Customer {{ id }} }} }}"""
REGISTER_DEAL = f"""mutation($customer: ID!) {{
  registerDeal(customerId: $customer, product: "Compliance Pro", amount: "1000.00") {{
  {OPERATION_RESULT} ... on Deal {{ id }} }} }}"""
UPDATE_DEAL = f"""mutation($id: ID!) {{ updateDeal(id: $id, input: {{amount: "2500.00"}}) {{
  {OPERATION_RESULT} }} }}"""
MARK_LOST = f"""mutation($id: ID!) {{ markDealLost(id: $id, reason: "Budget") {{
  {OPERATION_RESULT} }} }}"""
CONVERT = f"""mutation($customer: ID!) {{ convertTrialToPaid(customerId: $customer) {{
  {OPERATION_RESULT} ... on Conversion {{ commission {{ id }} }} }} }}"""
RENEW = f"mutation($id: ID!) {{ recordRenewal(customerId: $id) {{ {OPERATION_RESULT} }} }}"
APPROVE = f"mutation($id: ID!) {{ approveCommission(id: $id) {{ {OPERATION_RESULT} }} }}"
PAY = f"mutation($id: ID!) {{ markCommissionPaid(id: $id) {{ {OPERATION_RESULT} }} }}"


async def _customer(s: Scenario) -> str:
    return str((await s.run("user_a", CREATE_CUSTOMER, name="Contoso"))["id"])


async def _deal(s: Scenario) -> tuple[str, str]:
    customer_id = await _customer(s)
    return customer_id, str((await s.run("user_a", REGISTER_DEAL, customer=customer_id))["id"])


async def _converted(s: Scenario) -> tuple[str, str, str]:
    customer_id, deal_id = await _deal(s)
    conversion = await s.run("vendor_admin", CONVERT, customer=customer_id)
    return customer_id, deal_id, str(conversion["commission"]["id"])


async def customer_created(s: Scenario) -> dict[str, Any]:
    return {"id": await _customer(s), "name": "Contoso", "status": "TRIAL"}


async def customer_converted(s: Scenario) -> dict[str, Any]:
    customer_id, _, _ = await _converted(s)
    return {"id": customer_id, "status": "ACTIVE"}


async def customer_closed(s: Scenario) -> dict[str, Any]:
    customer_id = await _customer(s)
    # The trial's end comes (set in the past), then the worker job closes it.
    ended = datetime.now(UTC) - timedelta(minutes=1)
    await Customer.filter(id=pk_of(customer_id, "Customer")).update(trial_ends_at=ended)
    assert await run_close_ended_trials(s.settings) == 1
    return {"id": customer_id, "status": "CLOSED"}


async def customer_renewed(s: Scenario) -> dict[str, Any]:
    customer_id, _, _ = await _converted(s)
    before = await Customer.get(id=pk_of(customer_id, "Customer"))
    assert before.next_renewal_at is not None
    await s.run("vendor_admin", RENEW, id=customer_id)
    after = await Customer.get(id=pk_of(customer_id, "Customer"))
    assert after.next_renewal_at is not None
    assert after.next_renewal_at > before.next_renewal_at
    return {"id": customer_id, "status": "ACTIVE", "nextRenewalAt": after.next_renewal_at}


async def deal_registered(s: Scenario) -> dict[str, Any]:
    _, deal_id = await _deal(s)
    return {"id": deal_id, "status": "OPEN", "amount": "1000.00"}


async def deal_updated(s: Scenario) -> dict[str, Any]:
    _, deal_id = await _deal(s)
    await s.run("user_a", UPDATE_DEAL, id=deal_id)
    return {"id": deal_id, "status": "OPEN", "amount": "2500.00"}


async def deal_won(s: Scenario) -> dict[str, Any]:
    _, deal_id, _ = await _converted(s)
    return {"id": deal_id, "status": "WON"}


async def deal_lost(s: Scenario) -> dict[str, Any]:
    _, deal_id = await _deal(s)
    await s.run("user_a", MARK_LOST, id=deal_id)
    return {"id": deal_id, "status": "LOST", "lostReason": "Budget"}


async def commission_created(s: Scenario) -> dict[str, Any]:
    _, deal_id, commission_id = await _converted(s)
    commission = await Commission.get(id=pk_of(commission_id, "Commission"))
    return {
        "id": commission_id,
        "deal": {"id": deal_id},
        "status": "PENDING",
        "amount": f"{commission.amount:.2f}",
    }


async def commission_approved(s: Scenario) -> dict[str, Any]:
    _, _, commission_id = await _converted(s)
    await s.run("vendor_admin", APPROVE, id=commission_id)
    return {"id": commission_id, "status": "APPROVED"}


async def commission_paid(s: Scenario) -> dict[str, Any]:
    _, _, commission_id = await _converted(s)
    await s.run("vendor_admin", APPROVE, id=commission_id)
    await s.run("vendor_admin", PAY, id=commission_id)
    return {"id": commission_id, "status": "PAID"}


# ---- deal registrations ----------------------------------------------------------------------

REGISTRATION = f"{OPERATION_RESULT} ... on DealRegistration {{ id }}"
SUBMIT_REGISTRATION = f"""mutation($input: DealRegistrationInput!) {{
  submitDealRegistration(input: $input) {{ {REGISTRATION} }} }}"""
APPROVE_REGISTRATION = f"""mutation($id: ID!) {{ approveDealRegistration(id: $id) {{
  {REGISTRATION} }} }}"""
REGISTRATION_FORM = {
    "companyName": "Northwind",
    "companyDomain": "northwind.example",
    "contactName": "Nina North",
    "contactEmail": "nina@northwind.example",
    "products": "Compliance Pro",
    "amount": "5000.00",
}


async def _registration(s: Scenario, customer_id: str | None = None) -> str:
    form = {**REGISTRATION_FORM, **({"customerId": customer_id} if customer_id else {})}
    return str((await s.run("user_a", SUBMIT_REGISTRATION, input=form))["id"])


async def _approved_registration(s: Scenario, customer_id: str | None = None) -> str:
    registration_id = await _registration(s, customer_id)
    await s.run("vendor_admin", APPROVE_REGISTRATION, id=registration_id)
    return registration_id


async def deal_registration_submitted(s: Scenario) -> dict[str, Any]:
    return {
        "id": await _registration(s),
        "status": "SUBMITTED",
        "companyName": "Northwind",
        "partner": {"id": gid("Partner", s.world.partner_a.id)},
    }


async def deal_registration_info_requested(s: Scenario) -> dict[str, Any]:
    registration_id = await _registration(s)
    await s.run(
        "manager",
        f"""mutation($id: ID!) {{ requestDealRegistrationInformation(id: $id,
          message: "Which plan?") {{ {REGISTRATION} }} }}""",
        id=registration_id,
    )
    return {"id": registration_id, "status": "INFO_REQUESTED", "infoRequest": "Which plan?"}


async def deal_registration_approved(s: Scenario) -> dict[str, Any]:
    return {"id": await _approved_registration(s), "status": "APPROVED", "autoApproved": False}


async def deal_registration_rejected(s: Scenario) -> dict[str, Any]:
    registration_id = await _registration(s)
    await s.run(
        "vendor_admin",
        f"""mutation($id: ID!) {{ rejectDealRegistration(id: $id, reason: "Known account") {{
          {REGISTRATION} }} }}""",
        id=registration_id,
    )
    return {"id": registration_id, "status": "REJECTED", "rejectionReason": "Known account"}


async def _extension_requested(s: Scenario) -> str:
    registration_id = await _approved_registration(s)
    await s.run(
        "user_a",
        f"""mutation($id: ID!) {{ requestDealRegistrationExtension(id: $id, reason: "Budget")
          {{ {REGISTRATION} }} }}""",
        id=registration_id,
    )
    return registration_id


async def deal_registration_extension_requested(s: Scenario) -> dict[str, Any]:
    registration_id = await _extension_requested(s)
    return {"id": registration_id, "extensionState": "REQUESTED", "extensionReason": "Budget"}


async def deal_registration_extended(s: Scenario) -> dict[str, Any]:
    registration_id = await _extension_requested(s)
    await s.run(
        "vendor_admin",
        f"mutation($id: ID!) {{ grantDealRegistrationExtension(id: $id) {{ {REGISTRATION} }} }}",
        id=registration_id,
    )
    return {"id": registration_id, "status": "APPROVED", "extensionState": "GRANTED"}


async def deal_registration_expired(s: Scenario) -> dict[str, Any]:
    registration_id = await _approved_registration(s)
    pk = pk_of(registration_id, "DealRegistration")
    ended = datetime.now(UTC) - timedelta(minutes=1)
    await DealRegistration.filter(id=pk).update(protected_until=ended)
    assert await expire_ended_protections(datetime.now(UTC)) == 1
    return {"id": registration_id, "status": "EXPIRED"}


async def deal_registration_won(s: Scenario) -> dict[str, Any]:
    customer_id = await _customer(s)
    registration_id = await _approved_registration(s, customer_id)
    await s.run("vendor_admin", CONVERT, customer=customer_id)
    return {"id": registration_id, "status": "WON"}


async def deal_registration_lost(s: Scenario) -> dict[str, Any]:
    registration_id = await _approved_registration(s)
    await s.run(
        "user_a",
        f"""mutation($id: ID!) {{ markDealRegistrationLost(id: $id, reason: "Budget cut") {{
          {REGISTRATION} }} }}""",
        id=registration_id,
    )
    return {"id": registration_id, "status": "LOST", "lostReason": "Budget cut"}


# ---- partners, partner users, messages -------------------------------------------------------

CREATE_PARTNER = f"""mutation {{
  createPartner(input: {{name: "Gamma", country: "NL", tier: SILVER}},
    firstAdmin: {{email: "a@gamma.test"}})
  {{ {OPERATION_RESULT} ... on Partner {{ id }} }} }}"""
UPDATE_PARTNER = f"""mutation($id: ID!, $input: PartnerInput!) {{ updatePartner(id: $id,
  input: $input) {{ {OPERATION_RESULT} }} }}"""
CREATE_USER = f"""mutation {{ createUser(input: {{email: "new@alpha.test", fullName: "New One"}}) {{
  {OPERATION_RESULT} }} }}"""
OPT_IN = f"mutation {{ notificationPreferences(supplierEmails: true) {{ {OPERATION_RESULT} }} }}"
UPDATE_USER = f"""mutation($id: ID!) {{ updateUser(id: $id, input: {{isActive: false}}) {{
  {OPERATION_RESULT} }} }}"""


async def partner_created(s: Scenario) -> dict[str, Any]:
    partner = await s.run("vendor_admin", CREATE_PARTNER)
    return {"id": partner["id"], "name": "Gamma", "tier": "SILVER"}


async def partner_updated(s: Scenario) -> dict[str, Any]:
    partner_id = gid("Partner", s.world.partner_a.id)
    await s.run("vendor_admin", UPDATE_PARTNER, id=partner_id, input={"name": "Alpha Renamed"})
    return {"id": partner_id, "name": "Alpha Renamed"}


async def partner_status_changed(s: Scenario) -> dict[str, Any]:
    partner_id = gid("Partner", s.world.partner_a.id)
    await s.run("vendor_admin", UPDATE_PARTNER, id=partner_id, input={"status": "INACTIVE"})
    return {"id": partner_id, "status": "INACTIVE"}


async def partner_tier_changed(s: Scenario) -> dict[str, Any]:
    partner_id = gid("Partner", s.world.partner_a.id)
    await s.run("vendor_admin", UPDATE_PARTNER, id=partner_id, input={"tier": "PLATINUM"})
    return {"id": partner_id, "tier": "PLATINUM"}


async def partner_user_created(s: Scenario) -> dict[str, Any]:
    await s.run("admin_a", CREATE_USER)
    return {"email": "new@alpha.test", "fullName": "New One", "isActive": True}


async def partner_user_deactivated(s: Scenario) -> dict[str, Any]:
    user_id = gid("User", s.world.user_a.id)
    await s.run("admin_a", UPDATE_USER, id=user_id)
    return {"id": user_id, "isActive": False}


async def message_sent(s: Scenario) -> dict[str, Any]:
    await s.run("user_a", OPT_IN)
    admin = s.world.token("vendor_admin")
    message = await create_message(s.gql, admin, kind="EMAIL", allPartners=True)
    await s.run("vendor_admin", SEND, id=message["id"])
    return {"id": message["id"], "kind": "EMAIL", "status": "SENDING"}


async def message_published(s: Scenario) -> dict[str, Any]:
    message = await create_message(s.gql, s.world.token("vendor_admin"), allPartners=True)
    await s.run("vendor_admin", PUBLISH, id=message["id"])
    return {"id": message["id"], "kind": "POPUP", "status": "PUBLISHED"}


E = WebhookEventType
TRIGGERS: dict[WebhookEventType, Trigger] = {
    E.LEAD_REGISTRATION_REQUESTED: registration_requested,
    E.LEAD_REGISTRATION_APPROVED: registration_approved,
    E.LEAD_REGISTRATION_DECLINED: registration_declined,
    E.LEAD_REGISTRATION_EXPIRED: registration_expired,
    E.LEAD_REGISTRATION_WITHDRAWN: registration_withdrawn,
    E.LEAD_REGISTRATION_IN_CONFLICT: registration_in_conflict,
    E.LEAD_CREATED: lead_created,
    E.LEAD_UPDATED: lead_updated,
    E.LEAD_DISTRIBUTED: lead_distributed,
    E.LEAD_ACCEPTED: lead_accepted,
    E.LEAD_REJECTED: lead_rejected,
    E.LEAD_RETURNED: lead_returned,
    E.DEAL_REGISTERED: deal_registered,
    E.DEAL_UPDATED: deal_updated,
    E.DEAL_WON: deal_won,
    E.DEAL_LOST: deal_lost,
    E.CUSTOMER_CREATED: customer_created,
    E.CUSTOMER_CONVERTED: customer_converted,
    E.CUSTOMER_CLOSED: customer_closed,
    E.CUSTOMER_RENEWED: customer_renewed,
    E.COMMISSION_CREATED: commission_created,
    E.COMMISSION_APPROVED: commission_approved,
    E.COMMISSION_PAID: commission_paid,
    E.PARTNER_CREATED: partner_created,
    E.PARTNER_UPDATED: partner_updated,
    E.PARTNER_STATUS_CHANGED: partner_status_changed,
    E.PARTNER_TIER_CHANGED: partner_tier_changed,
    E.PARTNER_USER_CREATED: partner_user_created,
    E.PARTNER_USER_DEACTIVATED: partner_user_deactivated,
    E.MESSAGE_SENT: message_sent,
    E.MESSAGE_PUBLISHED: message_published,
    E.DEAL_REGISTRATION_SUBMITTED: deal_registration_submitted,
    E.DEAL_REGISTRATION_INFO_REQUESTED: deal_registration_info_requested,
    E.DEAL_REGISTRATION_APPROVED: deal_registration_approved,
    E.DEAL_REGISTRATION_REJECTED: deal_registration_rejected,
    E.DEAL_REGISTRATION_EXTENSION_REQUESTED: deal_registration_extension_requested,
    E.DEAL_REGISTRATION_EXTENDED: deal_registration_extended,
    E.DEAL_REGISTRATION_EXPIRED: deal_registration_expired,
    E.DEAL_REGISTRATION_WON: deal_registration_won,
    E.DEAL_REGISTRATION_LOST: deal_registration_lost,
}


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return make_settings(
        database_url,
        tmp_path / "data",
        WEBHOOK_ALLOWED_HOSTS="127.0.0.1",
        WEBHOOK_RETRY_SECONDS="0",
    )


@pytest.fixture
def receiver() -> Any:
    server = Receiver(free_port()).start()
    yield server
    server.stop()


def test_the_table_covers_every_event_type() -> None:
    assert set(TRIGGERS) == set(WebhookEventType) - {WebhookEventType.WEBHOOK_TEST}


def _expected(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


@pytest.mark.parametrize("event_type", list(TRIGGERS), ids=lambda t: t.value)
async def test_each_event_type_arrives_signed_with_its_payload(
    event_type: WebhookEventType,
    gql: GraphQLClient,
    http: httpx.AsyncClient,
    world: World,
    settings: Settings,
    receiver: Receiver,
) -> None:
    created = (
        await gql.data(
            CREATE_ENDPOINT,
            {"input": {"url": receiver.url, "eventTypes": [event_type.name]}},
            token=world.token("vendor_admin"),
        )
    )["createWebhookEndpoint"]
    receiver.secret = created["secret"]
    expected = await TRIGGERS[event_type](Scenario(gql, http, world, settings))
    while (await deliver_due_webhooks(settings)).endpoints:
        pass
    assert not receiver.rejected
    assert receiver.received, f"no {event_type.value} event arrived"
    assert {payload["type"] for payload in receiver.received} == {event_type.value}
    assert len(set(receiver.message_ids)) == len(receiver.message_ids)
    payload = receiver.received[-1]
    assert set(payload) == {"type", "timestamp", "data"}
    data = payload["data"]
    assert {key: data.get(key) for key in expected} == {
        key: _expected(value) for key, value in expected.items()
    }
    if event_type is WebhookEventType.LEAD_REGISTRATION_IN_CONFLICT:
        # The conflict names no other partner to the receiver beyond the lead's own.
        assert data["partner"] == {"id": gid("Partner", world.partner_b.id)}
        assert await LeadConflict.all().count() == 1

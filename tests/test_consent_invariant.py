"""Property: the consent invariant holds after every step of any sequence of lead operations.

    No lead is linked without a ledger approval for that lead's current address, and no two
    partners are linked to one address inside the protection window.

Hypothesis generates sequences of the operations that create or change a lead, sent through the
public GraphQL API and the consent pages like real users would: `registerLead`, `createLead` and
`updateLead` (both partners have auto-registration rules), a vendor lead distributed and
accepted or rejected, the customer's approval or decline on the consent page, `resend`, conflict
resolution, withdrawal on the unsubscribe page, and the expiry job. After every step the
invariant is checked against the database. Refused operations are part of the game.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta

import httpx
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from models.consent import ConflictStatus, ConsentAction, ConsentLedgerEntry, LeadConflict
from models.enums import Role
from models.leads import Lead, LeadSource, RegistrationStatus
from services.consent.jobs import expire_consent_requests
from services.consent.tokens import newsletter_withdraw_url
from services.vendor.service import get_vendor_settings
from settings import Settings
from tests.conftest import GraphQLClient, empty_all_tables, gid, make_partner, make_user, token_for
from tests.test_consent_registration import REGISTER, RESEND, consent_emails, forms_of, token_in

CUSTOMERS = ("one@example.test", "two@example.test", "three@example.test")

CREATE = """mutation($input: LeadFieldsInput!) { createLead(input: $input) { __typename } }"""
UPDATE = """mutation($id: ID!, $input: LeadFieldsInput!) {
  updateLead(id: $id, input: $input) { __typename } }"""
RULES = """mutation($groups: [RuleGroupInput!]!) {
  setAutoRegistration(enabled: true, mode: PARTNER_DEFINED) { __typename }
  replaceAutoRegistrationRules(owner: PARTNER, groups: $groups) { __typename } }"""
VENDOR_LEAD = """mutation($input: LeadFieldsInput!) {
  createVendorLead(input: $input) { ... on Lead { id } } }"""
DISTRIBUTE = """mutation($ids: [ID!]!, $partner: ID!) {
  distributeLeads(leadIds: $ids, partnerId: $partner) { __typename } }"""
ACCEPT = """mutation($id: ID!) { acceptLead(id: $id) { __typename } }"""
REJECT = """mutation($id: ID!) { rejectLead(id: $id, reason: "not ours") { __typename } }"""
RESOLVE = """mutation($id: ID!, $resolution: LeadConflictResolution!) {
  resolveLeadConflict(id: $id, resolution: $resolution) { __typename } }"""

OPERATIONS = [
    "register",
    "create",
    "update_email",
    "update_country",
    "distribute",
    "accept",
    "reject",
    "approve",
    "decline",
    "resend",
    "resolve",
    "withdraw",
    "expire",
]

steps_strategy = st.lists(
    st.tuples(st.sampled_from(OPERATIONS), st.integers(min_value=0, max_value=11)),
    min_size=1,
    max_size=12,
)


class Portal:
    """Two partners (Alpha's rule: any email; Beta's: country NL) and a vendor admin."""

    def __init__(self, gql: GraphQLClient, http: httpx.AsyncClient, settings: Settings) -> None:
        self.gql, self.http, self.settings = gql, http, settings
        self.partner_tokens: list[str] = []
        self.partner_ids: list[int] = []
        self.vendor = ""

    async def set_up(self) -> None:
        rules = [
            [{"conditions": [{"field": "EMAIL", "operator": "IS_NOT_EMPTY"}]}],
            [{"conditions": [{"field": "COUNTRY", "operator": "EQUALS", "value": "NL"}]}],
        ]
        for index, name in enumerate(("Alpha", "Beta")):
            partner = await make_partner(f"{name} Partners")
            admin = await make_user(f"admin@{name.lower()}.test", Role.PARTNER_ADMIN, partner)
            user = await make_user(f"user@{name.lower()}.test", Role.PARTNER_USER, partner)
            await self.gql.data(
                RULES, {"groups": rules[index]}, token=await token_for(self.settings, admin)
            )
            self.partner_tokens.append(await token_for(self.settings, user))
            self.partner_ids.append(partner.id)
        vendor = await make_user("admin@vendor.test", Role.VENDOR_ADMIN)
        self.vendor = await token_for(self.settings, vendor)

    def token_of(self, lead: Lead) -> str | None:
        partner_id = lead.partner_id  # type: ignore[attr-defined]
        if partner_id not in self.partner_ids:
            return None
        return self.partner_tokens[self.partner_ids.index(partner_id)]

    async def answer(self, lead: Lead, choice: str) -> None:
        emails = await consent_emails(lead.id)
        if not emails:
            return
        page = await self.http.get(f"/consent/{token_in(emails[-1])}")
        forms = [f for f in forms_of(page.text) if f["fields"].get("answer") == choice]
        if page.status_code == 200 and forms:
            await self.http.post(forms[0]["action"], data=forms[0]["fields"])

    async def run(self, operation: str, pick: int) -> None:
        leads = list(await Lead.all().order_by("id"))
        lead = leads[pick % len(leads)] if leads else None
        customer = CUSTOMERS[pick % len(CUSTOMERS)]
        partner = self.partner_tokens[pick % 2]
        if operation == "register":
            await self.gql.request(REGISTER, {"input": {"email": customer}}, token=partner)
        elif operation == "create":
            country = "NL" if pick % 3 else "BE"
            await self.gql.request(
                CREATE, {"input": {"email": customer, "country": country}}, token=partner
            )
        elif operation == "distribute":
            created = await self.gql.data(VENDOR_LEAD, {"input": {"email": customer}}, self.vendor)
            await self.gql.request(
                DISTRIBUTE,
                {
                    "ids": [created["createVendorLead"]["id"]],
                    "partner": gid("Partner", self.partner_ids[pick % 2]),
                },
                token=self.vendor,
            )
        elif lead is None:
            return
        elif operation in ("update_email", "update_country", "accept", "reject", "resend"):
            token = self.token_of(lead)
            if token is None:
                return
            query, variables = {
                "update_email": (
                    UPDATE,
                    {"id": gid("Lead", lead.id), "input": {"email": customer}},
                ),
                "update_country": (
                    UPDATE,
                    {"id": gid("Lead", lead.id), "input": {"country": "NL"}},
                ),
                "accept": (ACCEPT, {"id": gid("Lead", lead.id)}),
                "reject": (REJECT, {"id": gid("Lead", lead.id)}),
                "resend": (RESEND, {"id": gid("Lead", lead.id)}),
            }[operation]
            await self.gql.request(query, variables, token=token)
        elif operation in ("approve", "decline"):
            await self.answer(lead, operation)
        elif operation == "resolve":
            conflict = await LeadConflict.filter(status=ConflictStatus.OPEN).order_by("id").first()
            if conflict is not None:
                resolution = ("KEEP_HOLDER", "ASK_CUSTOMER")[pick % 2]
                await self.gql.request(
                    RESOLVE,
                    {"id": gid("LeadConflict", conflict.id), "resolution": resolution},
                    token=self.vendor,
                )
        elif operation == "withdraw":
            url = newsletter_withdraw_url(self.settings, customer).removeprefix(
                "http://portal.test"
            )
            page = await self.http.get(url)
            for form in forms_of(page.text):
                await self.http.post(form["action"], data=form["fields"])
        elif operation == "expire":
            await expire_consent_requests(self.settings, datetime.now(UTC) + timedelta(days=30))


async def check_invariant() -> None:
    approvals = set(
        await ConsentLedgerEntry.filter(action=ConsentAction.APPROVAL).values_list(
            "lead_id", "subject_email"
        )
    )
    window = (await get_vendor_settings()).lead_protection_window_days
    since = datetime.now(UTC) - timedelta(days=window)
    partners_of: dict[str, set[int]] = defaultdict(set)
    for lead in await Lead.filter(registration_status=RegistrationStatus.REGISTERED):
        assert (lead.id, lead.email) in approvals, (
            f"lead {lead.id} is linked to {lead.email} without an approval for that address"
        )
        assert lead.source is LeadSource.PARTNER
        assert lead.registered_at is not None
        if lead.registered_at >= since:
            partners_of[lead.email].add(lead.partner_id)  # type: ignore[attr-defined]
    for email, partners in partners_of.items():
        assert len(partners) <= 1, f"{email} is linked to partners {sorted(partners)}"


@hypothesis_settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=steps_strategy)
async def test_no_lead_is_linked_without_consent_for_its_address(
    gql: GraphQLClient, http: httpx.AsyncClient, settings: Settings, steps: list[tuple[str, int]]
):
    await empty_all_tables()
    portal = Portal(gql, http, settings)
    await portal.set_up()
    for operation, pick in steps:
        await portal.run(operation, pick)
        await check_invariant()

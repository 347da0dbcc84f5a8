"""Customer-approved lead registration through the API and the consent pages (SPEC §2).

Each test drives the real app (GraphQL over HTTP, the consent pages) on a real database and
checks the outcome in the database: the lead's state, consent requests, subscribers, the ledger
and the outbox. Helpers here are shared with the other consent test modules.
"""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Any

import httpx

from models.consent import (
    ConflictStatus,
    ConsentAction,
    ConsentLedgerEntry,
    ConsentRequest,
    ConsentRequestState,
    LeadConflict,
    NewsletterSubscriber,
    SubscriberStatus,
)
from models.leads import Lead, RegistrationStatus
from models.outbox import EmailCategory, EmailSuppression, OutboxEmail
from models.vendor import VendorSettings
from services.consent.jobs import expire_consent_requests
from services.consent.ledger import NEWSLETTER_EMAIL_SOURCE
from services.consent.tokens import (
    CONSENT_EMAIL_SOURCE,
    make_consent_token,
    newsletter_withdraw_url,
)
from settings import Settings
from tests.conftest import GraphQLClient, World, count_statements, gid, pk_of

REGISTER = """
mutation($input: RegisterLeadInput!) {
  registerLead(input: $input) {
    __typename
    ... on RegisterLeadPayload {
      alreadyRegistered
      lead { __typename id status: registrationStatus linked email partner { name } }
    }
    ... on OperationErrors { errors { field message code } }
  }
}"""

RESEND = """
mutation($id: ID!) {
  resendConsentRequest(leadId: $id) {
    __typename
    ... on Lead { id status: registrationStatus }
    ... on OperationErrors { errors { field message code } }
  }
}"""

LEAD = """
query($id: ID!) {
  lead(id: $id) {
    id status: registrationStatus linked registeredAt
    consentHistory { nodes { action purpose source partnerName consentTextVersion clientAddress } }
    conflict { reason status holderPartner { name } }
  }
}"""

_LINK = re.compile(r"http://portal\.test/consent/([A-Za-z0-9_\-.]+)")


# ---- helpers shared by the consent tests ---------------------------------------------------


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


async def register(gql: GraphQLClient, token: str, email: str, **fields: Any) -> dict[str, Any]:
    values = {_camel(name): value for name, value in fields.items()}
    data = await gql.data(REGISTER, {"input": {"email": email, **values}}, token=token)
    result = data["registerLead"]
    if result["__typename"] != "RegisterLeadPayload":
        return result
    # The lead, with the payload's flag beside its own fields.
    return {**result["lead"], "alreadyRegistered": result["alreadyRegistered"]}


async def consent_emails(lead_id: int) -> list[OutboxEmail]:
    return list(
        await OutboxEmail.filter(source=CONSENT_EMAIL_SOURCE, reference=f"lead:{lead_id}").order_by(
            "id"
        )
    )


def token_in(email: OutboxEmail) -> str:
    match = _LINK.search(email.text_body)
    assert match is not None, email.text_body
    return match.group(1)


async def latest_token(lead_id: int) -> str:
    emails = await consent_emails(lead_id)
    assert emails, f"no consent email for lead {lead_id}"
    return token_in(emails[-1])


class _FormReader(HTMLParser):
    """The forms of a page: their action and hidden inputs."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "form":
            self.forms.append({"action": values.get("action"), "method": values.get("method"),
                               "fields": {}})  # fmt: skip
        elif tag == "input" and self.forms and values.get("name"):
            self.forms[-1]["fields"][values["name"]] = values.get("value") or ""


def forms_of(html: str) -> list[dict[str, Any]]:
    reader = _FormReader()
    reader.feed(html)
    return reader.forms


async def answer(http: httpx.AsyncClient, token: str, choice: str) -> httpx.Response:
    """Open the consent page like a browser and press the button for `choice`."""
    page = await http.get(f"/consent/{token}")
    assert page.status_code == 200, page.text
    form = next(f for f in forms_of(page.text) if f["fields"].get("answer") == choice)
    assert form["method"] == "post"
    return await http.post(form["action"], data=form["fields"])


async def snapshot() -> dict[str, Any]:
    """Everything the consent flow can change, to prove that something changed nothing."""
    return {
        "leads": sorted(
            await Lead.all().values_list("id", "registration_status", "registered_at", "partner_id")
        ),
        "requests": sorted(await ConsentRequest.all().values_list("id", "state", "answered_at")),
        "subscribers": sorted(await NewsletterSubscriber.all().values_list("email", "status")),
        "ledger": await ConsentLedgerEntry.all().count(),
        "emails": await OutboxEmail.all().count(),
        "conflicts": sorted(await LeadConflict.all().values_list("id", "status")),
    }


async def actions_of(lead_id: int) -> list[str]:
    rows = await ConsentLedgerEntry.filter(lead_id=lead_id).order_by("id")
    return [row.action.value for row in rows]


# ---- registering -------------------------------------------------------------------------------


async def test_register_queues_a_consent_email_naming_the_partner(gql: GraphQLClient, world: World):
    lead = await register(
        gql, world.token("user_a"), " Customer@Example.test ", company="Example BV",
        first_name="Eva", last_name="Jansen", notes="Met at the fair",
    )  # fmt: skip
    assert lead["__typename"] == "Lead"
    assert lead["status"] == "PENDING_CONSENT"
    assert lead["linked"] is False
    assert lead["email"] == "customer@example.test"
    assert lead["partner"]["name"] == "Alpha Partners"
    assert lead["alreadyRegistered"] is False

    stored = await Lead.get(id=pk_of(lead["id"]))
    assert stored.partner_id == world.partner_a.id  # type: ignore[attr-defined]
    assert (stored.company, stored.first_name, stored.notes) == (
        "Example BV",
        "Eva",
        "Met at the fair",
    )
    [email] = await consent_emails(stored.id)
    assert email.recipient == "customer@example.test"
    assert email.category is EmailCategory.TRANSACTIONAL
    assert "Alpha Partners" in email.subject
    assert "Alpha Partners" in email.text_body
    assert "Alpha Partners" in email.html_body
    assert "will be registered" in email.text_body  # explains what approving means
    token = token_in(email)
    assert f"/consent/{token}?answer=decline" in email.text_body
    assert f'href="http://portal.test/consent/{token}"' in email.html_body
    [request] = await ConsentRequest.filter(lead_id=stored.id)
    assert request.state is ConsentRequestState.PENDING
    secret = token.split(".")[1]
    assert secret not in request.token_hash
    assert len(request.token_hash) == 64
    assert await actions_of(stored.id) == ["request"]


async def test_token_lifetime_comes_from_vendor_settings(gql: GraphQLClient, world: World):
    await VendorSettings.create(id=1, consent_token_lifetime_days=3)
    lead = await register(gql, world.token("user_a"), "short@example.test")
    request = await ConsentRequest.get(lead_id=pk_of(lead["id"]))
    lifetime = request.expires_at - datetime.now(UTC)
    assert timedelta(days=3) - timedelta(minutes=1) < lifetime <= timedelta(days=3)


async def test_invalid_input_and_non_partner_callers_write_nothing(
    gql: GraphQLClient, world: World
):
    before = await snapshot()
    bad = await register(gql, world.token("user_a"), "not-an-address", company="x" * 201)
    assert bad["__typename"] == "OperationErrors"
    assert {e["field"] for e in bad["errors"]} == {"email", "company"}
    vendor = await register(gql, world.token("vendor_admin"), "someone@example.test")
    assert vendor["errors"][0]["code"] == "FORBIDDEN"
    anonymous = await gql.request(REGISTER, {"input": {"email": "x@example.test"}})
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert await snapshot() == before


async def test_dutch_and_german_customers_get_their_language(
    gql: GraphQLClient, http: httpx.AsyncClient, world: World
):
    dutch = await register(gql, world.token("user_a"), "klant@example.nl", locale="nl")
    german = await register(gql, world.token("user_a"), "kunde@example.de", locale="de-DE")
    other = await register(gql, world.token("user_a"), "client@example.fr", locale="fr")
    [nl_email] = await consent_emails(pk_of(dutch["id"]))
    [de_email] = await consent_emails(pk_of(german["id"]))
    [fr_email] = await consent_emails(pk_of(other["id"]))
    assert "nieuwsbrief" in nl_email.subject
    assert 'lang="nl"' in nl_email.html_body
    assert "Newsletter" in de_email.subject
    assert "Zustimmen" in de_email.text_body
    assert "newsletter" in fr_email.subject
    assert "Approve" in fr_email.text_body
    page = await http.get(f"/consent/{token_in(nl_email)}")
    assert '<html lang="nl">' in page.text
    assert "Akkoord" in page.text
    page = await http.get(f"/consent/{token_in(de_email)}?answer=decline")
    assert '<html lang="de">' in page.text
    assert "Ablehnen" in page.text


# ---- the customer's answer ---------------------------------------------------------------------


async def test_get_shows_the_question_and_changes_nothing_post_approves(
    gql: GraphQLClient, http: httpx.AsyncClient, world: World
):
    lead = await register(gql, world.token("user_a"), "eva@example.test")
    lead_id = pk_of(lead["id"])
    token = await latest_token(lead_id)
    before = await snapshot()
    for _ in range(3):  # a mail scanner following the link, several times
        page = await http.get(f"/consent/{token}", headers={"user-agent": "Scanner/1.0"})
        assert page.status_code == 200
        assert "Alpha Partners" in page.text
        assert "eva@example.test" in page.text
        assert page.headers["x-frame-options"] == "DENY"
        assert page.headers["cache-control"] == "no-store"
    head = await http.head(f"/consent/{token}")
    assert head.status_code in (200, 405)
    assert await snapshot() == before

    response = await answer(http, token, "approve")
    assert response.status_code == 200
    assert "Thank you" in response.text

    stored = await Lead.get(id=lead_id)
    assert stored.registration_status is RegistrationStatus.REGISTERED
    assert stored.registered_at is not None
    subscriber = await NewsletterSubscriber.get(email="eva@example.test")
    assert subscriber.status is SubscriberStatus.SUBSCRIBED
    assert subscriber.partner_id == world.partner_a.id  # type: ignore[attr-defined]
    assert await actions_of(lead_id) == ["request", "approval"]
    approval = await ConsentLedgerEntry.get(lead_id=lead_id, action=ConsentAction.APPROVAL)
    assert approval.client_address == "10.0.0.1"
    assert approval.partner_name == "Alpha Partners"
    assert approval.consent_text_version

    data = await gql.data(LEAD, {"id": lead["id"]}, token=world.token("user_a"))
    view = data["lead"]
    assert view["status"] == "REGISTERED"
    assert view["linked"] is True
    assert [h["action"] for h in view["consentHistory"]["nodes"]] == ["REQUEST", "APPROVAL"]
    assert (
        view["consentHistory"]["nodes"][1]["clientAddress"] is None
    )  # the customer's IP stays hidden
    admin_view = await gql.data(LEAD, {"id": lead["id"]}, token=world.token("vendor_admin"))
    assert admin_view["lead"]["consentHistory"]["nodes"][1]["clientAddress"] == "10.0.0.1"


async def test_decline_marks_the_lead_declined_and_subscribes_no_one(
    gql: GraphQLClient, http: httpx.AsyncClient, world: World
):
    lead = await register(gql, world.token("user_a"), "no@example.test")
    lead_id = pk_of(lead["id"])
    page = await http.get(f"/consent/{await latest_token(lead_id)}?answer=decline")
    first_form = forms_of(page.text)[0]
    assert first_form["fields"]["answer"] == "decline"  # the decline link offers decline first
    response = await http.post(first_form["action"], data=first_form["fields"])
    assert response.status_code == 200
    assert "declined" in response.text.lower()
    stored = await Lead.get(id=lead_id)
    assert stored.registration_status is RegistrationStatus.DECLINED
    assert stored.registered_at is None
    assert not await NewsletterSubscriber.exists(email="no@example.test")
    assert await actions_of(lead_id) == ["request", "decline"]


async def test_expiry_job_expires_unanswered_requests_only(
    gql: GraphQLClient, http: httpx.AsyncClient, world: World, settings: Settings
):
    await VendorSettings.create(id=1, consent_token_lifetime_days=14)
    stale = await register(gql, world.token("user_a"), "stale@example.test")
    answered = await register(gql, world.token("user_a"), "quick@example.test")
    await answer(http, await latest_token(pk_of(answered["id"])), "approve")

    assert await expire_consent_requests(settings, datetime.now(UTC) + timedelta(days=13)) == 0
    assert (await Lead.get(id=pk_of(stale["id"]))).registration_status is (
        RegistrationStatus.PENDING_CONSENT
    )
    assert await expire_consent_requests(settings, datetime.now(UTC) + timedelta(days=15)) == 1
    assert await expire_consent_requests(settings, datetime.now(UTC) + timedelta(days=15)) == 0

    assert (await Lead.get(id=pk_of(stale["id"]))).registration_status is RegistrationStatus.EXPIRED
    assert (await Lead.get(id=pk_of(answered["id"]))).registration_status is (
        RegistrationStatus.REGISTERED
    )
    assert await actions_of(pk_of(stale["id"])) == ["request", "expiry"]
    before = await snapshot()
    token = await latest_token(pk_of(stale["id"]))
    page = await http.get(f"/consent/{token}")
    assert page.status_code == 410
    assert "expired" in page.text
    late = await http.post("/consent/answer", data={"token": token, "answer": "approve"})
    assert late.status_code == 410
    assert await snapshot() == before


async def test_a_link_past_its_lifetime_is_refused_before_the_job_runs(
    gql: GraphQLClient, http: httpx.AsyncClient, world: World
):
    lead = await register(gql, world.token("user_a"), "late@example.test")
    token = await latest_token(pk_of(lead["id"]))
    await ConsentRequest.filter(lead_id=pk_of(lead["id"])).update(
        expires_at=datetime.now(UTC) - timedelta(seconds=1)
    )
    before = await snapshot()
    response = await http.post("/consent/answer", data={"token": token, "answer": "approve"})
    assert response.status_code == 410
    assert await snapshot() == before


async def test_resend_issues_a_new_token_and_invalidates_the_old_one(
    gql: GraphQLClient, http: httpx.AsyncClient, world: World
):
    lead = await register(gql, world.token("user_a"), "again@example.test")
    lead_id = pk_of(lead["id"])
    old = await latest_token(lead_id)
    resent = await gql.data(RESEND, {"id": lead["id"]}, token=world.token("user_a"))
    assert resent["resendConsentRequest"]["status"] == "PENDING_CONSENT"
    new = await latest_token(lead_id)
    assert new != old
    assert len(await consent_emails(lead_id)) == 2

    before = await snapshot()
    assert (await http.get(f"/consent/{old}")).status_code == 410
    refused = await http.post("/consent/answer", data={"token": old, "answer": "approve"})
    assert refused.status_code == 410
    assert "replaced" in refused.text
    assert await snapshot() == before

    await answer(http, new, "approve")
    assert (await Lead.get(id=lead_id)).registration_status is RegistrationStatus.REGISTERED
    assert await actions_of(lead_id) == ["request", "resend", "approval"]


async def test_resend_is_rate_limited_per_lead(gql: GraphQLClient, world: World):
    lead = await register(gql, world.token("user_a"), "limit@example.test")
    for _ in range(2):
        ok = await gql.data(RESEND, {"id": lead["id"]}, token=world.token("user_a"))
        assert ok["resendConsentRequest"]["__typename"] == "Lead"
    before = await snapshot()
    limited = await gql.data(RESEND, {"id": lead["id"]}, token=world.token("admin_a"))
    assert limited["resendConsentRequest"]["errors"][0]["code"] == "RATE_LIMITED"
    assert await snapshot() == before
    # Another lead has its own allowance.
    other = await register(gql, world.token("user_a"), "other@example.test")
    ok = await gql.data(RESEND, {"id": other["id"]}, token=world.token("user_a"))
    assert ok["resendConsentRequest"]["__typename"] == "Lead"


async def test_a_reused_token_changes_nothing(
    gql: GraphQLClient, http: httpx.AsyncClient, world: World
):
    lead = await register(gql, world.token("user_a"), "once@example.test")
    token = await latest_token(pk_of(lead["id"]))
    await answer(http, token, "approve")
    before = await snapshot()
    for choice in ("approve", "decline"):
        again = await http.post("/consent/answer", data={"token": token, "answer": choice})
        assert again.status_code == 409
        assert "already" in again.text
    assert (await http.get(f"/consent/{token}")).status_code == 409
    assert await snapshot() == before


async def test_forged_and_tampered_tokens_change_nothing(
    gql: GraphQLClient, http: httpx.AsyncClient, world: World
):
    lead = await register(gql, world.token("user_a"), "target@example.test")
    token = await latest_token(pk_of(lead["id"]))
    lead_id, secret, signature = token.split(".")
    flipped = "A" if signature[-1] != "A" else "B"
    forged = [
        "1.forgedsecret.forgedsignature",
        f"{lead_id}.{secret}.{signature[:-1]}{flipped}",  # signature altered
        f"{lead_id}.{secret[:-1]}x.{signature}",  # secret altered
        f"{int(lead_id) + 1}.{secret}.{signature}",  # lead id altered
        f"{lead_id}.{secret}",  # cut short
        "<script>alert(1)</script>",
        "",
    ]
    before = await snapshot()
    for bad in forged:
        response = await http.post("/consent/answer", data={"token": bad, "answer": "approve"})
        assert response.status_code == 400, bad
        assert "not valid" in response.text
        assert "<script>alert" not in response.text
        if bad and "/" not in bad:
            assert (await http.get(f"/consent/{bad}")).status_code in (400, 404)
    unknown_answer = await http.post("/consent/answer", data={"token": token, "answer": "yes"})
    assert unknown_answer.status_code == 400
    assert await snapshot() == before
    # The genuine token still works afterwards.
    assert (await answer(http, token, "approve")).status_code == 200


async def test_a_token_for_another_lead_changes_nothing(
    gql: GraphQLClient, http: httpx.AsyncClient, world: World, settings: Settings
):
    first = await register(gql, world.token("user_a"), "first@example.test")
    second = await register(gql, world.token("user_b"), "second@example.test")
    second_secret = (await latest_token(pk_of(second["id"]))).split(".")[1]
    # Correctly signed for the first lead and its email, but carrying the second lead's secret.
    crossed = make_consent_token(settings, pk_of(first["id"]), second_secret, "first@example.test")
    before = await snapshot()
    response = await http.post("/consent/answer", data={"token": crossed, "answer": "approve"})
    assert response.status_code == 400
    assert await snapshot() == before


# ---- conflicts ---------------------------------------------------------------------------------

CONFLICTS = """
query {
  leadConflicts(status: OPEN) {
    nodes { id lead { id } reason holderPartner { name } holderLead { id } }
  }
}"""

RESOLVE = """
mutation($id: ID!, $resolution: LeadConflictResolution!) {
  resolveLeadConflict(id: $id, resolution: $resolution, note: "checked") {
    __typename
    ... on LeadConflict { status resolution }
    ... on OperationErrors { errors { code } }
  }
}"""


async def _approved_by_alpha(gql: GraphQLClient, http: httpx.AsyncClient, world: World) -> int:
    lead = await register(gql, world.token("user_a"), "shared@example.test")
    await answer(http, await latest_token(pk_of(lead["id"])), "approve")
    return pk_of(lead["id"])


async def test_conflict_inside_the_protection_window(
    gql: GraphQLClient, http: httpx.AsyncClient, world: World
):
    holder_id = await _approved_by_alpha(gql, http, world)
    emails_before = await OutboxEmail.all().count()
    lead = await register(gql, world.token("user_b"), "Shared@Example.test")
    assert lead["status"] == "CONFLICT"
    assert lead["linked"] is False
    assert await OutboxEmail.all().count() == emails_before  # no consent email for a conflict
    holder = await Lead.get(id=holder_id)
    assert holder.registration_status is RegistrationStatus.REGISTERED  # nothing stolen

    partner_view = await gql.data(LEAD, {"id": lead["id"]}, token=world.token("user_b"))
    conflict = partner_view["lead"]["conflict"]
    assert conflict["status"] == "OPEN"
    assert conflict["holderPartner"] is None
    assert "Alpha" not in conflict["reason"]  # another partner's name is not shown to Beta

    listed = (await gql.data(CONFLICTS, token=world.token("vendor_admin")))["leadConflicts"]
    [row] = listed["nodes"]
    assert row["lead"] == {"id": lead["id"]}
    assert row["holderLead"] == {"id": gid("Lead", holder_id)}
    assert row["holderPartner"]["name"] == "Alpha Partners"
    assert "Alpha Partners" in row["reason"]
    assert "90-day" in row["reason"]
    denied = await gql.request(CONFLICTS, token=world.token("admin_b"))
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    kept = await gql.data(
        RESOLVE, {"id": row["id"], "resolution": "KEEP_HOLDER"}, token=world.token("vendor_admin")
    )
    assert kept["resolveLeadConflict"] == {
        "__typename": "LeadConflict", "status": "RESOLVED", "resolution": "KEEP_HOLDER"
    }  # fmt: skip
    assert (await Lead.get(id=pk_of(lead["id"]))).registration_status is (
        RegistrationStatus.NOT_REGISTERED
    )
    assert (await Lead.get(id=holder_id)).registration_status is RegistrationStatus.REGISTERED
    twice = await gql.data(
        RESOLVE, {"id": row["id"], "resolution": "KEEP_HOLDER"}, token=world.token("vendor_admin")
    )
    assert twice["resolveLeadConflict"]["errors"][0]["code"] == "INVALID"


async def test_conflict_resolved_by_asking_the_customer_moves_the_registration(
    gql: GraphQLClient, http: httpx.AsyncClient, world: World
):
    holder_id = await _approved_by_alpha(gql, http, world)
    lead = await register(gql, world.token("user_b"), "shared@example.test")
    conflict = await LeadConflict.get(lead_id=pk_of(lead["id"]))
    moved = await gql.data(
        RESOLVE,
        {"id": gid("LeadConflict", conflict.id), "resolution": "ASK_CUSTOMER"},
        token=world.token("vendor_admin"),
    )
    assert moved["resolveLeadConflict"]["status"] == "RESOLVED"
    assert (await Lead.get(id=pk_of(lead["id"]))).registration_status is (
        RegistrationStatus.PENDING_CONSENT
    )
    await answer(http, await latest_token(pk_of(lead["id"])), "approve")
    assert (
        await Lead.get(id=pk_of(lead["id"]))
    ).registration_status is RegistrationStatus.REGISTERED
    assert (await Lead.get(id=holder_id)).registration_status is RegistrationStatus.NOT_REGISTERED
    subscriber = await NewsletterSubscriber.get(email="shared@example.test")
    assert subscriber.partner_id == world.partner_b.id  # type: ignore[attr-defined]
    assert (await LeadConflict.get(id=conflict.id)).status is ConflictStatus.RESOLVED


async def test_no_conflict_outside_the_protection_window(
    gql: GraphQLClient, http: httpx.AsyncClient, world: World
):
    await VendorSettings.create(id=1, lead_protection_window_days=30)
    holder_id = await _approved_by_alpha(gql, http, world)
    await Lead.filter(id=holder_id).update(registered_at=datetime.now(UTC) - timedelta(days=31))
    lead = await register(gql, world.token("user_b"), "shared@example.test")
    assert lead["status"] == "PENDING_CONSENT"
    assert not await LeadConflict.exists()
    assert len(await consent_emails(pk_of(lead["id"]))) == 1


async def test_resubmitting_an_approved_customer_never_resets_it(
    gql: GraphQLClient, http: httpx.AsyncClient, world: World
):
    lead_id = await _approved_by_alpha(gql, http, world)
    registered_at = (await Lead.get(id=lead_id)).registered_at
    before = await snapshot()
    again = await register(gql, world.token("admin_a"), "SHARED@example.test", company="New")
    assert again["id"] == gid("Lead", lead_id)
    assert again["status"] == "REGISTERED"
    assert again["linked"] is True
    assert again["alreadyRegistered"] is True  # the same lead, said so, nothing written
    assert await snapshot() == before
    assert (await Lead.get(id=lead_id)).registered_at == registered_at
    refused = await gql.data(RESEND, {"id": gid("Lead", lead_id)}, token=world.token("user_a"))
    assert refused["resendConsentRequest"]["errors"][0]["code"] == "INVALID"
    assert await snapshot() == before


# ---- who may see what ---------------------------------------------------------------------------

LIST = """
query($status: LeadRegistrationStatus) {
  leads(source: PARTNER, registrationStatus: $status) {
    nodes { id email status: registrationStatus partner { name } }
  }
}"""


async def test_another_partner_can_neither_see_nor_resend_the_lead(
    gql: GraphQLClient, world: World
):
    lead = await register(gql, world.token("user_a"), "private@example.test")
    await register(gql, world.token("user_b"), "beta-customer@example.test")
    before = await snapshot()
    seen = await gql.request(LEAD, {"id": lead["id"]}, token=world.token("user_b"))
    assert seen["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    listed = await gql.data(LIST, token=world.token("admin_b"))
    assert [n["email"] for n in listed["leads"]["nodes"]] == ["beta-customer@example.test"]
    resend = await gql.data(RESEND, {"id": lead["id"]}, token=world.token("admin_b"))
    assert resend["resendConsentRequest"]["errors"][0]["code"] == "NOT_FOUND"
    assert await snapshot() == before

    vendor = await gql.data(LIST, {"status": "PENDING_CONSENT"}, token=world.token("vendor_admin"))
    assert {n["partner"]["name"] for n in vendor["leads"]["nodes"]} == {
        "Alpha Partners",
        "Beta Partners",
    }
    manager = await gql.data(LIST, token=world.token("manager"))  # assigned to Alpha only
    assert [n["email"] for n in manager["leads"]["nodes"]] == ["private@example.test"]


# ---- withdrawal, ledger queries and export -------------------------------------------------------


async def test_withdrawal_through_the_newsletter_unsubscribe_link(
    gql: GraphQLClient, http: httpx.AsyncClient, world: World, settings: Settings
):
    lead = await register(gql, world.token("user_a"), "reader@example.test", locale="nl")
    await answer(http, await latest_token(pk_of(lead["id"])), "approve")
    url = newsletter_withdraw_url(settings, "reader@example.test").removeprefix(
        "http://portal.test"
    )
    before = await snapshot()
    page = await http.get(url)
    assert page.status_code == 200
    assert "Afmelden" in page.text
    assert await snapshot() == before
    [form] = forms_of(page.text)
    done = await http.post(form["action"], data=form["fields"])
    assert done.status_code == 200
    assert "reader@example.test" in done.text

    subscriber = await NewsletterSubscriber.get(email="reader@example.test")
    assert subscriber.status is SubscriberStatus.UNSUBSCRIBED
    assert await actions_of(pk_of(lead["id"])) == ["request", "approval", "withdrawal"]
    assert await EmailSuppression.exists(address="reader@example.test")
    # The registration the customer approved stays on record.
    assert (await Lead.get(id=pk_of(lead["id"]))).registration_status is (
        RegistrationStatus.REGISTERED
    )
    again = await http.post(form["action"], data=form["fields"])  # repeating is harmless
    assert again.status_code == 200
    assert await actions_of(pk_of(lead["id"])) == ["request", "approval", "withdrawal"]
    forged = await http.post(form["action"], data={"token": "reader@example.test.forged"})
    assert forged.status_code == 400


async def test_unsubscribing_from_a_newsletter_email_records_a_withdrawal(
    gql: GraphQLClient, http: httpx.AsyncClient, world: World, settings: Settings
):
    from tortoise.transactions import in_transaction

    from services.email.outbox import queue_email

    lead = await register(gql, world.token("user_a"), "news@example.test")
    await answer(http, await latest_token(pk_of(lead["id"])), "approve")
    async with in_transaction():
        newsletter = await queue_email(
            settings,
            to="news@example.test",
            template="notice",
            context={"subject": "News", "heading": "News", "paragraphs": ["Hello"],
                     "action_url": None, "action_label": ""},
            source=NEWSLETTER_EMAIL_SOURCE,
            category=EmailCategory.MARKETING,
        )  # fmt: skip
    unsubscribe = newsletter.headers["List-Unsubscribe"].strip("<>")
    response = await http.post(
        unsubscribe.removeprefix("http://portal.test"),
        data={"List-Unsubscribe": "One-Click"},
        headers={"user-agent": "Mail/2.0"},
    )
    assert response.status_code == 200
    assert await actions_of(pk_of(lead["id"])) == ["request", "approval", "withdrawal"]
    withdrawal = await ConsentLedgerEntry.get(action=ConsentAction.WITHDRAWAL)
    assert withdrawal.user_agent == "Mail/2.0"
    assert withdrawal.source.value == "self_service"
    subscriber = await NewsletterSubscriber.get(email="news@example.test")
    assert subscriber.status is SubscriberStatus.UNSUBSCRIBED


LEDGER = """
query($email: String) {
  consentLedger(email: $email) { nodes { subjectEmail action source partnerName userAgent } }
}"""

EXPORT = "query($email: String!) { consentExport(email: $email) }"


async def test_vendor_admins_query_the_ledger_and_export_one_email(
    gql: GraphQLClient, http: httpx.AsyncClient, world: World
):
    lead = await register(gql, world.token("user_a"), "gdpr@example.test", company="GDPR BV")
    await register(gql, world.token("user_a"), "someone-else@example.test")
    await answer(http, await latest_token(pk_of(lead["id"])), "approve")

    ledger = await gql.data(
        LEDGER, {"email": "GDPR@example.test"}, token=world.token("vendor_admin")
    )
    nodes = ledger["consentLedger"]["nodes"]
    assert [n["action"] for n in nodes] == ["REQUEST", "APPROVAL"]
    assert {n["subjectEmail"] for n in nodes} == {"gdpr@example.test"}
    assert nodes[1]["partnerName"] == "Alpha Partners"

    export = (
        await gql.data(EXPORT, {"email": "gdpr@example.test"}, token=world.token("vendor_admin"))
    )["consentExport"]
    assert export["email"] == "gdpr@example.test"
    assert export["newsletterSubscription"]["status"] == "subscribed"
    assert [item["company"] for item in export["leads"]] == ["GDPR BV"]
    assert [e["action"] for e in export["consentLedger"]] == ["request", "approval"]
    assert len(export["emails"]) == 1
    assert export["consentRequests"][0]["state"] == "approved"
    assert "someone-else" not in str(export)
    assert "token_hash" not in str(export)

    for role in ("user_a", "admin_a", "manager"):
        for query, variables in (
            (LEDGER, {"email": None}),
            (EXPORT, {"email": "gdpr@example.test"}),
        ):
            denied = await gql.request(query, variables, token=world.token(role))
            assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"


# ---- concurrency, the worker job, query cost ------------------------------------------------


async def test_concurrent_answers_count_once(
    gql: GraphQLClient, http: httpx.AsyncClient, world: World
):
    lead = await register(gql, world.token("user_a"), "double@example.test")
    token = await latest_token(pk_of(lead["id"]))
    responses = await asyncio.gather(
        *(
            http.post("/consent/answer", data={"token": token, "answer": choice})
            for choice in ("approve", "decline", "approve", "approve")
        )
    )
    assert sorted(r.status_code for r in responses) == [200, 409, 409, 409]
    actions = await actions_of(pk_of(lead["id"]))
    assert actions[0] == "request"
    assert len(actions) == 2
    final = (await Lead.get(id=pk_of(lead["id"]))).registration_status
    assert final is (
        RegistrationStatus.REGISTERED if actions[1] == "approval" else RegistrationStatus.DECLINED
    )


async def test_the_worker_runs_the_expiry_job(gql: GraphQLClient, world: World, settings: Settings):
    from services.platform.worker import JOBS

    lead = await register(gql, world.token("user_a"), "worker@example.test")
    await ConsentRequest.filter(lead_id=pk_of(lead["id"])).update(
        expires_at=datetime.now(UTC) - timedelta(minutes=1)
    )
    [job] = [job for job in JOBS if job.name == "consent-request-expiry"]
    assert await job.run(settings) == 1
    assert (await Lead.get(id=pk_of(lead["id"]))).registration_status is RegistrationStatus.EXPIRED


LIST_WITH_HISTORY = """
query {
  leads(source: PARTNER, first: 50) {
    nodes {
      id status: registrationStatus partner { name }
      consentHistory { nodes { action } } conflict { reason }
    }
  }
}"""


async def test_listing_with_history_costs_the_same_for_few_and_many_leads(
    gql: GraphQLClient, world: World
):
    async def statements_for_listing() -> int:
        with count_statements() as statements:
            data = await gql.data(LIST_WITH_HISTORY, token=world.token("user_a"))
        assert all(n["consentHistory"]["nodes"] for n in data["leads"]["nodes"])
        return len(statements)

    for index in range(2):
        await register(gql, world.token("user_a"), f"few{index}@example.test")
    few = await statements_for_listing()
    for index in range(6):
        await register(gql, world.token("user_a"), f"many{index}@example.test")
    many = await statements_for_listing()
    assert many == few

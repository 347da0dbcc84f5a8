"""Property: whatever happens, a lead is never linked to a partner without the customer's approval.

Hypothesis generates sequences of register (by either partner, for one of two customers), approve,
decline, resend, expire, withdraw and conflict resolutions, run through the real services on the
real database. After every step, every registered lead, and every subscriber linked to a partner,
has an approval event for that lead in the consent ledger.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from starlette.applications import Starlette

from models.consent import (
    ConflictResolution,
    ConflictStatus,
    ConsentAction,
    ConsentLedgerEntry,
    ConsentSource,
    LeadConflict,
    NewsletterSubscriber,
)
from models.enums import Role
from models.leads import Lead, RegistrationStatus
from services.consent.answers import answer_consent_request
from services.consent.conflicts import resolve_conflict
from services.consent.jobs import expire_consent_requests
from services.consent.ledger import withdraw_newsletter_consent
from services.consent.service import NewLead, register_lead, resend_consent_request
from services.consent.tokens import ConsentLinkError
from services.platform.errors import ServiceError
from services.platform.viewer import Viewer
from settings import Settings
from tests.conftest import empty_all_tables, make_partner, make_user
from tests.test_consent_registration import consent_emails, token_in

CUSTOMERS = ("one@example.test", "two@example.test")

steps_strategy = st.lists(
    st.tuples(
        st.sampled_from(
            ["register", "approve", "decline", "resend", "expire", "withdraw", "resolve"]
        ),
        st.integers(min_value=0, max_value=3),
    ),
    min_size=1,
    max_size=10,
)


async def _viewers() -> tuple[list[Viewer], Viewer]:
    viewers = []
    for index, name in enumerate(("Alpha", "Beta")):
        partner = await make_partner(f"{name} Partners")
        user = await make_user(f"user{index}@{name.lower()}.test", Role.PARTNER_USER, partner)
        viewers.append(Viewer(user.id, user.email, user.role, partner.id, session_id=""))
    admin = await make_user("admin@vendor.test", Role.VENDOR_ADMIN)
    return viewers, Viewer(admin.id, admin.email, admin.role, None, session_id="")


async def _latest_token(leads: list[Lead], pick: int) -> str | None:
    if not leads:
        return None
    emails = await consent_emails(leads[pick % len(leads)].id)
    return token_in(emails[-1]) if emails else None


async def _check_invariant() -> None:
    approved_leads = set(
        await ConsentLedgerEntry.filter(action=ConsentAction.APPROVAL).values_list(
            "lead_id", flat=True
        )
    )
    registered = await Lead.filter(registration_status=RegistrationStatus.REGISTERED)
    for lead in registered:
        assert lead.id in approved_leads, f"lead {lead.id} registered without an approval"
        assert lead.registered_at is not None
    for subscriber in await NewsletterSubscriber.filter(partner_id__not_isnull=True):
        assert subscriber.lead_id in approved_leads  # type: ignore[attr-defined]


@hypothesis_settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=steps_strategy)
async def test_no_lead_is_linked_without_an_approval_in_the_ledger(
    app: Starlette, settings: Settings, steps: list[tuple[str, int]]
):
    await empty_all_tables()
    partners, vendor_admin = await _viewers()
    for operation, pick in steps:
        leads = list(await Lead.all().order_by("id"))
        try:
            if operation == "register":
                viewer = partners[pick % 2]
                await register_lead(settings, viewer, NewLead(email=CUSTOMERS[pick // 2 % 2]))
            elif operation in ("approve", "decline"):
                token = await _latest_token(leads, pick)
                if token is not None:
                    await answer_consent_request(settings, token, operation == "approve")
            elif operation == "resend" and leads:
                lead = leads[pick % len(leads)]
                viewer = next(v for v in partners if v.partner_id == lead.partner_id)  # type: ignore[attr-defined]
                await resend_consent_request(settings, viewer, lead.id)
            elif operation == "expire":
                await expire_consent_requests(settings, datetime.now(UTC) + timedelta(days=30))
            elif operation == "withdraw":
                await withdraw_newsletter_consent(CUSTOMERS[pick % 2], ConsentSource.SELF_SERVICE)
            elif operation == "resolve":
                conflict = await LeadConflict.filter(status=ConflictStatus.OPEN).first()
                if conflict is not None:
                    resolution = list(ConflictResolution)[pick % 2]
                    await resolve_conflict(settings, vendor_admin, conflict.id, resolution)
        except (ConsentLinkError, ServiceError):
            pass  # refused operations are part of the game: they must change nothing relevant
        await _check_invariant()

"""Customer-approved lead registration (SPEC §2): registering a lead and resending its request.

A partner user registers a customer (`register_lead`): the lead starts in `pending_consent` and a
consent request email with approve and decline links is queued in the same transaction
(`services.consent.tokens`). The customer's answer, given by a POST from the consent page,
approves or declines (`services.consent.answers`); requests nobody answers expire
(`services.consent.jobs`). Every decision is appended to the consent ledger
(`services.consent.ledger`), which other domains use as well (Supplier Emails opt-in/out).

The invariant every path that creates or changes a lead keeps (registering, auto-registration
rules on create and update, distribution, the customer's answer, resend, expiry, withdrawal,
conflict resolution; checked by tests/test_consent_invariant.py):

    No lead is linked without a ledger approval for that lead's current address, and no two
    partners are linked to one address inside the protection window.

"Linked" is `registration_status == registered`, and only the customer's approval
(`services.consent.answers`) sets it. Every registration (by hand or by a rule) starts in
`start_registration`, which checks the protection window (`services.consent.conflicts`), and so
does a resend; the address of a lead that is pending consent, registered or in conflict cannot
change (`IDENTITY_LOCKED_STATUSES`). Each of these decisions (and the approval's own window
check, and conflict resolution) locks the customer's address first
(`services.consent.address_lock`), so that simultaneous approvals of two partners' leads, on any
number of web processes, link at most one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.transactions import in_transaction

from models.consent import (
    ConsentAction,
    ConsentPurpose,
    ConsentRequest,
    ConsentRequestState,
    ConsentSource,
)
from models.leads import Lead, LeadEvent, LeadSource, RegistrationStatus
from models.partners import PartnerOrg
from models.webhooks import WebhookEventType
from services.consent.address_lock import lock_customer_address
from services.consent.conflicts import held_elsewhere
from services.consent.ledger import Caller, record_consent
from services.consent.live import LeadChange, publish_lead_changes
from services.consent.queries import visible_lead
from services.consent.texts import CONSENT_TEXT_VERSION
from services.consent.tokens import issue_request
from services.platform.errors import ErrorCode, ServiceError, ValidationFailed, forbidden
from services.platform.validation import check_email, clean_text
from services.platform.viewer import Viewer
from services.webhooks.events import emit
from settings import Settings

# At most this many consent requests (first one and resends) per lead in RESEND_WINDOW.
MAX_REQUESTS_PER_WINDOW = 3
RESEND_WINDOW = timedelta(hours=24)
MAX_NOTES_LENGTH = 5000


@dataclass(frozen=True)
class NewLead:
    email: str
    company: str = ""
    first_name: str = ""
    last_name: str = ""
    notes: str = ""
    locale: str = ""


def _validate(new: NewLead) -> NewLead:
    problems: list[tuple[str, str]] = []
    email = check_email(new.email, "email", problems)
    cleaned = NewLead(
        email=email,
        company=clean_text(new.company, "company", problems, max_length=200),
        first_name=clean_text(new.first_name, "firstName", problems, max_length=100),
        last_name=clean_text(new.last_name, "lastName", problems, max_length=100),
        notes=clean_text(new.notes, "notes", problems, max_length=MAX_NOTES_LENGTH, multiline=True),
        locale=clean_text(new.locale, "locale", problems, max_length=16) or "en",
    )
    if problems:
        raise ValidationFailed(problems)
    return cleaned


def _require_partner_member(viewer: Viewer) -> int:
    if not viewer.is_partner_member or viewer.partner_id is None:
        raise forbidden("Only partner users register leads.")
    return viewer.partner_id


# A lead in one of these states belongs to one customer address: the consent request, the
# approval or the conflict is about that address, so it cannot change (register the right one).
IDENTITY_LOCKED_STATUSES = frozenset(
    {
        RegistrationStatus.PENDING_CONSENT,
        RegistrationStatus.REGISTERED,
        RegistrationStatus.CONFLICT,
    }
)


async def start_registration(
    settings: Settings,
    lead: Lead,
    actor_id: int | None,
    caller: Caller = Caller(),
    ledger_details: dict[str, Any] | None = None,
) -> None:
    """Start registering `lead` with the supplier (inside the caller's transaction).

    The one path every registration takes, by hand (`register_lead`) or by an auto-registration
    rule: a customer another partner holds inside the protection window puts the lead in
    `conflict` (no email); otherwise the lead waits for the customer's answer in
    `pending_consent` and the consent request email is queued. The caller publishes the change
    after its transaction commits.
    """
    partner_id: int = lead.partner_id  # type: ignore[attr-defined]
    if await held_elsewhere(lead, actor_id):
        return
    partner = await PartnerOrg.get(id=partner_id)
    lead.registration_status = RegistrationStatus.PENDING_CONSENT
    await lead.save(update_fields=["registration_status", "updated_at"])
    await issue_request(settings, lead, partner, actor_id)
    await emit(WebhookEventType.LEAD_REGISTRATION_REQUESTED, lead)
    await LeadEvent.create(
        lead_id=lead.id,
        kind="consent_requested",
        actor_id=actor_id,
        partner_id=partner_id,
        details={"email": lead.email},
    )
    await record_consent(
        email=lead.email,
        purpose=ConsentPurpose.NEWSLETTER,
        action=ConsentAction.REQUEST,
        source=ConsentSource.PARTNER_INVITATION,
        partner_id=partner_id,
        partner_name=partner.name,
        lead_id=lead.id,
        actor_user_id=actor_id,
        client_address=caller.client_address,
        user_agent=caller.user_agent,
        consent_text_version=CONSENT_TEXT_VERSION,
        details=ledger_details,
    )


async def register_lead(
    settings: Settings, viewer: Viewer, new: NewLead, caller: Caller = Caller()
) -> Lead:
    """Register a customer as the viewer's partner's lead (see `register_lead_once`)."""
    lead, _ = await register_lead_once(settings, viewer, new, caller)
    return lead


async def register_lead_once(
    settings: Settings, viewer: Viewer, new: NewLead, caller: Caller = Caller()
) -> tuple[Lead, bool]:
    """Register a customer as the viewer's partner's lead, pending the customer's approval;
    the lead and whether the partner had registered this customer already.

    The same customer submitted again by the same partner returns the existing lead unchanged
    (an approved customer is never reset). A customer another partner registered inside the
    protection window gets a lead in `conflict` for the vendor to resolve, and no email.
    """
    partner_id = _require_partner_member(viewer)
    new = _validate(new)
    async with in_transaction():
        await lock_customer_address(new.email)
        existing = (
            await Lead.filter(partner_id=partner_id, email=new.email, source=LeadSource.PARTNER)
            .order_by("-id")
            .first()
        )
        if existing is not None and existing.registration_status is not (
            RegistrationStatus.NOT_REGISTERED
        ):
            return existing, True
        lead = await Lead.create(
            partner_id=partner_id,
            source=LeadSource.PARTNER,
            email=new.email,
            company=new.company,
            first_name=new.first_name,
            last_name=new.last_name,
            notes=new.notes,
            locale=new.locale,
            created_by_id=viewer.user_id,
        )
        await emit(WebhookEventType.LEAD_CREATED, lead)
        await start_registration(settings, lead, viewer.user_id, caller)
    await publish_lead_changes(settings, [LeadChange(lead.id, partner_id)])
    return lead, False


RESENDABLE_STATUSES = frozenset(
    {
        RegistrationStatus.PENDING_CONSENT,
        RegistrationStatus.EXPIRED,
        RegistrationStatus.DECLINED,
    }
)


async def resend_consent_request(
    settings: Settings, viewer: Viewer, lead_id: int, caller: Caller = Caller()
) -> Lead:
    """Send the customer a new consent link; the previous link stops working. Rate-limited.

    Like a first registration (`start_registration`), a customer another partner holds inside
    the protection window puts the lead in `conflict` and gets no email (the address of an
    expired or declined lead may have changed, or another partner registered the customer in
    the meantime); the open link, if any, stops working and the vendor settles the conflict.
    """
    lead = await visible_lead(viewer, lead_id)
    if not (viewer.is_partner_member or viewer.is_vendor_admin):
        raise forbidden("Only the lead's partner can resend the request.")
    async with in_transaction():
        # The address before the lead row: the order the customer's answer takes them in.
        await lock_customer_address(lead.email)
        locked_address = lead.email
        # Lock the lead row (PostgreSQL) so that two resends cannot both pass the limit.
        lead = await Lead.select_for_update().get(id=lead.id)
        if lead.email != locked_address:  # changed in between (an expired or declined lead)
            await lock_customer_address(lead.email)
        if lead.registration_status not in RESENDABLE_STATUSES:
            raise ServiceError(
                ErrorCode.INVALID,
                f"A lead in state {lead.registration_status.value} has no consent request to "
                "resend.",
                "leadId",
            )
        recent = await ConsentRequest.filter(
            lead_id=lead.id, created_at__gte=datetime.now(UTC) - RESEND_WINDOW
        ).count()
        if recent >= MAX_REQUESTS_PER_WINDOW:
            raise ServiceError(
                ErrorCode.RATE_LIMITED,
                f"At most {MAX_REQUESTS_PER_WINDOW} consent emails per lead per day. "
                "Try again later.",
                "leadId",
            )
        superseded = await ConsentRequest.filter(
            lead_id=lead.id, state=ConsentRequestState.PENDING
        ).update(state=ConsentRequestState.SUPERSEDED)
        previous = lead.registration_status
        partner = await PartnerOrg.get(id=lead.partner_id)  # type: ignore[attr-defined]
        if not await held_elsewhere(lead, viewer.user_id):
            await issue_request(settings, lead, partner, viewer.user_id)
            lead.registration_status = RegistrationStatus.PENDING_CONSENT
            await lead.save(update_fields=["registration_status", "updated_at"])
            await emit(WebhookEventType.LEAD_REGISTRATION_REQUESTED, lead)
            await LeadEvent.create(
                lead_id=lead.id,
                kind="consent_resent",
                actor_id=viewer.user_id,
                partner_id=partner.id,
                details={"previous_status": previous.value, "superseded_requests": superseded},
            )
            await record_consent(
                email=lead.email,
                purpose=ConsentPurpose.NEWSLETTER,
                action=ConsentAction.RESEND,
                source=ConsentSource.PARTNER_INVITATION,
                partner_id=partner.id,
                partner_name=partner.name,
                lead_id=lead.id,
                actor_user_id=viewer.user_id,
                client_address=caller.client_address,
                user_agent=caller.user_agent,
                consent_text_version=CONSENT_TEXT_VERSION,
            )
    await publish_lead_changes(settings, [LeadChange(lead.id, partner.id)])
    return lead

"""Customer-approved lead registration (SPEC §2) and the consent ledger.

A partner user registers a customer (`register_lead`): the lead starts in `pending_consent` and a
consent request email with approve and decline links is queued in the same transaction. The
customer's answer, given by a POST from the consent page (`answer_consent_request`), approves
(newsletter subscriber, lead `registered` and linked to the partner) or declines. Requests nobody
answers expire (`expire_consent_requests`, a worker job). Every decision is appended to the
consent ledger with `record_consent`, which other domains use as well (Supplier Emails opt-in/out).

Consent tokens have the form `<lead id>.<secret>.<signature>`: the secret is random and only its
SHA-256 is stored, the signature (HMAC with SECRET_KEY) binds lead id, secret and the email the
request was sent to. A token is usable once, until it expires or a resend replaces it.

The invariant every path that creates or changes a lead keeps (registering, auto-registration
rules on create and update, distribution, the customer's answer, resend, expiry, withdrawal,
conflict resolution; checked by tests/test_consent_invariant.py):

    No lead is linked without a ledger approval for that lead's current address, and no two
    partners are linked to one address inside the protection window.

"Linked" is `registration_status == registered`, and only `_register_approved`, run on the
customer's approval, sets it. Every registration (by hand or by a rule) starts in
`start_registration`, which checks the protection window, and so does a resend; the address of a
lead that is pending consent, registered or in conflict cannot change (`IDENTITY_LOCKED_STATUSES`).
Each of these decisions (and the approval's own window check, and conflict resolution) locks the
customer's address first (`services.address_lock`), so that simultaneous approvals of two
partners' leads, on any number of web processes, link at most one. What a partner sees of a
conflict never names the other partner (`partner_safe_details`).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from models.consent import (
    ConflictResolution,
    ConflictStatus,
    ConsentAction,
    ConsentLedgerEntry,
    ConsentPurpose,
    ConsentRequest,
    ConsentRequestState,
    ConsentSource,
    LeadConflict,
    NewsletterSubscriber,
    SubscriberStatus,
)
from models.leads import Lead, LeadEvent, LeadSource, RegistrationStatus
from models.outbox import EmailCategory, EmailSuppression, OutboxEmail, SuppressionReason
from models.partners import PartnerOrg
from models.users import User
from services.consent.address_lock import lock_customer_address
from services.consent.live import LeadChange, publish_lead_changes
from services.consent.texts import CONSENT_TEXT_VERSION, consent_texts, page_locale
from services.email.outbox import is_valid_address, queue_email
from services.email.suppression import (
    Unsubscribed,
    lift_suppression,
    normalise_address,
    suppress_address,
    unsubscribe_listeners,
)
from services.platform.errors import ErrorCode, ServiceError, ValidationFailed, forbidden, not_found
from services.platform.pagination import Page, paginate
from services.platform.validation import check_email, clean_text, validated_text
from services.platform.viewer import Viewer
from services.users.auth import sign_value
from services.vendor.service import get_vendor_settings
from settings import Settings

TOKEN_PURPOSE = "consent-request"
WITHDRAW_PURPOSE = "newsletter-withdraw"
CONSENT_EMAIL_SOURCE = "consent_request"
# Marketing emails queued with this source are newsletters: unsubscribing from one is a withdrawal.
NEWSLETTER_EMAIL_SOURCE = "newsletter"
# At most this many consent requests (first one and resends) per lead in RESEND_WINDOW.
MAX_REQUESTS_PER_WINDOW = 3
RESEND_WINDOW = timedelta(hours=24)
MAX_NOTES_LENGTH = 5000


def _now() -> datetime:
    return datetime.now(UTC)


# ---- the ledger --------------------------------------------------------------------------------


async def record_consent(
    *,
    email: str,
    purpose: ConsentPurpose,
    action: ConsentAction,
    source: ConsentSource,
    partner_id: int | None = None,
    partner_name: str | None = None,
    lead_id: int | None = None,
    actor_user_id: int | None = None,
    client_address: str = "",
    user_agent: str = "",
    consent_text_version: str = "",
    details: dict[str, Any] | None = None,
) -> ConsentLedgerEntry:
    """Append one entry to the consent ledger (call it inside the transaction of the change).

    Other domains record their consents here too, for example the Supplier Emails preference:
    `record_consent(email=..., purpose=ConsentPurpose.SUPPLIER_EMAILS, action=ConsentAction.OPT_IN,
    source=ConsentSource.TERMS_ACCEPTANCE, consent_text_version=terms_version, ...)`.
    """
    if partner_id is not None and partner_name is None:
        partner_name = (
            await PartnerOrg.filter(id=partner_id).first().values_list("name", flat=True)
        ) or ""
    return await ConsentLedgerEntry.create(
        subject_email=normalise_address(email),
        purpose=purpose,
        action=action,
        source=source,
        partner_id=partner_id,
        partner_name=(partner_name or "")[:200],
        lead_id=lead_id,
        actor_user_id=actor_user_id,
        client_address=client_address[:64],
        user_agent=user_agent[:300],
        consent_text_version=consent_text_version[:32],
        details=details or {},
    )


# ---- tokens and links --------------------------------------------------------------------------


def _hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _token_signature(settings: Settings, lead_id: int, secret: str, email: str) -> str:
    return sign_value(settings, TOKEN_PURPOSE, f"{lead_id}.{secret}.{email}").rsplit(".", 1)[1]


def make_consent_token(settings: Settings, lead_id: int, secret: str, email: str) -> str:
    return f"{lead_id}.{secret}.{_token_signature(settings, lead_id, secret, email)}"


def consent_url(settings: Settings, token: str, answer: str = "approve") -> str:
    suffix = "" if answer == "approve" else "?answer=decline"
    return f"{settings.public_url}/consent/{token}{suffix}"


def withdraw_token(settings: Settings, email: str) -> str:
    return sign_value(settings, WITHDRAW_PURPOSE, normalise_address(email))


def newsletter_withdraw_url(settings: Settings, email: str) -> str:
    """The unsubscribe link for a newsletter subscriber (stable, signed, usable repeatedly)."""
    return f"{settings.public_url}/consent/withdraw/{withdraw_token(settings, email)}"


def email_of_withdraw_token(settings: Settings, token: str) -> str | None:
    from services.users.auth import unsign_value

    email = unsign_value(settings, WITHDRAW_PURPOSE, token)
    return email if email and is_valid_address(email) else None


class LinkProblem(StrEnum):
    INVALID = "invalid"  # forged, tampered, cut short, or for another lead
    USED = "used"
    EXPIRED = "expired"
    SUPERSEDED = "superseded"


class ConsentLinkError(Exception):
    def __init__(self, problem: LinkProblem, locale: str = "en") -> None:
        super().__init__(problem.value)
        self.problem = problem
        self.locale = locale


@dataclass(frozen=True)
class ConsentQuestion:
    """What the consent page shows for a valid, open token."""

    request: ConsentRequest
    lead: Lead
    partner_name: str
    vendor_name: str
    locale: str

    def texts(self) -> dict[str, str]:
        return consent_texts(
            self.locale,
            partner=self.partner_name,
            vendor=self.vendor_name,
            email=self.request.email,
            expires=self.request.expires_at.strftime("%Y-%m-%d"),
        )


async def _find_request(settings: Settings, token: str) -> ConsentRequest:
    parts = token.split(".")
    if len(parts) != 3 or not parts[0].isdigit() or not parts[1] or len(token) > 300:
        raise ConsentLinkError(LinkProblem.INVALID)
    lead_id, secret, signature = int(parts[0]), parts[1], parts[2]
    request = await ConsentRequest.get_or_none(token_hash=_hash_secret(secret))
    if request is None or request.lead_id != lead_id:  # type: ignore[attr-defined]
        raise ConsentLinkError(LinkProblem.INVALID)
    expected = _token_signature(settings, lead_id, secret, request.email)
    if not hmac.compare_digest(expected, signature):
        raise ConsentLinkError(LinkProblem.INVALID)
    return request


def _problem_of(request: ConsentRequest, now: datetime) -> LinkProblem | None:
    if request.state in (ConsentRequestState.APPROVED, ConsentRequestState.DECLINED):
        return LinkProblem.USED
    if request.state is ConsentRequestState.SUPERSEDED:
        return LinkProblem.SUPERSEDED
    if request.state is ConsentRequestState.EXPIRED or request.expires_at <= now:
        return LinkProblem.EXPIRED
    return None


async def open_consent_question(settings: Settings, token: str) -> ConsentQuestion:
    """Check a token without changing anything (the GET of the consent page)."""
    request = await _find_request(settings, token)
    lead = await Lead.get(id=request.lead_id)  # type: ignore[attr-defined]
    locale = page_locale(lead.locale)
    problem = _problem_of(request, _now())
    if problem is not None or normalise_address(lead.email) != request.email:
        raise ConsentLinkError(problem or LinkProblem.INVALID, locale)
    partner_id: int = request.partner_id  # type: ignore[attr-defined]
    partner_name = await PartnerOrg.filter(id=partner_id).first().values_list("name", flat=True)
    vendor = await get_vendor_settings()
    return ConsentQuestion(request, lead, partner_name or "", vendor.vendor_name, locale)


# ---- registering a lead ------------------------------------------------------------------------


@dataclass(frozen=True)
class NewLead:
    email: str
    company: str = ""
    first_name: str = ""
    last_name: str = ""
    notes: str = ""
    locale: str = ""


@dataclass(frozen=True)
class Caller:
    """Where a request came from, for the ledger."""

    client_address: str = ""
    user_agent: str = ""


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


async def _protected_holder(email: str, partner_id: int, window_days: int) -> Lead | None:
    """Another partner's registered lead for `email` inside the protection window, if any."""
    since = _now() - timedelta(days=window_days)
    return (
        await Lead.filter(
            email=email,
            registration_status=RegistrationStatus.REGISTERED,
            registered_at__gte=since,
        )
        .exclude(partner_id=partner_id)
        .order_by("-registered_at")
        .first()
    )


async def _issue_request(
    settings: Settings, lead: Lead, partner: PartnerOrg, requested_by: int | None
) -> ConsentRequest:
    """Create a consent request for `lead` and queue its email (inside the caller's transaction)."""
    vendor = await get_vendor_settings()
    secret = secrets.token_urlsafe(24)
    request = await ConsentRequest.create(
        lead_id=lead.id,
        partner_id=partner.id,
        email=lead.email,
        token_hash=_hash_secret(secret),
        consent_text_version=CONSENT_TEXT_VERSION,
        requested_by_id=requested_by,
        expires_at=_now() + timedelta(days=vendor.consent_token_lifetime_days),
    )
    token = make_consent_token(settings, lead.id, secret, lead.email)
    locale = page_locale(lead.locale)
    texts = consent_texts(
        locale,
        partner=partner.name,
        vendor=vendor.vendor_name,
        email=lead.email,
        expires=request.expires_at.strftime("%Y-%m-%d"),
    )
    await queue_email(
        settings,
        to=lead.email,
        template="consent_request",
        context={
            "texts": texts,
            "locale": locale,
            "approve_url": consent_url(settings, token, "approve"),
            "decline_url": consent_url(settings, token, "decline"),
        },
        source=CONSENT_EMAIL_SOURCE,
        reference=f"lead:{lead.id}",
        category=EmailCategory.TRANSACTIONAL,
    )
    return request


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


async def _held_elsewhere(lead: Lead, actor_id: int | None) -> bool:
    """Put `lead` in `conflict` if another partner holds its address inside the window.

    The conflict check every consent request goes through (first registration, rule, resend):
    no email is sent to a customer another partner holds. The address is locked first, so that
    the check and what follows it are one decision (`services.address_lock`).
    """
    await lock_customer_address(lead.email)
    partner_id: int = lead.partner_id  # type: ignore[attr-defined]
    vendor = await get_vendor_settings()
    holder = await _protected_holder(lead.email, partner_id, vendor.lead_protection_window_days)
    if holder is None:
        return False
    lead.registration_status = RegistrationStatus.CONFLICT
    await lead.save(update_fields=["registration_status", "updated_at"])
    await _open_conflict(lead, holder, vendor.lead_protection_window_days, actor_id)
    return True


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
    if await _held_elsewhere(lead, actor_id):
        return
    partner = await PartnerOrg.get(id=partner_id)
    lead.registration_status = RegistrationStatus.PENDING_CONSENT
    await lead.save(update_fields=["registration_status", "updated_at"])
    await _issue_request(settings, lead, partner, actor_id)
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
    """Register a customer as the viewer's partner's lead, pending the customer's approval.

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
            return existing
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
        await start_registration(settings, lead, viewer.user_id, caller)
    await publish_lead_changes(settings, [LeadChange(lead.id, partner_id)])
    return lead


# What a partner is told about a conflict: never who holds the customer, nor since when.
PARTNER_CONFLICT_REASON = (
    "The customer is already registered with another partner inside the protection window."
)
# History details a partner may read, by event kind; other keys of these kinds are for the vendor
# (they name or point to another partner, or carry the vendor's notes about it). Entries written
# before this rule existed are filtered the same way when read.
_PARTNER_VISIBLE_DETAILS: dict[str, frozenset[str]] = {
    "registration_conflict": frozenset({"conflict_id"}),
    "registration_moved": frozenset(),
    "conflict_resolved": frozenset({"resolution"}),
}


async def _open_conflict(lead: Lead, holder: Lead, window_days: int, actor: int | None) -> None:
    """Record a conflict with `holder`'s registration.

    Who the holder is goes only into the conflict row, which the vendor reads; the lead's history,
    which its partner reads, says only that another partner holds the customer.
    """
    holder_partner = await PartnerOrg.get(id=holder.partner_id)  # type: ignore[attr-defined]
    registered = holder.registered_at.strftime("%Y-%m-%d") if holder.registered_at else "?"
    reason = (
        f"{lead.email} is already a registered lead of {holder_partner.name} since "
        f"{registered}, inside the {window_days}-day protection window."
    )
    conflict = await LeadConflict.create(
        lead_id=lead.id,
        holder_lead_id=holder.id,
        holder_partner_id=holder_partner.id,
        email=lead.email,
        reason=reason,
    )
    await LeadEvent.create(
        lead_id=lead.id,
        kind="registration_conflict",
        actor_id=actor,
        partner_id=lead.partner_id,  # type: ignore[attr-defined]
        details={"conflict_id": conflict.id, "reason": PARTNER_CONFLICT_REASON},
    )


def partner_safe_details(kind: str, details: dict[str, Any]) -> dict[str, Any]:
    """The details of a lead event as a partner may see them."""
    allowed = _PARTNER_VISIBLE_DETAILS.get(kind)
    if allowed is None:
        return details
    safe = {key: value for key, value in details.items() if key in allowed}
    if kind == "registration_conflict":
        safe["reason"] = PARTNER_CONFLICT_REASON
    return safe


async def _visible_lead(viewer: Viewer, lead_id: int) -> Lead:
    lead = await Lead.get_or_none(id=lead_id)
    if lead is None or lead.partner_id is None or not viewer.can_see_partner(lead.partner_id):  # type: ignore[attr-defined]
        raise not_found("Lead")
    return lead


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
    lead = await _visible_lead(viewer, lead_id)
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
            lead_id=lead.id, created_at__gte=_now() - RESEND_WINDOW
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
        if not await _held_elsewhere(lead, viewer.user_id):
            await _issue_request(settings, lead, partner, viewer.user_id)
            lead.registration_status = RegistrationStatus.PENDING_CONSENT
            await lead.save(update_fields=["registration_status", "updated_at"])
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


# ---- the customer's answer ---------------------------------------------------------------------


@dataclass(frozen=True)
class ConsentAnswer:
    lead: Lead
    approved: bool
    question: ConsentQuestion


async def _subscribe(lead: Lead, now: datetime) -> None:
    subscriber = await NewsletterSubscriber.get_or_none(email=lead.email)
    if subscriber is None:
        await NewsletterSubscriber.create(
            email=lead.email,
            status=SubscriberStatus.SUBSCRIBED,
            locale=lead.locale,
            partner_id=lead.partner_id,  # type: ignore[attr-defined]
            lead_id=lead.id,
            subscribed_at=now,
        )
    else:
        subscriber.status = SubscriberStatus.SUBSCRIBED
        subscriber.partner_id = lead.partner_id  # type: ignore[attr-defined]
        subscriber.lead_id = lead.id  # type: ignore[attr-defined]
        subscriber.subscribed_at = now
        subscriber.unsubscribed_at = None
        await subscriber.save()
    # The customer opted in again: marketing mail to the address may flow again.
    if await EmailSuppression.exists(address=lead.email, reason=SuppressionReason.UNSUBSCRIBE):
        await lift_suppression(lead.email)


async def _approved_move(lead: Lead) -> bool:
    """Whether the vendor resolved a conflict of this lead by asking the customer."""
    return await LeadConflict.exists(
        lead_id=lead.id,
        status=ConflictStatus.RESOLVED,
        resolution=ConflictResolution.ASK_CUSTOMER,
    )


async def answer_consent_request(
    settings: Settings, token: str, approve: bool, caller: Caller = Caller()
) -> ConsentAnswer:
    """Approve or decline with a consent token (the POST of the consent page's button)."""
    question = await open_consent_question(settings, token)
    request = question.request
    changes: list[LeadChange] = []
    now = _now()
    async with in_transaction():
        # First: the approval's protection-window check and the registration are one decision,
        # not interleaved with another lead's for the same address (`services.address_lock`).
        await lock_customer_address(request.email)
        # Single use, also under concurrency: only one answer can move the row out of pending.
        taken = await ConsentRequest.filter(
            id=request.id, state=ConsentRequestState.PENDING, expires_at__gt=now
        ).update(
            state=ConsentRequestState.APPROVED if approve else ConsentRequestState.DECLINED,
            answered_at=now,
        )
        if not taken:
            raise ConsentLinkError(LinkProblem.USED, question.locale)
        lead = await Lead.get(id=request.lead_id)  # type: ignore[attr-defined]
        partner_id: int = lead.partner_id  # type: ignore[attr-defined]
        ledger = {
            "email": request.email,
            "purpose": ConsentPurpose.NEWSLETTER,
            "source": ConsentSource.PARTNER_INVITATION,
            "partner_id": partner_id,
            "partner_name": question.partner_name,
            "lead_id": lead.id,
            "client_address": caller.client_address,
            "user_agent": caller.user_agent,
            "consent_text_version": request.consent_text_version,
        }
        if approve:
            await record_consent(action=ConsentAction.APPROVAL, **ledger)
            await _subscribe(lead, now)
            await _register_approved(lead, now, changes)
        else:
            await record_consent(action=ConsentAction.DECLINE, **ledger)
            if lead.registration_status is RegistrationStatus.PENDING_CONSENT:
                lead.registration_status = RegistrationStatus.DECLINED
                await lead.save(update_fields=["registration_status", "updated_at"])
            await LeadEvent.create(
                lead_id=lead.id, kind="consent_declined", partner_id=partner_id, details={}
            )
        changes.append(LeadChange(lead.id, partner_id))
    await publish_lead_changes(settings, changes)
    return ConsentAnswer(lead=lead, approved=approve, question=question)


async def _register_approved(lead: Lead, now: datetime, changes: list[LeadChange]) -> None:
    partner_id: int = lead.partner_id  # type: ignore[attr-defined]
    if lead.registration_status is RegistrationStatus.REGISTERED:
        return  # already registered (by another path): its confirmed state stays as it is
    vendor = await get_vendor_settings()
    moving = await _approved_move(lead)
    holder = await _protected_holder(lead.email, partner_id, vendor.lead_protection_window_days)
    if holder is not None and not moving:
        # Another partner registered the customer while this request was open.
        lead.registration_status = RegistrationStatus.CONFLICT
        await lead.save(update_fields=["registration_status", "updated_at"])
        await _open_conflict(lead, holder, vendor.lead_protection_window_days, None)
        return
    if holder is not None:
        # The vendor let the customer choose, and the customer chose this partner.
        holder.registration_status = RegistrationStatus.NOT_REGISTERED
        await holder.save(update_fields=["registration_status", "updated_at"])
        await LeadEvent.create(
            lead_id=holder.id,
            kind="registration_moved",
            partner_id=holder.partner_id,  # type: ignore[attr-defined]
            # For the vendor only: partners read it through `partner_safe_details`.
            details={"to_lead_id": lead.id, "to_partner_id": partner_id},
        )
        changes.append(LeadChange(holder.id, holder.partner_id))  # type: ignore[attr-defined]
    lead.registration_status = RegistrationStatus.REGISTERED
    lead.registered_at = now
    await lead.save(update_fields=["registration_status", "registered_at", "updated_at"])
    await LeadEvent.create(
        lead_id=lead.id,
        kind="consent_approved",
        partner_id=partner_id,
        details={"registered_at": now.isoformat()},
    )


# ---- expiry ------------------------------------------------------------------------------------


async def expire_consent_requests(settings: Settings, now: datetime | None = None) -> int:
    """Expire every open consent request past its lifetime; its lead becomes `expired`."""
    now = now or _now()
    due = await ConsentRequest.filter(
        state=ConsentRequestState.PENDING, expires_at__lte=now
    ).order_by("id")
    changes: list[LeadChange] = []
    for request in due:
        async with in_transaction():
            taken = await ConsentRequest.filter(
                id=request.id, state=ConsentRequestState.PENDING
            ).update(state=ConsentRequestState.EXPIRED)
            if not taken:
                continue
            lead = await Lead.get(id=request.lead_id)  # type: ignore[attr-defined]
            if lead.registration_status is RegistrationStatus.PENDING_CONSENT:
                lead.registration_status = RegistrationStatus.EXPIRED
                await lead.save(update_fields=["registration_status", "updated_at"])
            await LeadEvent.create(
                lead_id=lead.id,
                kind="consent_expired",
                partner_id=request.partner_id,  # type: ignore[attr-defined]
                details={"expires_at": request.expires_at.isoformat()},
            )
            await record_consent(
                email=request.email,
                purpose=ConsentPurpose.NEWSLETTER,
                action=ConsentAction.EXPIRY,
                source=ConsentSource.PARTNER_INVITATION,
                partner_id=request.partner_id,  # type: ignore[attr-defined]
                lead_id=lead.id,
                consent_text_version=request.consent_text_version,
            )
            changes.append(LeadChange(lead.id, lead.partner_id))  # type: ignore[attr-defined]
    await publish_lead_changes(settings, changes)
    return len(changes)


# ---- withdrawal --------------------------------------------------------------------------------


async def withdraw_newsletter_consent(
    email: str, source: ConsentSource, caller: Caller = Caller(), details: dict | None = None
) -> bool:
    """Unsubscribe `email` from the newsletter and record the withdrawal. Safe to repeat.

    The lead registration it came with stays: it records what the customer approved then.
    Returns False if the address was not subscribed (nothing is recorded).
    """
    email = normalise_address(email)
    async with in_transaction():
        subscriber = await NewsletterSubscriber.get_or_none(email=email)
        if subscriber is None or subscriber.status is SubscriberStatus.UNSUBSCRIBED:
            return False
        subscriber.status = SubscriberStatus.UNSUBSCRIBED
        subscriber.unsubscribed_at = _now()
        await subscriber.save(update_fields=["status", "unsubscribed_at", "updated_at"])
        await record_consent(
            email=email,
            purpose=ConsentPurpose.NEWSLETTER,
            action=ConsentAction.WITHDRAWAL,
            source=source,
            partner_id=subscriber.partner_id,  # type: ignore[attr-defined]
            lead_id=subscriber.lead_id,  # type: ignore[attr-defined]
            client_address=caller.client_address,
            user_agent=caller.user_agent,
            consent_text_version=CONSENT_TEXT_VERSION,
            details=details,
        )
        await suppress_address(email, SuppressionReason.UNSUBSCRIBE, "newsletter withdrawal")
    return True


async def _withdraw_on_newsletter_unsubscribe(event: Unsubscribed) -> None:
    if event.email.source != NEWSLETTER_EMAIL_SOURCE:
        return
    await withdraw_newsletter_consent(
        event.email.recipient,
        ConsentSource.SELF_SERVICE,
        Caller(event.client_address, event.user_agent),
        {"email_uid": str(event.email.uid)},
    )


if _withdraw_on_newsletter_unsubscribe not in unsubscribe_listeners:
    unsubscribe_listeners.append(_withdraw_on_newsletter_unsubscribe)


# ---- conflicts ---------------------------------------------------------------------------------


async def list_conflicts(
    viewer: Viewer, status: ConflictStatus | None, first: int | None, after: str | None
) -> Page[LeadConflict]:
    viewer.require_vendor_admin()
    queryset = LeadConflict.all()
    if status is not None:
        queryset = queryset.filter(status=status)
    return await paginate(queryset, first, after)


async def resolve_conflict(
    settings: Settings,
    viewer: Viewer,
    conflict_id: int,
    resolution: ConflictResolution,
    note: str = "",
) -> LeadConflict:
    """Settle a conflict: keep the holder's registration, or ask the customer to choose."""
    viewer.require_vendor_admin()
    note = validated_text(note, "note", max_length=2000, multiline=True)
    found = await LeadConflict.get_or_none(id=conflict_id)
    if found is None:
        raise not_found("Conflict")
    async with in_transaction():
        # A decision about who holds the address: after any other one about it has committed.
        await lock_customer_address(found.email)
        conflict = await LeadConflict.get(id=found.id)
        if conflict.status is ConflictStatus.RESOLVED:
            raise ServiceError(ErrorCode.INVALID, "This conflict is already resolved.", "id")
        lead = await Lead.select_for_update().get(id=conflict.lead_id)  # type: ignore[attr-defined]
        conflict.status = ConflictStatus.RESOLVED
        conflict.resolution = resolution
        conflict.resolution_note = note
        conflict.resolved_by_id = viewer.user_id  # type: ignore[attr-defined]
        conflict.resolved_at = _now()
        await conflict.save()
        await LeadEvent.create(
            lead_id=lead.id,
            kind="conflict_resolved",
            actor_id=viewer.user_id,
            partner_id=lead.partner_id,  # type: ignore[attr-defined]
            details={"resolution": resolution.value, "note": note},
        )
        if lead.registration_status is RegistrationStatus.CONFLICT:
            if resolution is ConflictResolution.KEEP_HOLDER:
                lead.registration_status = RegistrationStatus.NOT_REGISTERED
                await lead.save(update_fields=["registration_status", "updated_at"])
            else:
                partner = await PartnerOrg.get(id=lead.partner_id)  # type: ignore[attr-defined]
                await ConsentRequest.filter(
                    lead_id=lead.id, state=ConsentRequestState.PENDING
                ).update(state=ConsentRequestState.SUPERSEDED)
                await _issue_request(settings, lead, partner, viewer.user_id)
                lead.registration_status = RegistrationStatus.PENDING_CONSENT
                await lead.save(update_fields=["registration_status", "updated_at"])
                await record_consent(
                    email=lead.email,
                    purpose=ConsentPurpose.NEWSLETTER,
                    action=ConsentAction.REQUEST,
                    source=ConsentSource.ADMIN,
                    partner_id=partner.id,
                    partner_name=partner.name,
                    lead_id=lead.id,
                    actor_user_id=viewer.user_id,
                    consent_text_version=CONSENT_TEXT_VERSION,
                )
    await publish_lead_changes(settings, [LeadChange(lead.id, lead.partner_id)])  # type: ignore[attr-defined]
    return conflict


# ---- queries -----------------------------------------------------------------------------------


async def list_registrations(
    viewer: Viewer,
    partner_id: int | None,
    status: RegistrationStatus | None,
    email: str | None,
    first: int | None,
    after: str | None,
) -> Page[Lead]:
    """Leads registered by partners (a partner sees its own, vendor staff theirs or all)."""
    queryset = Lead.filter(viewer.partner_filter(), source=LeadSource.PARTNER)
    if partner_id is not None:
        if not viewer.can_see_partner(partner_id):
            raise not_found("Partner")
        queryset = queryset.filter(partner_id=partner_id)
    if status is not None:
        queryset = queryset.filter(registration_status=status)
    if email:
        queryset = queryset.filter(email=normalise_address(email))
    return await paginate(queryset, first, after)


async def get_registration(viewer: Viewer, lead_id: int) -> Lead:
    return await _visible_lead(viewer, lead_id)


async def pending_registrations(viewer: Viewer, partner_id: int | None) -> list[Lead]:
    """The viewer's leads waiting for the customer's answer (what a subscriber sees first)."""
    queryset = Lead.filter(
        viewer.partner_filter(), registration_status=RegistrationStatus.PENDING_CONSENT
    )
    if partner_id is not None:
        queryset = queryset.filter(partner_id=partner_id)
    return list(await queryset.order_by("id").limit(200))


async def lead_for_change(viewer: Viewer, change: LeadChange) -> Lead | None:
    if change.partner_id is None or not viewer.can_see_partner(change.partner_id):
        return None
    lead = await Lead.get_or_none(id=change.lead_id)
    if lead is None or not viewer.can_see_partner(lead.partner_id):  # type: ignore[attr-defined]
        return None
    return lead


async def consent_history(lead_ids: list[int]) -> dict[int, list[ConsentLedgerEntry]]:
    """The ledger entries of each lead, oldest first (one query for all the leads)."""
    history: dict[int, list[ConsentLedgerEntry]] = {lead_id: [] for lead_id in lead_ids}
    if lead_ids:
        for entry in await ConsentLedgerEntry.filter(lead_id__in=lead_ids).order_by("id"):
            history[entry.lead_id].append(entry)  # type: ignore[index]
    return history


async def conflicts_of(lead_ids: list[int]) -> dict[int, list[LeadConflict]]:
    found: dict[int, list[LeadConflict]] = {lead_id: [] for lead_id in lead_ids}
    if lead_ids:
        for conflict in await LeadConflict.filter(lead_id__in=lead_ids).order_by("id"):
            found[conflict.lead_id].append(conflict)  # type: ignore[attr-defined]
    return found


async def list_ledger(
    viewer: Viewer,
    email: str | None,
    purpose: ConsentPurpose | None,
    action: ConsentAction | None,
    first: int | None,
    after: str | None,
) -> Page[ConsentLedgerEntry]:
    viewer.require_vendor_admin()
    filters = Q()
    if email:
        filters &= Q(subject_email=normalise_address(email))
    if purpose is not None:
        filters &= Q(purpose=purpose)
    if action is not None:
        filters &= Q(action=action)
    return await paginate(ConsentLedgerEntry.filter(filters), first, after)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


async def export_personal_data(viewer: Viewer, email: str) -> dict[str, Any]:
    """Everything Channelport holds about one email address (a GDPR access request)."""
    viewer.require_vendor_admin()
    address = normalise_address(email)
    if not is_valid_address(address):
        raise ValidationFailed([("email", "Enter an email address.")])
    partner_names = dict(await PartnerOrg.all().values_list("id", "name"))
    leads = await Lead.filter(email=address).order_by("id")
    lead_ids = [lead.id for lead in leads]
    events = await LeadEvent.filter(lead_id__in=lead_ids).order_by("id") if lead_ids else []
    subscriber = await NewsletterSubscriber.get_or_none(email=address)
    users = await User.filter(email=address).order_by("id")
    return {
        "email": address,
        "exportedAt": _now().isoformat(),
        "newsletterSubscription": None
        if subscriber is None
        else {
            "status": subscriber.status.value,
            "locale": subscriber.locale,
            "partner": partner_names.get(subscriber.partner_id),  # type: ignore[attr-defined]
            "subscribedAt": _iso(subscriber.subscribed_at),
            "unsubscribedAt": _iso(subscriber.unsubscribed_at),
        },
        "leads": [
            {
                "id": lead.id,
                "partner": partner_names.get(lead.partner_id),  # type: ignore[attr-defined]
                "registrationStatus": lead.registration_status.value,
                "company": lead.company,
                "firstName": lead.first_name,
                "lastName": lead.last_name,
                "phone": lead.phone,
                "country": lead.country,
                "notes": lead.notes,
                "locale": lead.locale,
                "createdAt": _iso(lead.created_at),
                "registeredAt": _iso(lead.registered_at),
                "history": [
                    {"kind": e.kind, "at": _iso(e.created_at), "details": e.details}
                    for e in events
                    if e.lead_id == lead.id  # type: ignore[attr-defined]
                ],
            }
            for lead in leads
        ],
        "consentRequests": [
            {
                "leadId": r.lead_id,  # type: ignore[attr-defined]
                "state": r.state.value,
                "consentTextVersion": r.consent_text_version,
                "createdAt": _iso(r.created_at),
                "expiresAt": _iso(r.expires_at),
                "answeredAt": _iso(r.answered_at),
            }
            for r in await ConsentRequest.filter(email=address).order_by("id")
        ],
        "consentLedger": [
            {
                "purpose": e.purpose.value,
                "action": e.action.value,
                "source": e.source.value,
                "partner": e.partner_name or None,
                "leadId": e.lead_id,
                "occurredAt": _iso(e.occurred_at),
                "clientAddress": e.client_address,
                "userAgent": e.user_agent,
                "consentTextVersion": e.consent_text_version,
                "details": e.details,
            }
            for e in await ConsentLedgerEntry.filter(subject_email=address).order_by("id")
        ],
        "conflicts": [
            {
                "leadId": c.lead_id,  # type: ignore[attr-defined]
                "reason": c.reason,
                "status": c.status.value,
                "resolution": c.resolution.value if c.resolution else None,
                "createdAt": _iso(c.created_at),
            }
            for c in await LeadConflict.filter(email=address).order_by("id")
        ],
        "emails": [
            {
                "subject": m.subject,
                "source": m.source,
                "state": m.state.value,
                "createdAt": _iso(m.created_at),
                "sentAt": _iso(m.sent_at),
            }
            for m in await OutboxEmail.filter(recipient=address).order_by("id")
        ],
        "suppression": [
            {"reason": s.reason.value, "createdAt": _iso(s.created_at)}
            for s in await EmailSuppression.filter(address=address)
        ],
        "portalUsers": [
            {
                "role": u.role.value,
                "partner": partner_names.get(u.partner_id),  # type: ignore[attr-defined]
                "locale": u.locale,
                "supplierEmailsOptIn": u.supplier_emails_opt_in,
            }
            for u in users
        ],
    }

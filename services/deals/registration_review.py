"""The vendor's review of a deal registration and what follows the approval: approve (with a
protection period), reject, ask for information; the partner's one extension request and the
reviewer's answer; linking a customer (which gives an approved registration its Deal); won and lost.

Reviewers are vendor admins and the channel managers of the registration's partner (their scope
already keeps only assigned partners). Every action checks the state *now*: an approval whose
protection has passed is refused with EXPIRED, job or no job.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from models.deal_registrations import DealRegistration, DealRegistrationStatus, ExtensionState
from models.enums import CustomerStatus
from models.webhooks import WebhookEventType
from services.customers.access import visible_customer
from services.customers.common import utcnow
from services.deals.conversion import convert_to_paid, win_open_deal
from services.deals.registration_access import (
    require_partner_member,
    require_reviewer,
    require_state,
    visible_registration,
)
from services.deals.registration_events import (
    RegistrationChange,
    announce,
    announce_committed,
    change_registration,
    record_event,
)
from services.deals.registration_moves import (
    approve_now,
    lose_deal_of,
    open_deal_for,
)
from services.deals.registration_settings import current_settings
from services.platform.errors import ErrorCode, ServiceError, ValidationFailed
from services.platform.validation import clean_text
from services.platform.viewer import Viewer

Status = DealRegistrationStatus
APPROVED_ONLY = frozenset({Status.APPROVED})
SUBMITTED_ONLY = frozenset({Status.SUBMITTED})
MAX_PROTECTION_DAYS = 730


def _text(value: str, field: str, *, max_length: int, required: bool) -> str:
    problems: list[tuple[str, str]] = []
    text = clean_text(
        value, field, problems, max_length=max_length, multiline=True, required=required
    )
    if problems:
        raise ValidationFailed(problems)
    return text


async def _under_review(viewer: Viewer, registration_id: int, now: datetime) -> DealRegistration:
    registration = await visible_registration(viewer, registration_id)
    require_reviewer(viewer)
    require_state(registration, SUBMITTED_ONLY, now, "Only a submitted registration is reviewed.")
    return registration


async def approve_registration(
    viewer: Viewer,
    registration_id: int,
    protection_days: int | None = None,
    note: str = "",
    now: datetime | None = None,
) -> DealRegistration:
    """SUBMITTED -> APPROVED, protected for `protection_days` (the settings' default if None)."""
    now = now or utcnow()
    await _under_review(viewer, registration_id, now)
    note_text = _text(note, "note", max_length=1000, required=False)
    days = protection_days
    if days is None:
        days = (await current_settings()).protection_days
    if not 1 <= days <= MAX_PROTECTION_DAYS:
        raise ValidationFailed(
            [("protectionDays", f"Protect for 1 to {MAX_PROTECTION_DAYS} days.")]
        )
    change = await approve_now(
        registration_id, protection_days=days, actor_id=viewer.user_id, now=now, reason=note_text
    )
    return change.registration


async def reject_registration(
    viewer: Viewer, registration_id: int, reason: str, now: datetime | None = None
) -> DealRegistration:
    """SUBMITTED -> REJECTED (final); the reason is required and shown to the partner."""
    now = now or utcnow()
    await _under_review(viewer, registration_id, now)
    reason_text = _text(reason, "reason", max_length=1000, required=True)
    change = await change_registration(
        registration_id,
        allowed_from=SUBMITTED_ONLY,
        to_status=Status.REJECTED,
        kind="rejected",
        actor_id=viewer.user_id,
        now=now,
        refused="Only a submitted registration can be rejected.",
        reason=reason_text,
        values={
            "rejection_reason": reason_text,
            "decided_at": now,
            "decided_by_id": viewer.user_id,
            "closed_at": now,
        },
        webhook_event=WebhookEventType.DEAL_REGISTRATION_REJECTED,
    )
    return change.registration


async def request_information(
    viewer: Viewer, registration_id: int, message: str, now: datetime | None = None
) -> DealRegistration:
    """SUBMITTED -> INFO_REQUESTED: back to the partner, who answers and resubmits."""
    now = now or utcnow()
    await _under_review(viewer, registration_id, now)
    message_text = _text(message, "message", max_length=5000, required=True)
    change = await change_registration(
        registration_id,
        allowed_from=SUBMITTED_ONLY,
        to_status=Status.INFO_REQUESTED,
        kind="info_requested",
        actor_id=viewer.user_id,
        now=now,
        refused="Only a submitted registration can be asked about.",
        reason=message_text,
        values={"info_request": message_text},
        webhook_event=WebhookEventType.DEAL_REGISTRATION_INFO_REQUESTED,
    )
    return change.registration


async def request_extension(
    viewer: Viewer, registration_id: int, reason: str, now: datetime | None = None
) -> DealRegistration:
    """The partner asks, once, for a longer protection of an approved registration."""
    now = now or utcnow()
    registration = await visible_registration(viewer, registration_id)
    require_partner_member(viewer, registration)
    require_state(registration, APPROVED_ONLY, now, "Only an approved registration is extended.")
    if registration.extension_state is not ExtensionState.NONE:
        raise ServiceError(ErrorCode.INVALID, "An extension can be requested only once.", "id")
    reason_text = _text(reason, "reason", max_length=1000, required=True)
    change = await change_registration(
        registration_id,
        allowed_from=APPROVED_ONLY,
        to_status=Status.APPROVED,
        kind="extension_requested",
        actor_id=viewer.user_id,
        now=now,
        refused="An extension can be requested only once.",
        reason=reason_text,
        values={"extension_state": ExtensionState.REQUESTED, "extension_reason": reason_text},
        guard=Q(extension_state=ExtensionState.NONE, protected_until__gt=now),
        webhook_event=WebhookEventType.DEAL_REGISTRATION_EXTENSION_REQUESTED,
    )
    return change.registration


async def _answer_extension(
    viewer: Viewer, registration_id: int, now: datetime
) -> DealRegistration:
    registration = await visible_registration(viewer, registration_id)
    require_reviewer(viewer)
    require_state(registration, APPROVED_ONLY, now, "Only an approved registration is extended.")
    if registration.extension_state is not ExtensionState.REQUESTED:
        raise ServiceError(ErrorCode.INVALID, "No extension was requested.", "id")
    return registration


async def grant_extension(
    viewer: Viewer, registration_id: int, now: datetime | None = None
) -> DealRegistration:
    """The protection runs the settings' extension days longer."""
    now = now or utcnow()
    registration = await _answer_extension(viewer, registration_id, now)
    days = (await current_settings()).extension_days
    assert registration.protected_until is not None  # approved
    extended = registration.protected_until + timedelta(days=days)
    change = await change_registration(
        registration_id,
        allowed_from=APPROVED_ONLY,
        to_status=Status.APPROVED,
        kind="extension_granted",
        actor_id=viewer.user_id,
        now=now,
        refused="No extension was requested.",
        details={"extensionDays": days, "protectedUntil": extended.isoformat()},
        values={"extension_state": ExtensionState.GRANTED, "protected_until": extended},
        guard=Q(
            extension_state=ExtensionState.REQUESTED,
            protected_until=registration.protected_until,
            protected_until__gt=now,
        ),
        webhook_event=WebhookEventType.DEAL_REGISTRATION_EXTENDED,
    )
    return change.registration


async def decline_extension(
    viewer: Viewer, registration_id: int, reason: str = "", now: datetime | None = None
) -> DealRegistration:
    """The protection keeps its end; the partner cannot ask again."""
    now = now or utcnow()
    await _answer_extension(viewer, registration_id, now)
    reason_text = _text(reason, "reason", max_length=1000, required=False)
    change = await change_registration(
        registration_id,
        allowed_from=APPROVED_ONLY,
        to_status=Status.APPROVED,
        kind="extension_declined",
        actor_id=viewer.user_id,
        now=now,
        refused="No extension was requested.",
        reason=reason_text,
        values={"extension_state": ExtensionState.DECLINED},
        guard=Q(extension_state=ExtensionState.REQUESTED, protected_until__gt=now),
    )
    return change.registration


async def link_customer(
    viewer: Viewer, registration_id: int, customer_id: int, now: datetime | None = None
) -> DealRegistration:
    """Link one of the partner's customers to a registration that has none yet; an approved one
    gets its OPEN deal at once (which marking it won needs)."""
    now = now or utcnow()
    registration = await visible_registration(viewer, registration_id)
    require_partner_member(viewer, registration)
    allowed = frozenset({Status.DRAFT, Status.SUBMITTED, Status.INFO_REQUESTED, Status.APPROVED})
    require_state(registration, allowed, now, "This registration is closed.")
    if registration.customer_id is not None:  # type: ignore[attr-defined]
        raise ServiceError(ErrorCode.INVALID, "A customer is linked already.", "customerId")
    customer = await visible_customer(viewer, customer_id)
    async with in_transaction():
        changed = await DealRegistration.filter(
            Q(status__in=list(allowed - {Status.APPROVED}))
            | Q(status=Status.APPROVED, protected_until__gt=now),
            id=registration.id,
            customer_id=None,
        ).update(customer_id=customer.id, updated_at=now)
        if not changed:
            raise ServiceError(ErrorCode.INVALID, "The registration changed meanwhile.", "id")
        linked = await DealRegistration.get(id=registration.id)
        details: dict[str, object] = {"customer": customer.id}
        if linked.status is Status.APPROVED:
            deal = await open_deal_for(linked, now)
            if deal:
                await DealRegistration.filter(id=linked.id).update(**deal)
                linked = await DealRegistration.get(id=linked.id)
                details["deal"] = deal["deal_id"]
        event = await record_event(
            linked, "customer_linked", linked.status, viewer.user_id, "", details, now
        )
        change = RegistrationChange(linked, event, linked.status)
        await announce(change, None)
    await announce_committed(change)
    return linked


async def mark_won(
    viewer: Viewer,
    registration_id: int,
    plan: str = "",
    term_months: int = 12,
    now: datetime | None = None,
) -> DealRegistration:
    """A vendor admin marks an approved registration won: its deal is won through the
    conversion code (a trial customer converts to paid; a paying one just wins the deal), which
    creates the commission and moves the registration to WON in the same transaction."""
    now = now or utcnow()
    registration = await visible_registration(viewer, registration_id)
    viewer.require_vendor_admin()
    require_state(registration, APPROVED_ONLY, now, "Only an approved registration can be won.")
    deal_id = registration.deal_id  # type: ignore[attr-defined]
    if deal_id is None:
        raise ServiceError(ErrorCode.INVALID, "Link the customer first.", "id")
    customer = await visible_customer(viewer, registration.customer_id)  # type: ignore[attr-defined]
    if customer.status is CustomerStatus.ACTIVE:
        await win_open_deal(viewer, deal_id, now)
    else:
        await convert_to_paid(
            viewer,
            customer.id,
            deal_id=deal_id,
            plan=plan or registration.products,
            term_months=term_months,
            now=now,
        )
    return await DealRegistration.get(id=registration.id)


async def mark_lost(
    viewer: Viewer, registration_id: int, reason: str, now: datetime | None = None
) -> DealRegistration:
    """APPROVED -> LOST (the partner or a reviewer); its open deal is lost too."""
    now = now or utcnow()
    registration = await visible_registration(viewer, registration_id)
    if not viewer.is_vendor_staff:
        require_partner_member(viewer, registration)
    require_state(registration, APPROVED_ONLY, now, "Only an approved registration can be lost.")
    reason_text = _text(reason, "reason", max_length=500, required=True)

    async def lose_deal(lost: DealRegistration) -> None:
        await lose_deal_of(lost, reason_text, now)

    change = await change_registration(
        registration_id,
        allowed_from=APPROVED_ONLY,
        to_status=Status.LOST,
        kind="lost",
        actor_id=viewer.user_id,
        now=now,
        refused="Only an approved registration can be lost.",
        reason=reason_text,
        values={"lost_reason": reason_text, "closed_at": now},
        guard=Q(protected_until__gt=now),
        webhook_event=WebhookEventType.DEAL_REGISTRATION_LOST,
        then=lose_deal,
    )
    return change.registration

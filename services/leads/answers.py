"""The partner's answer to a distributed lead.

A user of the partner the lead was distributed to (and only of that partner) accepts it, or
rejects it with a reason: the lead then goes back to the vendor (`REJECTED`, no partner). Past
its accept-by deadline the lead is the vendor's again and an answer is refused (code EXPIRED).
"""

from __future__ import annotations

from datetime import UTC, datetime

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from models.lead_management import DistributionState, LeadDistribution
from models.leads import DistributionStatus, Lead, LeadEvent
from models.webhooks import WebhookEventType
from services.leads.deadlines import deadline_passed, return_overdue
from services.leads.distribution import current_distribution
from services.leads.service import get_lead
from services.platform.errors import ErrorCode, ServiceError, ValidationFailed, forbidden
from services.platform.validation import validated_text
from services.platform.viewer import Viewer
from services.webhooks.events import emit

MAX_REASON_LENGTH = 1000


def _deadline_error(distribution: LeadDistribution) -> ServiceError:
    deadline = f" ({distribution.accept_by:%Y-%m-%d %H:%M} UTC)" if distribution.accept_by else ""
    return ServiceError(
        ErrorCode.EXPIRED,
        f"The accept-by deadline of this lead{deadline} has passed: it went back to the vendor.",
        "id",
    )


async def _answerable(viewer: Viewer, lead_id: int, now: datetime) -> tuple[Lead, LeadDistribution]:
    lead = await get_lead(viewer, lead_id)
    if not viewer.is_partner_member or lead.partner_id != viewer.partner_id:  # type: ignore[attr-defined]
        raise forbidden("Only users of the partner the lead was distributed to can answer it.")
    distribution = await current_distribution(lead)
    if distribution is not None and deadline_passed(distribution, now):
        # Past the deadline the lead is the vendor's again, whether or not the job ran yet.
        await return_overdue(distribution, now)
        raise _deadline_error(distribution)
    if (
        distribution is None
        or lead.distribution_status is not DistributionStatus.PENDING
        or distribution.state is not DistributionState.PENDING
    ):
        raise ServiceError(ErrorCode.INVALID, "This lead is not waiting for your answer.", "id")
    return lead, distribution


def _answerable_until(now: datetime) -> Q:
    """The condition of an answer's UPDATE: no deadline, or one still ahead."""
    return Q(accept_by__isnull=True) | Q(accept_by__gt=now)


async def accept_lead(viewer: Viewer, lead_id: int) -> Lead:
    now = datetime.now(UTC)
    lead, distribution = await _answerable(viewer, lead_id, now)
    async with in_transaction():
        updated = await LeadDistribution.filter(
            _answerable_until(now), id=distribution.id, state=DistributionState.PENDING
        ).update(state=DistributionState.ACCEPTED, answered_by_id=viewer.user_id, answered_at=now)
        if updated != 1:
            raise ServiceError(ErrorCode.INVALID, "This lead is not waiting for your answer.", "id")
        await Lead.filter(id=lead.id).update(
            distribution_status=DistributionStatus.ACCEPTED, updated_at=now
        )
        await LeadEvent.create(
            lead=lead,
            kind="accepted",
            actor_id=viewer.user_id,
            partner_id=viewer.partner_id,
            details={"distribution_id": distribution.id, "auto": False},
        )
        await lead.refresh_from_db()
        await emit(WebhookEventType.LEAD_ACCEPTED, lead)
    await lead.refresh_from_db()
    return lead


async def reject_lead(viewer: Viewer, lead_id: int, reason: str) -> Lead:
    """Reject with a reason: the lead goes back to the vendor and leaves the partner's view."""
    reason = validated_text(reason, "reason", max_length=MAX_REASON_LENGTH, multiline=True)
    if not reason:
        raise ValidationFailed([("reason", "Say why you reject the lead.")])
    now = datetime.now(UTC)
    lead, distribution = await _answerable(viewer, lead_id, now)
    async with in_transaction():
        updated = await LeadDistribution.filter(
            _answerable_until(now), id=distribution.id, state=DistributionState.PENDING
        ).update(
            state=DistributionState.REJECTED,
            answered_by_id=viewer.user_id,
            answered_at=now,
            reject_reason=reason,
        )
        if updated != 1:
            raise ServiceError(ErrorCode.INVALID, "This lead is not waiting for your answer.", "id")
        await Lead.filter(id=lead.id).update(
            partner_id=None, distribution_status=DistributionStatus.REJECTED, updated_at=now
        )
        await LeadEvent.create(
            lead=lead,
            kind="rejected",
            actor_id=viewer.user_id,
            partner_id=viewer.partner_id,
            details={"distribution_id": distribution.id, "reason": reason},
        )
        await lead.refresh_from_db()
        await emit(WebhookEventType.LEAD_REJECTED, lead)
    await lead.refresh_from_db()
    return lead

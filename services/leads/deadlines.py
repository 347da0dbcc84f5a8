"""The accept-by deadline of a distributed lead.

A lead whose accept-by deadline passed unanswered goes back to the vendor (`RETURNED`, `returned`
entry with reason `deadline`). The worker does it for every lead (`services.leads.jobs`), and every
read of or action on distributed leads does it first for the leads concerned
(`settle_overdue_leads`): an answer after the deadline is refused (code EXPIRED) whether or not
the job has run yet.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from tortoise.transactions import in_transaction

from models.lead_management import DistributionState, LeadDistribution
from models.leads import DistributionStatus, Lead, LeadEvent
from models.webhooks import WebhookEventType
from services.platform.viewer import Viewer
from services.webhooks.events import emit_fetched


def deadline_passed(distribution: LeadDistribution, now: datetime) -> bool:
    return (
        distribution.state is DistributionState.PENDING
        and distribution.accept_by is not None
        and distribution.accept_by <= now
    )


async def return_overdue(distribution: LeadDistribution, now: datetime) -> bool:
    """One unanswered distribution past its deadline back to the vendor (RETURNED), as one
    conditional transaction: False if it was answered or returned meanwhile."""
    async with in_transaction():
        changed = await LeadDistribution.filter(
            id=distribution.id, state=DistributionState.PENDING
        ).update(state=DistributionState.RETURNED, answered_at=now)
        if changed != 1:
            return False
        await Lead.filter(
            id=distribution.lead_id,  # type: ignore[attr-defined]
            partner_id=distribution.partner_id,  # type: ignore[attr-defined]
            distribution_status=DistributionStatus.PENDING,
        ).update(partner_id=None, distribution_status=DistributionStatus.RETURNED, updated_at=now)
        await LeadEvent.create(
            lead_id=distribution.lead_id,  # type: ignore[attr-defined]
            kind="returned",
            partner_id=distribution.partner_id,  # type: ignore[attr-defined]
            details={
                "distribution_id": distribution.id,
                "reason": "deadline",
                "accept_by": distribution.accept_by.isoformat() if distribution.accept_by else None,
            },
        )
        lead_id = distribution.lead_id  # type: ignore[attr-defined]
        await emit_fetched(WebhookEventType.LEAD_RETURNED, Lead, [lead_id])
    return True


async def settle_overdue_leads(
    now: datetime | None = None,
    *,
    partner_id: int | None = None,
    lead_ids: Sequence[int] | None = None,
) -> int:
    """Return every lead whose accept-by deadline passed unanswered to the vendor, optionally
    only those of one partner or among some leads. The worker runs it for all; every read of
    and action on distributed leads runs it first for the leads concerned, so that a passed
    deadline holds whether or not the job has run yet."""
    now = now or datetime.now(UTC)
    overdue = LeadDistribution.filter(state=DistributionState.PENDING, accept_by__lte=now)
    if partner_id is not None:
        overdue = overdue.filter(partner_id=partner_id)
    if lead_ids is not None:
        overdue = overdue.filter(lead_id__in=list(lead_ids))
    returned = 0
    for distribution in await overdue.order_by("id"):
        returned += await return_overdue(distribution, now)
    return returned


async def settle_overdue_leads_for(viewer: Viewer, lead_ids: Sequence[int] | None = None) -> int:
    """`settle_overdue_leads` for what the viewer can read: its own partner's leads (a partner
    user), every lead (vendor staff)."""
    if viewer.is_vendor_staff:
        return await settle_overdue_leads(lead_ids=lead_ids)
    if viewer.is_partner_member and viewer.partner_id is not None:
        return await settle_overdue_leads(partner_id=viewer.partner_id, lead_ids=lead_ids)
    return 0

"""Reading deal registrations: the filtered list, counts per status, each one's history, and
what each reader may see of a history entry or a conflict (the holder is for vendor staff only).

Statuses are read as they are *now* (services/deals/registration_access.py): an approval whose
protection passed is listed and counted as EXPIRED even before the worker wrote it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tortoise.expressions import Q
from tortoise.functions import Count

from models.deal_registrations import (
    DealRegistration,
    DealRegistrationEvent,
    DealRegistrationStatus,
    DirectDeal,
)
from models.users import ChannelManagerAssignment
from services.customers.common import utcnow
from services.deals.registration_access import (
    overdue_filter,
    registration_scope,
    status_filter,
)
from services.platform.errors import ErrorCode, ServiceError, not_found
from services.platform.nested_pages import counts_per_parent, pages_per_parent
from services.platform.pagination import Page, PageWindow, paginate
from services.platform.viewer import Viewer

Status = DealRegistrationStatus
MAX_EXPIRING_DAYS = 730
# History details that name the holder of a conflict: vendor staff only.
HOLDER_DETAILS = frozenset({"conflictRegistration", "conflictDirectDeal"})


@dataclass(frozen=True)
class RegistrationFilter:
    status: DealRegistrationStatus | None = None
    partner_id: int | None = None
    # Registrations this user decided, or still awaits as a channel manager of their partner.
    reviewer_id: int | None = None
    overdue: bool | None = None
    expiring_within_days: int | None = None


async def _filtered(viewer: Viewer, wanted: RegistrationFilter, now: datetime) -> Q:
    condition = registration_scope(viewer)
    if wanted.partner_id is not None:
        condition &= Q(partner_id=wanted.partner_id)
    if wanted.status is not None:
        condition &= status_filter(wanted.status, now)
    if wanted.overdue is not None:
        condition &= overdue_filter(now) if wanted.overdue else ~overdue_filter(now)
    if wanted.expiring_within_days is not None:
        days = wanted.expiring_within_days
        if not 0 <= days <= MAX_EXPIRING_DAYS:
            raise ServiceError(
                ErrorCode.INVALID,
                f"expiringWithinDays must be between 0 and {MAX_EXPIRING_DAYS}.",
                "expiringWithinDays",
            )
        condition &= Q(
            status=Status.APPROVED,
            protected_until__gt=now,
            protected_until__lte=now + timedelta(days=days),
        )
    if wanted.reviewer_id is not None:
        assigned = await ChannelManagerAssignment.filter(manager_id=wanted.reviewer_id).values_list(
            "partner_id", flat=True
        )
        awaiting = Q(status=Status.SUBMITTED, partner_id__in=sorted(set(assigned)))
        condition &= Q(decided_by_id=wanted.reviewer_id) | awaiting
    return condition


async def list_registrations(
    viewer: Viewer,
    wanted: RegistrationFilter = RegistrationFilter(),
    window: PageWindow = PageWindow(),
    now: datetime | None = None,
) -> Page[DealRegistration]:
    """The registrations the viewer may see that match, newest first (or by change for sync)."""
    condition = await _filtered(viewer, wanted, now or utcnow())
    return await paginate(DealRegistration.filter(condition), window, newest_first=True)


@dataclass(frozen=True)
class RegistrationCounts:
    by_status: dict[DealRegistrationStatus, int]
    overdue: int
    expiring_soon: int


async def registration_counts(
    viewer: Viewer,
    partner_id: int | None = None,
    expiring_within_days: int = 14,
    now: datetime | None = None,
) -> RegistrationCounts:
    """How many registrations (that the viewer may see) are in each status now, how many
    reviews are overdue and how many protections end within `expiring_within_days`."""
    now = now or utcnow()
    base = await _filtered(viewer, RegistrationFilter(partner_id=partner_id), now)
    rows = (
        await DealRegistration.filter(base)
        .annotate(count=Count("id"))
        .group_by("status")
        .values("status", "count")
    )
    by_status = dict.fromkeys(Status, 0)
    for row in rows:
        by_status[Status(row["status"])] += row["count"]
    lapsed = await DealRegistration.filter(
        base, status=Status.APPROVED, protected_until__lte=now
    ).count()
    by_status[Status.APPROVED] -= lapsed
    by_status[Status.EXPIRED] += lapsed
    overdue = await DealRegistration.filter(base, overdue_filter(now)).count()
    expiring = await DealRegistration.filter(
        await _filtered(
            viewer,
            RegistrationFilter(partner_id=partner_id, expiring_within_days=expiring_within_days),
            now,
        )
    ).count()
    return RegistrationCounts(by_status=by_status, overdue=overdue, expiring_soon=expiring)


async def history_pages(
    viewer: Viewer, registration_ids: list[int], window: PageWindow
) -> dict[int, Page[DealRegistrationEvent]]:
    """A page of the history of each registration (already visible to the viewer), oldest
    first, in one statement whatever the number of registrations."""
    return await pages_per_parent(
        DealRegistrationEvent.all(), "registration_id", registration_ids, window
    )


async def history_counts(viewer: Viewer, registration_ids: list[int]) -> dict[int, int]:
    counts = await counts_per_parent(
        DealRegistrationEvent.all(), "registration_id", registration_ids
    )
    return {registration_id: counts.get(registration_id, 0) for registration_id in registration_ids}


async def visible_history_entry(viewer: Viewer, event_id: int) -> DealRegistrationEvent:
    """A history entry of a registration the viewer may see; NOT_FOUND otherwise."""
    event = await DealRegistrationEvent.get_or_none(id=event_id)
    registration_id = event.registration_id if event else None  # type: ignore[attr-defined]
    visible = await DealRegistration.filter(registration_scope(viewer), id=registration_id).exists()
    if event is None or not visible:
        raise not_found("History entry")
    return event


def details_for(viewer: Viewer, event: DealRegistrationEvent) -> dict[str, Any]:
    """An entry's details as this viewer may read them: no conflict holder for partners."""
    details = dict(event.details or {})
    if not viewer.is_vendor_staff:
        for key in HOLDER_DETAILS:
            details.pop(key, None)
    return details


async def registrations_by_ids(
    viewer: Viewer, registration_ids: list[int]
) -> dict[int, DealRegistration]:
    """Those of these registrations the viewer may see (a conflict's holder: vendor staff)."""
    rows = await DealRegistration.filter(registration_scope(viewer), id__in=registration_ids)
    return {row.id: row for row in rows}


async def conflict_direct_deal(viewer: Viewer, direct_deal_id: int | None) -> DirectDeal | None:
    """The vendor's direct deal a registration conflicts with: vendor staff only."""
    if direct_deal_id is None or not viewer.is_vendor_staff:
        return None
    return await DirectDeal.get_or_none(id=direct_deal_id)

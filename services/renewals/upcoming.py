"""Upcoming renewals: the viewer's paying customers renewing soon, with the owner in force, who
will be told, and the next notice.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from models.customers import Customer
from models.enums import CustomerStatus
from models.renewals import RenewalReminder
from services.customers.access import customer_scope
from services.customers.common import utcnow
from services.platform.errors import ValidationFailed, not_found
from services.platform.pagination import KeysetOrder, Page, PageWindow, paginate_ordered
from services.platform.viewer import Viewer
from services.renewals.notices import due_offset, reminder_offsets
from services.renewals.service import RenewalPlan, renewal_plans

MAX_UPCOMING_DAYS = 366


@dataclass
class UpcomingRenewal:
    customer: Customer
    renewal_at: datetime
    days_left: int
    plan: RenewalPlan
    next_notice_offset: int | None
    next_notice_on: date | None
    notices_sent: list[int]


@dataclass
class UpcomingPage:
    rows: list[UpcomingRenewal]
    # The customers of the rows, with the cursors, page info and total count.
    page: Page[Customer]


_SOONEST_FIRST = KeysetOrder(tag="renewal", columns=("next_renewal_at", "id"))


async def upcoming_renewals(
    viewer: Viewer,
    days: int = 90,
    partner_id: int | None = None,
    now: datetime | None = None,
    window: PageWindow = PageWindow(),
) -> UpcomingPage:
    """The viewer's paying customers whose renewal date falls in the next `days` days, soonest
    first, with the owner in force and exactly who will be told (cursor-paginated)."""
    now = now or utcnow()
    if not 1 <= days <= MAX_UPCOMING_DAYS:
        raise ValidationFailed([("days", f"Choose 1 to {MAX_UPCOMING_DAYS} days.")])
    if partner_id is not None and not viewer.can_see_partner(partner_id):
        raise not_found("Partner")
    queryset = Customer.filter(
        await customer_scope(viewer),
        status=CustomerStatus.ACTIVE,
        next_renewal_at__gt=now,
        next_renewal_at__lte=now + timedelta(days=days),
    )
    if partner_id is not None:
        queryset = queryset.filter(partner_id=partner_id)
    page = await paginate_ordered(queryset, window, _SOONEST_FIRST)
    customers = page.items
    plans = await renewal_plans(customers)
    offsets = await reminder_offsets()
    sent: dict[tuple[int, date], list[int]] = defaultdict(list)
    for customer_id, renewal_date, offset in await RenewalReminder.filter(
        customer_id__in=[c.id for c in customers]
    ).values_list("customer_id", "renewal_date", "offset_days"):
        sent[(customer_id, renewal_date)].append(offset)
    today = now.date()
    rows: list[UpcomingRenewal] = []
    for customer in customers:
        assert customer.next_renewal_at is not None
        renewal_date = customer.next_renewal_at.date()
        days_left = (renewal_date - today).days
        already = sorted(sent.get((customer.id, renewal_date), []), reverse=True)
        pending = [o for o in offsets if o not in already and o < days_left]
        due = due_offset(days_left, offsets)
        next_offset: int | None
        if due is not None and due not in already:
            next_offset = due
        else:
            next_offset = max(pending) if pending else None
        rows.append(
            UpcomingRenewal(
                customer=customer,
                renewal_at=customer.next_renewal_at,
                days_left=days_left,
                plan=plans[customer.id],
                next_notice_offset=next_offset,
                next_notice_on=(
                    max(today, renewal_date - timedelta(days=next_offset))
                    if next_offset is not None
                    else None
                ),
                notices_sent=already,
            )
        )
    return UpcomingPage(rows=rows, page=page)

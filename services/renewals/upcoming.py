"""Upcoming renewals: the viewer's paying customers renewing soon, with the owner in force, who
will be told, and the next notice.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from tortoise.expressions import Q

from models.customers import Customer
from models.enums import CustomerStatus
from models.renewals import RenewalReminder
from services.customers.access import customer_scope
from services.customers.common import utcnow
from services.platform.errors import ErrorCode, ServiceError, ValidationFailed, not_found
from services.platform.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
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
    cursors: list[str]
    has_next_page: bool

    @property
    def end_cursor(self) -> str | None:
        return self.cursors[-1] if self.cursors else None


def _renewal_cursor(customer: Customer) -> str:
    assert customer.next_renewal_at is not None
    raw = json.dumps([customer.next_renewal_at.isoformat(), customer.id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_renewal_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        moment, customer_id = json.loads(base64.urlsafe_b64decode(padded.encode()).decode())
        when = datetime.fromisoformat(moment)
        if when.tzinfo is None:
            raise ValueError(moment)
        return when, int(customer_id)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise ServiceError(ErrorCode.INVALID, "This cursor is not valid.", "after") from None


async def upcoming_renewals(
    viewer: Viewer,
    days: int = 90,
    partner_id: int | None = None,
    now: datetime | None = None,
    first: int | None = None,
    after: str | None = None,
) -> UpcomingPage:
    """The viewer's paying customers whose renewal date falls in the next `days` days, soonest
    first, with the owner in force and exactly who will be told (cursor-paginated)."""
    now = now or utcnow()
    if not 1 <= days <= MAX_UPCOMING_DAYS:
        raise ValidationFailed([("days", f"Choose 1 to {MAX_UPCOMING_DAYS} days.")])
    size = DEFAULT_PAGE_SIZE if first is None else first
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise ServiceError(
            ErrorCode.INVALID, f"first must be between 1 and {MAX_PAGE_SIZE}.", "first"
        )
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
    if after is not None:
        after_at, after_id = _decode_renewal_cursor(after)
        queryset = queryset.filter(
            Q(next_renewal_at__gt=after_at) | Q(next_renewal_at=after_at, id__gt=after_id)
        )
    fetched = list(await queryset.order_by("next_renewal_at", "id").limit(size + 1))
    customers = fetched[:size]
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
    return UpcomingPage(
        rows=rows,
        cursors=[_renewal_cursor(c) for c in customers],
        has_next_page=len(fetched) > size,
    )

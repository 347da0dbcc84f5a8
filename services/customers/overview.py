"""The customer overview: one page of the viewer's customers with filters, search, sort and
cursor pagination, the figures of each row, and the counts of the filter tabs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from tortoise.expressions import Subquery
from tortoise.functions import Count
from tortoise.queryset import QuerySet

from models.accounts import AttentionItem, CustomerActivity, CustomerUser
from models.customers import Customer
from models.enums import CustomerStatus
from services.customers.access import customer_scope
from services.customers.common import trial_days_left, utcnow
from services.platform.errors import not_found
from services.platform.pagination import KeysetOrder, Page, PageWindow, paginate_ordered
from services.platform.validation import clean_search
from services.platform.viewer import Viewer

ACTIVITY_WINDOW_DAYS = 90


class CustomerSort(StrEnum):
    NAME_ASC = "name_asc"
    NAME_DESC = "name_desc"
    NEWEST_FIRST = "newest_first"
    OLDEST_FIRST = "oldest_first"


@dataclass(frozen=True)
class OverviewFilter:
    partner_id: int | None = None
    status: CustomerStatus | None = None
    needs_attention: bool | None = None
    search: str | None = None


@dataclass
class CustomerFigures:
    """The overview columns of one customer that come from other tables."""

    user_count: int = 0
    activity_count: int = 0
    # The open attention items, oldest first (id order).
    attention_items: list[AttentionItem] = field(default_factory=list)

    @property
    def attention_count(self) -> int:
        return len(self.attention_items)


@dataclass
class OverviewRow:
    customer: Customer
    figures: CustomerFigures
    days_left_in_trial: int | None

    @property
    def user_count(self) -> int:
        return self.figures.user_count

    @property
    def activity_count(self) -> int:
        return self.figures.activity_count

    @property
    def attention_items(self) -> list[AttentionItem]:
        return self.figures.attention_items

    @property
    def attention_count(self) -> int:
        return self.figures.attention_count


@dataclass
class OverviewPage:
    rows: list[OverviewRow]
    # The customers of the rows, with the cursors, page info and total count.
    page: Page[Customer]


@dataclass(frozen=True)
class StatusCounts:
    all: int
    trial: int
    active: int
    closed: int
    needs_attention: int


def _open_attention_ids() -> Subquery:
    return Subquery(AttentionItem.filter(resolved_at__isnull=True).values("customer_id"))


async def _overview_queryset(viewer: Viewer, flt: OverviewFilter) -> QuerySet[Customer]:
    if flt.partner_id is not None and not viewer.can_see_partner(flt.partner_id):
        raise not_found("Partner")
    queryset = Customer.filter(await customer_scope(viewer))
    if flt.partner_id is not None:
        queryset = queryset.filter(partner_id=flt.partner_id)
    if flt.status is not None:
        queryset = queryset.filter(status=flt.status)
    term = clean_search(flt.search)
    if term:
        queryset = queryset.filter(name__icontains=term)
    if flt.needs_attention is True:
        queryset = queryset.filter(id__in=_open_attention_ids())
    elif flt.needs_attention is False:
        queryset = queryset.exclude(id__in=_open_attention_ids())
    return queryset


_ORDERS = {
    CustomerSort.NAME_ASC: ("name", "id"),
    CustomerSort.NAME_DESC: ("-name", "-id"),
    CustomerSort.NEWEST_FIRST: ("-id",),
    CustomerSort.OLDEST_FIRST: ("id",),
}


def _order(sort: CustomerSort) -> KeysetOrder:
    return KeysetOrder(tag=sort.value, columns=_ORDERS[sort])


async def customer_overview(
    viewer: Viewer,
    flt: OverviewFilter,
    sort: CustomerSort = CustomerSort.NAME_ASC,
    window: PageWindow = PageWindow(),
    now: datetime | None = None,
) -> OverviewPage:
    """One page of the viewer's customers with the overview figures of each row.

    A page costs a fixed number of statements whatever its size: the customers, then one
    grouped query each for users, recent activities and open attention items.
    """
    now = now or utcnow()
    queryset = await _overview_queryset(viewer, flt)
    page = await paginate_ordered(queryset, window, _order(sort))
    figures = await customer_figures([c.id for c in page.items], now)
    rows = [
        OverviewRow(customer=c, figures=figures[c.id], days_left_in_trial=trial_days_left(c, now))
        for c in page.items
    ]
    return OverviewPage(rows=rows, page=page)


async def customer_figures(
    customer_ids: list[int], now: datetime | None = None
) -> dict[int, CustomerFigures]:
    """The overview figures of these customers (already allowed to the caller), by id: one
    grouped query each for users, recent activities and open attention items, whatever the
    number of customers."""
    now = now or utcnow()
    figures = {customer_id: CustomerFigures() for customer_id in customer_ids}
    if not customer_ids:
        return figures
    for row in (
        await CustomerUser.filter(customer_id__in=customer_ids)
        .annotate(n=Count("id"))
        .group_by("customer_id")
        .values("customer_id", "n")
    ):
        figures[row["customer_id"]].user_count = row["n"]
    for row in (
        await CustomerActivity.filter(
            customer_id__in=customer_ids,
            occurred_at__gt=now - timedelta(days=ACTIVITY_WINDOW_DAYS),
            occurred_at__lte=now,
        )
        .annotate(n=Count("id"))
        .group_by("customer_id")
        .values("customer_id", "n")
    ):
        figures[row["customer_id"]].activity_count = row["n"]
    for item in await AttentionItem.filter(
        customer_id__in=customer_ids, resolved_at__isnull=True
    ).order_by("id"):
        figures[item.customer_id].attention_items.append(item)  # type: ignore[attr-defined]
    return figures


async def overview_counts(viewer: Viewer, flt: OverviewFilter) -> StatusCounts:
    """Counts for the filter tabs: the customers matching the search (and partner), per status,
    and how many of them need attention. The status and needs-attention filters do not apply."""
    base = OverviewFilter(partner_id=flt.partner_id, search=flt.search)
    queryset = await _overview_queryset(viewer, base)
    by_status = {
        row["status"]: row["n"]
        for row in await queryset.annotate(n=Count("id")).group_by("status").values("status", "n")
    }
    attention_queryset = await _overview_queryset(
        viewer, OverviewFilter(partner_id=flt.partner_id, search=flt.search, needs_attention=True)
    )
    needing = await attention_queryset.count()

    def count(status: CustomerStatus) -> int:
        return int(by_status.get(status, 0) or by_status.get(status.value, 0))

    trial, active, closed = (count(s) for s in CustomerStatus)
    return StatusCounts(
        all=trial + active + closed,
        trial=trial,
        active=active,
        closed=closed,
        needs_attention=needing,
    )

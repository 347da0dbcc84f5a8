"""Cursor pagination over a queryset ordered by primary key (keyset, no OFFSET), both ways.

A `PageWindow` is what a client asks for: `first` rows after a cursor (forward) or `last` rows
before a cursor (backward), never both. A page holds at most MAX_PAGE_SIZE rows: a larger
`first`/`last` is refused (INVALID), not clamped, so that a client never mistakes a shorter page
for the end of the list. Without `first` and `last` a page holds DEFAULT_PAGE_SIZE rows.

The total count of the list (`totalCount`) is one COUNT statement over the same filters, run only
when asked for (`Page.total_count`).

Incremental sync: a window with `updated_since` (a list's `updatedSince` argument) pages through
the rows changed at or after that moment, ordered by (updated_at, id) whatever the list's own
order, with keyset cursors over both (CHANGES_ORDER). A poller pages with `after` and keeps the
last cursor; rows that share one timestamp are split by id, so a page boundary inside a run of
equal timestamps neither repeats nor skips a row. A row changed again after it was read gets a
later updated_at and comes back once more, at the end, with its new values. Every write path
keeps updated_at (models/tracking.py stamps queryset updates too). A cursor of the list's own
order is refused by the sync order and vice versa (INVALID).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import Enum
from functools import lru_cache
from typing import Any, Generic, TypeVar

from tortoise.expressions import Q
from tortoise.models import Model
from tortoise.queryset import QuerySet

from services.platform.errors import ErrorCode, ServiceError
from services.platform.records import fetch_records

ModelT = TypeVar("ModelT")
RowT = TypeVar("RowT", bound=Model)

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


@dataclass(frozen=True)
class PageWindow:
    """Which slice of a list a client asks for (Relay's first/after and last/before)."""

    first: int | None = None
    after: str | None = None
    last: int | None = None
    before: str | None = None
    # Incremental sync: only rows changed at or after this moment, in (updated_at, id) order.
    updated_since: datetime | None = None

    @property
    def backward(self) -> bool:
        return self.last is not None

    def size(self) -> int:
        """The number of rows asked for; INVALID for both first and last, or a size out of range."""
        if self.first is not None and self.last is not None:
            raise ServiceError(ErrorCode.INVALID, "Use either first or last, not both.", "last")
        name, size = ("last", self.last) if self.last is not None else ("first", self.first)
        size = DEFAULT_PAGE_SIZE if size is None else size
        if not 1 <= size <= MAX_PAGE_SIZE:
            raise ServiceError(
                ErrorCode.INVALID, f"{name} must be between 1 and {MAX_PAGE_SIZE}.", name
            )
        return size


async def _no_count() -> int:
    raise RuntimeError("This page was built without a count.")


@dataclass(frozen=True)
class Page(Generic[ModelT]):
    items: list[ModelT]
    has_next_page: bool
    has_previous_page: bool = False
    # The cursor of each item, in order; by default the item's primary key (see cursors_of).
    cursors: list[str] | None = None
    # Counts every row of the list (all pages): one COUNT statement, run when called.
    count: Callable[[], Awaitable[int]] = field(default=_no_count, compare=False)

    def cursor_list(self) -> list[str]:
        if self.cursors is not None:
            return self.cursors
        return [encode_cursor(item.pk) for item in self.items]  # type: ignore[attr-defined]

    @property
    def start_cursor(self) -> str | None:
        cursors = self.cursor_list()
        return cursors[0] if cursors else None

    @property
    def end_cursor(self) -> str | None:
        cursors = self.cursor_list()
        return cursors[-1] if cursors else None

    async def total_count(self) -> int:
        return await self.count()


@lru_cache(maxsize=65536, typed=True)
def encode_cursor(primary_key: int) -> str:
    """The cursor of a row by primary key (memoised: every page of every list encodes them)."""
    return base64.urlsafe_b64encode(f"id:{primary_key}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str, field: str = "after") -> int:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        kind, _, value = base64.urlsafe_b64decode(padded.encode()).decode().partition(":")
        if kind != "id" or not (value.isascii() and value.isdigit()):
            raise ValueError(kind)
        return int(value)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise ServiceError(ErrorCode.INVALID, "This cursor is not valid.", field) from None


def counter(queryset: QuerySet[Any]) -> Callable[[], Awaitable[int]]:
    """One COUNT statement over the queryset's filters, when called."""

    async def count() -> int:
        return await queryset.count()

    return count


async def paginate(
    queryset: QuerySet[RowT],
    window: PageWindow,
    *,
    newest_first: bool = False,
    as_records: bool = False,
) -> Page[Any]:
    """One page of the queryset in primary-key order (descending with newest_first).

    With `as_records` the page holds records (services/platform/records.py) instead of model
    instances: the same statement and attribute values, for callers that only read attributes.
    """
    read: Callable[[QuerySet[RowT]], Awaitable[list[Any]]] = (
        fetch_records if as_records else _instances
    )
    if window.updated_since is not None:
        return await paginate_changes(queryset, window)
    size = window.size()
    bounded = queryset
    # "after" means further along the list's order; "before" means earlier in it.
    later, earlier = ("id__lt", "id__gt") if newest_first else ("id__gt", "id__lt")
    if window.after is not None:
        bounded = bounded.filter(**{later: decode_cursor(window.after, "after")})
    if window.before is not None:
        bounded = bounded.filter(**{earlier: decode_cursor(window.before, "before")})
    forward_order = "-id" if newest_first else "id"
    if not window.backward:
        rows = await read(bounded.order_by(forward_order).limit(size + 1))
        return Page(
            items=rows[:size],
            has_next_page=len(rows) > size,
            has_previous_page=window.after is not None,
            count=counter(queryset),
        )
    backward_order = "id" if newest_first else "-id"
    rows = await read(bounded.order_by(backward_order).limit(size + 1))
    return Page(
        items=list(reversed(rows[:size])),
        has_next_page=window.before is not None,
        has_previous_page=len(rows) > size,
        count=counter(queryset),
    )


async def _instances(queryset: QuerySet[RowT]) -> list[RowT]:
    return list(await queryset)


@dataclass(frozen=True)
class KeysetOrder:
    """A list order for keyset paging: columns ending with the primary key, "-" for descending,
    e.g. ("name", "id") or ("-next_renewal_at", "-id"). `tag` names the order in its cursors, so
    that a cursor of one order is refused by another."""

    tag: str
    columns: tuple[str, ...]

    def cursor(self, row: Any) -> str:
        values = [_cursor_value(getattr(row, column.lstrip("-"))) for column in self.columns]
        raw = json.dumps([self.tag, *values], separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def decode(self, cursor: str, field: str) -> list[Any]:
        try:
            padded = cursor + "=" * (-len(cursor) % 4)
            payload = json.loads(base64.urlsafe_b64decode(padded.encode()).decode())
            if not isinstance(payload, list) or len(payload) != len(self.columns) + 1:
                raise ValueError(payload)
            if payload[0] != self.tag:
                raise ValueError(payload)
            return [_from_cursor_value(value) for value in payload[1:]]
        except (ValueError, TypeError, KeyError, binascii.Error, UnicodeDecodeError):
            raise ServiceError(
                ErrorCode.INVALID, "This cursor is not valid for this list and order.", field
            ) from None

    def beyond(self, values: list[Any], forward: bool) -> Q:
        """Rows after `values` in this order (forward) or before them (not forward)."""
        condition: Q | None = None
        for column, value in reversed(list(zip(self.columns, values, strict=True))):
            name = column.lstrip("-")
            ascending = not column.startswith("-")
            operator = "gt" if ascending == forward else "lt"
            strictly = Q(**{f"{name}__{operator}": value})
            if condition is not None:
                strictly = strictly | (Q(**{name: value}) & condition)
            condition = strictly
        assert condition is not None
        return condition

    def ordering(self, forward: bool) -> list[str]:
        if forward:
            return list(self.columns)
        return [c[1:] if c.startswith("-") else f"-{c}" for c in self.columns]


def _cursor_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"t": value.isoformat()}
    if isinstance(value, Enum):
        return value.value
    return value


def _from_cursor_value(value: Any) -> Any:
    if isinstance(value, dict):
        return datetime.fromisoformat(value["t"])
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(value)
    return value


async def paginate_ordered(
    queryset: QuerySet[RowT], window: PageWindow, order: KeysetOrder
) -> Page[RowT]:
    """One page of the queryset in `order` (keyset: no OFFSET, whatever the page)."""
    if window.updated_since is not None:
        return await paginate_changes(queryset, window)
    size = window.size()
    bounded = queryset
    if window.after is not None:
        bounded = bounded.filter(order.beyond(order.decode(window.after, "after"), True))
    if window.before is not None:
        bounded = bounded.filter(order.beyond(order.decode(window.before, "before"), False))
    forward = not window.backward
    rows = list(await bounded.order_by(*order.ordering(forward)).limit(size + 1))
    items = rows[:size] if forward else list(reversed(rows[:size]))
    more = len(rows) > size
    return Page(
        items=items,
        has_next_page=more if forward else window.before is not None,
        has_previous_page=window.after is not None if forward else more,
        cursors=[order.cursor(item) for item in items],
        count=counter(queryset),
    )


CHANGES_ORDER = KeysetOrder("changed", ("updated_at", "id"))


async def paginate_changes(queryset: QuerySet[RowT], window: PageWindow) -> Page[RowT]:
    """One page of the rows changed at or after `window.updated_since`, by (updated_at, id)."""
    since = window.updated_since
    assert since is not None
    if since.tzinfo is None:
        raise ServiceError(
            ErrorCode.INVALID, "updatedSince needs a time zone offset.", "updatedSince"
        )
    changed = queryset.filter(updated_at__gte=since)
    return await paginate_ordered(changed, replace(window, updated_since=None), CHANGES_ORDER)

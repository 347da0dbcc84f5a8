"""Nested connections without N+1: one page of a child list for each of many parents at once.

`Partner.users` on a page of 50 partners asks for 50 pages of users. `pages_per_parent` answers
them in ONE statement: the rows of every parent, numbered per parent by a window function
(ROW_NUMBER() OVER (PARTITION BY parent ORDER BY id)), cut at the page size plus one (to know
whether a next page exists). Keyset bounds (after/before) are the same for every parent of the
batch, as they come from the same field arguments. `counts_per_parent` is one GROUP BY statement
for the lists' totalCount, run only when asked for.

Lists computed in memory (dynamic group members, a partner's groups) page with `page_of_list`,
with the same cursors, so a client cannot tell the two apart.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from tortoise.expressions import RawSQL
from tortoise.functions import Count
from tortoise.models import Model
from tortoise.queryset import QuerySet

from services.platform.pagination import Page, PageWindow, decode_cursor
from services.platform.records import records_of_statement

RowT = TypeVar("RowT", bound=Model)
ItemT = TypeVar("ItemT")

_RANK = "row_in_parent"


def _bounded(queryset: QuerySet[RowT], window: PageWindow) -> QuerySet[RowT]:
    if window.after is not None:
        queryset = queryset.filter(id__gt=decode_cursor(window.after, "after"))
    if window.before is not None:
        queryset = queryset.filter(id__lt=decode_cursor(window.before, "before"))
    return queryset


async def pages_per_parent(
    queryset: QuerySet[RowT],
    parent_field: str,
    parent_ids: Sequence[int],
    window: PageWindow,
    *,
    as_records: bool = False,
) -> dict[int, Page[Any]]:
    """One page (in primary-key order) of the queryset's rows of each parent, in one statement.

    `parent_field` is the model's foreign-key column (e.g. "partner_id"). Parents without rows
    get an empty page. The pages carry no count: see counts_per_parent. With `as_records`, the
    pages hold records (services/platform/records.py) instead of model instances: the same
    statement and attribute values, for callers that only read attributes.
    """
    size = window.size()
    pages: dict[int, Page[RowT]] = {
        p: Page(items=[], has_next_page=False, has_previous_page=window.after is not None)
        for p in parent_ids
    }
    if not parent_ids:
        return pages
    model = queryset.model
    table = model._meta.db_table
    direction = "DESC" if window.backward else "ASC"
    ranked = _bounded(queryset, window).filter(**{f"{parent_field}__in": sorted(set(parent_ids))})
    ranked = ranked.annotate(
        **{
            _RANK: RawSQL(
                f'ROW_NUMBER() OVER (PARTITION BY "{table}"."{parent_field}" '
                f'ORDER BY "{table}"."id" {direction})'
            )
        }
    )
    # The queryset's own SQL (filters, viewer scope, parameters), wrapped to cut each parent's
    # rows at the page size: a window function cannot be filtered in its own WHERE clause.
    ranked._choose_db_if_not_chosen()
    ranked._make_query()
    inner_sql, values = ranked.query.get_parameterized_sql()
    sql = f'SELECT * FROM ({inner_sql}) "ranked" WHERE "{_RANK}" <= {int(size) + 1}'
    rows: list[Any]
    if as_records:
        rows = await records_of_statement(ranked._db, model, sql, values, (_RANK,))
    else:
        executor = ranked._db.executor_class(model=model, db=ranked._db)
        rows = await executor.execute_select(sql, values, custom_fields=[_RANK])
    by_parent: dict[int, list[Any]] = {p: [] for p in parent_ids}
    for row in rows:
        by_parent[getattr(row, parent_field)].append(row)
    for parent, found in by_parent.items():
        found.sort(key=lambda row: getattr(row, _RANK))
        more = len(found) > size
        items = found[:size]
        if window.backward:
            pages[parent] = Page(
                items=list(reversed(items)),
                has_next_page=window.before is not None,
                has_previous_page=more,
            )
        else:
            pages[parent] = Page(
                items=items, has_next_page=more, has_previous_page=window.after is not None
            )
    return pages


async def counts_per_parent(
    queryset: QuerySet[Any], parent_field: str, parent_ids: Sequence[int]
) -> dict[int, int]:
    """How many rows of the queryset each parent has, in one GROUP BY statement."""
    counts = dict.fromkeys(parent_ids, 0)
    if not parent_ids:
        return counts
    rows = (
        await queryset.filter(**{f"{parent_field}__in": sorted(set(parent_ids))})
        .annotate(row_count=Count("id"))
        .group_by(parent_field)
        .values(parent_field, "row_count")
    )
    for row in rows:
        counts[row[parent_field]] = row["row_count"]
    return counts


def page_of_list(items: Sequence[ItemT], window: PageWindow, pk_of: Any = None) -> Page[ItemT]:
    """A page of a list held in memory, sorted by primary key (same cursors as the SQL pages).

    `pk_of(item)` gives an item's primary key (default: its `id`). The page's count is the
    list's length.
    """
    key = pk_of or (lambda item: item.id)
    size = window.size()
    ordered = sorted(items, key=key)
    if window.after is not None:
        after = decode_cursor(window.after, "after")
        ordered = [item for item in ordered if key(item) > after]
    if window.before is not None:
        before = decode_cursor(window.before, "before")
        ordered = [item for item in ordered if key(item) < before]
    total = len(items)

    async def count() -> int:
        return total

    if window.backward:
        return Page(
            items=ordered[-size:],
            has_next_page=window.before is not None,
            has_previous_page=len(ordered) > size,
            count=count,
        )
    return Page(
        items=ordered[:size],
        has_next_page=len(ordered) > size,
        has_previous_page=window.after is not None,
        count=count,
    )

"""Small lists of the leads domain served as connections: a page cut from rows already loaded
(a lead's history, its consent entries: loaded for a whole page of leads in one query each), and
the users named as actors in lead and settings history, in one query for a DataLoader.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from models.leads import Lead
from models.users import User
from services.leads.access import can_see_lead
from services.platform.pagination import Page, PageWindow, decode_cursor
from services.platform.viewer import Viewer

RowT = TypeVar("RowT")


def page_of_rows(rows: Sequence[RowT], window: PageWindow) -> Page[RowT]:
    """One page of rows in the order given (cursors are the rows' primary keys), no query."""
    size = window.size()
    keys = [row.pk for row in rows]  # type: ignore[attr-defined]
    start, end = 0, len(rows)
    if window.after is not None:
        after = decode_cursor(window.after, "after")
        start = next((i + 1 for i, key in enumerate(keys) if key == after), len(rows))
    if window.before is not None:
        before = decode_cursor(window.before, "before")
        end = next((i for i, key in enumerate(keys) if key == before), end)
    chosen = list(rows[start:end])
    total = len(rows)

    async def count() -> int:
        return total

    if window.backward:
        items = chosen[-size:]
        return Page(
            items=items,
            has_next_page=end < len(rows),
            has_previous_page=len(chosen) > size or start > 0,
            count=count,
        )
    items = chosen[:size]
    return Page(
        items=items,
        has_next_page=len(chosen) > size or end < len(rows),
        has_previous_page=start > 0,
        count=count,
    )


async def actors_by_ids(viewer: Viewer, user_ids: Sequence[int]) -> dict[int, Any]:
    """The users the viewer may see among these, by id: vendor admins all, other vendor staff
    the vendor's users and those of the partners they manage, a partner its own org's users.
    The others are left out, so an actor the viewer may not see reads as null."""
    wanted = sorted(set(user_ids))
    if not wanted:
        return {}
    found: dict[int, Any] = {}
    for user in await User.filter(id__in=wanted):
        partner_id = user.partner_id  # type: ignore[attr-defined]
        if viewer.is_vendor_admin or user.id == viewer.user_id:
            visible = True
        elif viewer.is_vendor_staff:
            visible = partner_id is None or viewer.can_see_partner(partner_id)
        else:
            visible = partner_id is not None and partner_id == viewer.partner_id
        if visible:
            found[user.id] = user
    return found


async def leads_by_ids(viewer: Viewer, lead_ids: Sequence[int]) -> dict[int, Lead]:
    """The leads the viewer may see among these, by id, in one query (for a DataLoader)."""
    wanted = sorted(set(lead_ids))
    if not wanted:
        return {}
    return {
        lead.id: lead for lead in await Lead.filter(id__in=wanted) if can_see_lead(viewer, lead)
    }

"""Reading the audit log: vendor admins see every entry, partner admins their own org's.

A partner admin sees the entries whose partner is their org. Where the actor belongs to another
partner org (a consent conflict can touch another partner's lead), the actor's identity and the
call's arguments are withheld: another partner's data is never shown. (Linked objects, the actor,
customer and partner, go through the viewer-scoped loaders besides.)
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from tortoise.queryset import QuerySet

from models.audit import AuditEntry
from models.enums import PARTNER_ROLES
from services.platform.errors import ErrorCode, ServiceError, forbidden, not_found
from services.platform.pagination import Page, PageWindow, paginate
from services.platform.viewer import Viewer

_PARTNER_ROLE_NAMES = frozenset(role.value for role in PARTNER_ROLES)


@dataclass(frozen=True)
class AuditFilter:
    actor_user_id: int | None = None
    partner_id: int | None = None
    object_type: str | None = None
    object_id: str | None = None
    operation: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def _require_reader(viewer: Viewer) -> None:
    if viewer.is_acting_as_customer or not (viewer.is_vendor_admin or viewer.is_partner_admin):
        raise forbidden("Only vendor admins and partner admins can read the audit log.")


def _visible(viewer: Viewer) -> QuerySet[AuditEntry]:
    queryset = AuditEntry.all()
    if not viewer.is_vendor_admin:
        queryset = queryset.filter(partner_id=viewer.partner_id)
    return queryset


async def list_entries(viewer: Viewer, where: AuditFilter, window: PageWindow) -> Page[AuditEntry]:
    _require_reader(viewer)
    for moment, name in ((where.since, "since"), (where.until, "until")):
        if moment is not None and moment.tzinfo is None:
            raise ServiceError(ErrorCode.INVALID, f"{name} needs a time zone offset.", name)
    queryset = _visible(viewer)
    if where.actor_user_id is not None:
        queryset = queryset.filter(actor_user_id=where.actor_user_id)
    if where.partner_id is not None:
        queryset = queryset.filter(partner_id=where.partner_id)
    if where.object_type:
        queryset = queryset.filter(object_type=where.object_type)
    if where.object_id:
        queryset = queryset.filter(object_id=where.object_id)
    if where.operation:
        queryset = queryset.filter(operation=where.operation)
    if where.since is not None:
        queryset = queryset.filter(occurred_at__gte=where.since)
    if where.until is not None:
        queryset = queryset.filter(occurred_at__lt=where.until)
    page = await paginate(queryset, window)
    if viewer.is_vendor_admin:
        return page
    return replace(page, items=[_as_seen_by(viewer, entry) for entry in page.items])


async def get_entry(viewer: Viewer, entry_id: int) -> AuditEntry:
    """One entry the viewer may read; NOT_FOUND alike for a missing or another org's entry."""
    _require_reader(viewer)
    entry = await _visible(viewer).get_or_none(id=entry_id)
    if entry is None:
        raise not_found("AuditEntry")
    return entry if viewer.is_vendor_admin else _as_seen_by(viewer, entry)


def _as_seen_by(viewer: Viewer, entry: AuditEntry) -> AuditEntry:
    """The entry for a partner admin: another org's actor is shown by role only."""
    foreign_actor = (
        entry.actor_role in _PARTNER_ROLE_NAMES and entry.actor_partner_id != viewer.partner_id
    )
    if foreign_actor:
        entry.actor_user_id = None
        entry.actor_email = ""
        entry.arguments = {}
        entry.client_address = ""
        entry.user_agent = ""
    return entry

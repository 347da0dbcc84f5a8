"""Audit log: GraphQL calls to the audit services."""

from __future__ import annotations

from strawberry.types import Info

from models.audit import AuditEntry
from resolvers.platform.permissions import viewer_of
from services.audit.queries import AuditFilter, get_entry, list_entries
from services.platform.pagination import Page, PageWindow


async def list_audit_entries(
    info: Info, where: AuditFilter, window: PageWindow
) -> Page[AuditEntry]:
    return await list_entries(viewer_of(info), where, window)


async def get_audit_entry(info: Info, entry_id: int) -> AuditEntry:
    return await get_entry(viewer_of(info), entry_id)

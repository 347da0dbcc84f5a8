"""Audit log: the query and the entry's node loader (the types are in schema/audit/types.py; the
extension recording every mutation in schema/audit/extension.py)."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

from resolvers.audit import resolvers as resolve
from resolvers.platform.permissions import IsAdmin
from schema.audit.types import AuditEntry
from schema.platform.common import Connection, PageWindow, fetch, parse_optional_id, to_connection
from schema.platform.ids import decode_global_id
from schema.platform.node import register_node
from services.audit.queries import AuditFilter
from services.platform.errors import ErrorCode, ServiceError


def _target(object_id: strawberry.ID | None) -> tuple[str | None, str | None]:
    """(API type, pk text) of the target filter: any record's global id."""
    if object_id is None:
        return None, None
    decoded = decode_global_id(object_id)
    if decoded is None:
        raise ServiceError(ErrorCode.INVALID, "This is not a valid id.", "objectId")
    return decoded[0], str(decoded[1])


@strawberry.type
class AuditQuery:
    @strawberry.field(
        permission_classes=[IsAdmin],
        description="The audit log, oldest first: vendor admins see every entry, partner admins "
        "their own org's; filter by actor, partner, target object (its global id), operation "
        "and time (since <= t < until).",
    )
    async def audit_log(
        self,
        info: Info,
        actor_id: strawberry.ID | None = None,
        partner_id: strawberry.ID | None = None,
        object_type: str | None = None,
        object_id: strawberry.ID | None = None,
        operation: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[AuditEntry]:
        async def run() -> Connection[AuditEntry]:
            target_type, target_pk = _target(object_id)
            if object_type and target_type and object_type != target_type:
                raise ServiceError(ErrorCode.INVALID, f"Expected a {object_type} id.", "objectId")
            where = AuditFilter(
                actor_user_id=parse_optional_id(actor_id, "User", "actorId"),
                partner_id=parse_optional_id(partner_id, "Partner", "partnerId"),
                object_type=object_type or target_type,
                object_id=target_pk,
                operation=operation,
                since=since,
                until=until,
            )
            window = PageWindow(first, after, last, before)
            page = await resolve.list_audit_entries(info, where, window)
            return to_connection(page, AuditEntry.from_model)

        return await fetch(run)


async def _load_entry(info: Info, pk: int) -> AuditEntry:
    return AuditEntry.from_model(await resolve.get_audit_entry(info, pk))


register_node("AuditEntry", _load_entry, IsAdmin)

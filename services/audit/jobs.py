"""The audit log's retention job: the one deletion of audit entries there is.

Entries older than AUDIT_RETENTION_DAYS are deleted by the worker (`audit-retention`, hourly)
through `AuditEntry.delete_older_than`; nothing else may delete or change an entry.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from models.audit import AuditEntry
from settings import Settings


async def delete_expired_audit_entries(settings: Settings) -> int:
    cutoff = datetime.now(UTC) - timedelta(days=settings.audit_retention_days)
    return await AuditEntry.delete_older_than(cutoff)

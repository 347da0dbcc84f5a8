"""Audit log: who changed what, when and from where. Rows are only ever inserted.

One `AuditEntry` per row a mutation (or a state-changing CLI command) created, updated or
deleted, with the old and new values of what changed (secrets masked), and one per mutation call
that changed nothing (refused, failed, or done without a row change). Rows written by the
database from others in one statement (a pop-up's recipient snapshot, `insert_selected` in
models/tracking.py) are one entry that says how many. Entries of one call share
its `call_id`.

Like the consent ledger, this ORM layer refuses to update or delete entries. The one permitted
deletion is the retention job (`AuditEntry.delete_older_than`, run by the worker, see
services/audit/jobs.py), which removes entries older than AUDIT_RETENTION_DAYS.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from tortoise import fields
from tortoise.queryset import QuerySet

from models.append_only import AppendOnlyError, AppendOnlyManager, AppendOnlyModel


class AuditOutcome(StrEnum):
    DONE = "done"
    REFUSED = "refused"  # an expected failure (typed error, permission): nothing was changed
    FAILED = "failed"  # an unexpected error: the change was rolled back where it had a transaction


class AuditAction(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    DELETED = "deleted"
    CALLED = "called"  # the call itself, when it changed no row


class AuditLogError(AppendOnlyError):
    """A change or deletion of an audit entry was attempted (other than the retention job's)."""


class AuditEntry(AppendOnlyModel):
    """One audited change (or call). Actor, partner and target are plain ids, no foreign keys,
    so that deleting a user or partner never rewrites the log."""

    id = fields.IntField(primary_key=True)
    occurred_at = fields.DatetimeField(auto_now_add=True, db_index=True)
    call_id = fields.CharField(max_length=32, db_index=True)
    operation = fields.CharField(max_length=100, db_index=True)
    outcome = fields.CharEnumField(AuditOutcome, max_length=16)
    error_code = fields.CharField(max_length=40, default="")
    actor_user_id = fields.IntField(null=True, db_index=True)
    actor_email = fields.CharField(max_length=254, default="")
    actor_role = fields.CharField(max_length=32, default="")
    acting_as_customer_id = fields.IntField(null=True)
    actor_partner_id = fields.IntField(null=True)
    partner_id = fields.IntField(null=True, db_index=True)
    action = fields.CharEnumField(AuditAction, max_length=16)
    object_type = fields.CharField(max_length=64, default="")
    object_id = fields.CharField(max_length=64, default="")
    changes = fields.JSONField(default=dict)
    arguments = fields.JSONField(default=dict)
    client_address = fields.CharField(max_length=64, default="")
    user_agent = fields.CharField(max_length=300, default="")

    refusal_error = AuditLogError
    ledger_name = "audit log"
    refused_rows = "entries"

    class Meta:
        table = "audit_entry"
        manager = AppendOnlyManager()
        indexes = (("object_type", "object_id"),)

    @classmethod
    async def delete_older_than(cls, cutoff: datetime) -> int:
        """The retention job's deletion, the only one permitted: entries before `cutoff`."""
        return await QuerySet(cls).filter(occurred_at__lt=cutoff).delete()

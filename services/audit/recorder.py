"""The audit recorder: every state-changing call is written down, with real old and new values.

Design (why it cannot be forgotten, and why the values are real):

- The *call*: `schema/audit/extension.py` wraps every root field of the Mutation type, so a new
  mutation is audited without anyone remembering to; the CLI's state-changing commands open a
  call with `audited_command`. A call opens an `AuditScope` (actor, role, act-as customer,
  partner, operation, masked arguments, client address, user agent) in a context variable.
- The *changes*: while a scope is open, `models/tracking.py` reports every row created, updated
  or deleted, whichever way it was written: instance `save()`/`delete()` through Tortoise's
  signals, with the old values read from the database just before the write; queryset
  `.update()`/`.delete()`/`bulk_create()` (which bypass signals) by reading the affected rows
  before and after. Services need no audit calls of their own, and a service added later is
  covered. Model signals alone would have missed every queryset update. Rows the database
  derives from others in one `INSERT INTO ... SELECT` (a pop-up's recipient snapshot) are
  reported as one change saying how many.
- The entry for a change is written on the same connection right after the write, so inside the
  service's transaction when there is one: a rolled-back change leaves no "done" entry.
- When the call ends, one `called` entry records it if it changed no row, or if it was refused
  (typed error or permission: with its code) or failed (unexpected error).

Secrets (passwords, tokens, secrets, hashes) are masked: services/audit/masking.py. Logs and
deliveries (the outbox, login failures) are not audited rows; the append-only ledgers keep their
own history.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from models.audit import AuditAction, AuditEntry, AuditOutcome
from models.tracking import ChangeSink, RowChange, ignore_model, insert_rows, set_change_sink
from services.audit.masking import MASK, clean_text, masked, to_json
from services.platform.errors import ServiceError
from services.platform.viewer import Viewer

# Rows that are logs or deliveries themselves, not state a person changes.
for _name in ("OutboxEmail", "EmailEvent", "LoginFailure", "WebhookEvent"):
    ignore_model(_name)

# Models whose primary key is itself a secret (a session id sits inside the bearer token).
_SECRET_KEYED = frozenset({"AuthSession"})
# Model names that the API shows under another type name (the type name of its global ids).
_API_TYPE_NAMES = {
    "PartnerOrg": "Partner",
    "Message": "PartnerMessage",
    "CustomerUser": "CustomerAccountUser",
    "SwitchAccountAudit": "SwitchAccountAuditEntry",
}


@dataclass
class AuditScope:
    operation: str
    arguments: dict[str, Any]
    client_address: str = ""
    user_agent: str = ""
    actor_user_id: int | None = None
    actor_email: str = ""
    actor_role: str = ""
    actor_partner_id: int | None = None
    acting_as_customer_id: int | None = None
    call_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    changed_rows: int = 0

    @classmethod
    def for_viewer(
        cls,
        viewer: Viewer | None,
        operation: str,
        arguments: dict[str, Any],
        client_address: str,
        user_agent: str,
    ) -> AuditScope:
        scope = cls(
            operation=operation,
            arguments={name: masked(name, value) for name, value in arguments.items()},
            client_address=clean_text(client_address, 64),
            user_agent=clean_text(user_agent, 300),
        )
        if viewer is not None:
            scope.actor_user_id = viewer.user_id
            scope.actor_email = viewer.email
            scope.actor_role = viewer.role.value
            scope.actor_partner_id = viewer.partner_id
            scope.acting_as_customer_id = viewer.acting_customer_id
        return scope

    def entry(self, **values: Any) -> AuditEntry:
        return AuditEntry(**self.entry_values(**values))

    def entry_values(self, **values: Any) -> dict[str, Any]:
        """An entry's column values (for `insert_rows`)."""
        return dict(
            call_id=self.call_id,
            operation=clean_text(self.operation, 100),
            actor_user_id=self.actor_user_id,
            actor_email=self.actor_email,
            actor_role=self.actor_role,
            actor_partner_id=self.actor_partner_id,
            acting_as_customer_id=self.acting_as_customer_id,
            arguments=self.arguments,
            client_address=self.client_address,
            user_agent=self.user_agent,
            **values,
        )


_current: ContextVar[AuditScope | None] = ContextVar("audit_scope", default=None)


def api_type_name(model_name: str) -> str:
    return _API_TYPE_NAMES.get(model_name, model_name)


def _change_entry(scope: AuditScope, change: RowChange) -> dict[str, Any]:
    model_name = change.model.__name__
    secret_key = model_name in _SECRET_KEYED
    names = sorted({*change.before, *change.after})
    changes = {
        name: {
            "old": MASK if secret_key and name == "id" else masked(name, change.before.get(name)),
            "new": MASK if secret_key and name == "id" else masked(name, change.after.get(name)),
        }
        for name in names
    }
    if model_name == "PartnerOrg":
        partner_id = change.pk
    else:
        partner_id = change.row.get("partner_id", scope.actor_partner_id)
    return scope.entry_values(
        outcome=AuditOutcome.DONE,
        action=AuditAction(change.action),
        object_type=api_type_name(model_name),
        object_id=MASK if secret_key else str(change.pk),
        partner_id=partner_id if isinstance(partner_id, int) else scope.actor_partner_id,
        changes=changes,
    )


class AuditSink(ChangeSink):
    """Writes an entry per changed row while an audit scope is open."""

    def listening(self) -> bool:
        return _current.get() is not None

    async def record(self, changes: list[RowChange], db: BaseDBAsyncClient | None) -> None:
        scope = _current.get()
        if scope is None or not changes:
            return
        entries = [_change_entry(scope, change) for change in changes]
        await insert_rows(AuditEntry, entries, using_db=db)
        scope.changed_rows += len(entries)


set_change_sink(AuditSink())


def open_scope(scope: AuditScope) -> object:
    """Start recording for `scope`; give the returned token to `close_scope`."""
    return _current.set(scope)


async def close_scope(
    token: Any,
    scope: AuditScope,
    outcome: AuditOutcome,
    error_code: str = "",
    target: tuple[str, str] | None = None,
) -> None:
    """Stop recording and write the call's own entry when it changed nothing or did not succeed."""
    _current.reset(token)
    if outcome is AuditOutcome.DONE and scope.changed_rows:
        return
    object_type, object_id = target or ("", "")
    await scope.entry(
        outcome=outcome,
        error_code=error_code[:40],
        action=AuditAction.CALLED,
        object_type=object_type,
        object_id=object_id,
        partner_id=scope.actor_partner_id,
        changes={},
    ).save()


@asynccontextmanager
async def audited_command(operation: str, arguments: dict[str, Any]) -> AsyncIterator[AuditScope]:
    """Record a state-changing CLI command (actor role `cli`) like a mutation."""
    scope = AuditScope(
        operation=operation,
        arguments={name: masked(name, value) for name, value in arguments.items()},
        client_address="local",
        user_agent="channelport cli",
        actor_role="cli",
    )
    token = open_scope(scope)
    try:
        yield scope
    except ServiceError as error:
        await close_scope(token, scope, AuditOutcome.REFUSED, error.code.name)
        raise
    except BaseException:
        await close_scope(token, scope, AuditOutcome.FAILED, "INTERNAL_SERVER_ERROR")
        raise
    await close_scope(token, scope, AuditOutcome.DONE)


__all__ = ["AuditScope", "audited_command", "close_scope", "open_scope", "to_json"]

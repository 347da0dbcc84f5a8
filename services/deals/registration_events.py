"""Every state change of a deal registration goes through `change_registration`: one guarded
update, one history entry, its webhook event, and the listeners (notification emails in the same
transaction, live pushes after the commit).

The guard is the update itself (`WHERE id = … AND status IN (…)`), so two reviewers, or a
reviewer and the expiry job, can never both move the same registration: the second one changes
no row and gets INVALID.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from models.deal_registrations import (
    DealRegistration,
    DealRegistrationEvent,
    DealRegistrationStatus,
)
from models.webhooks import WebhookEventType
from services.platform.errors import ErrorCode, ServiceError
from services.webhooks.events import emit


@dataclass(frozen=True)
class RegistrationChange:
    """A registration as it is after one change, and the history entry of that change."""

    registration: DealRegistration
    event: DealRegistrationEvent
    from_status: DealRegistrationStatus | None


ChangeListener = Callable[[RegistrationChange], Awaitable[None]]
# Work done on the moved row inside the change's transaction; it may return more column values.
InTransaction = Callable[[DealRegistration], Awaitable[dict[str, Any] | None]]

# Called inside the change's transaction (outbox rows: emails) ...
_IN_TRANSACTION: list[ChangeListener] = []
# ... and after it committed (live pushes: only what the database holds is announced).
_AFTER_COMMIT: list[ChangeListener] = []


def on_registration_change(listener: ChangeListener, *, after_commit: bool = False) -> None:
    """Register a listener for every registration change (at import time of its module)."""
    (_AFTER_COMMIT if after_commit else _IN_TRANSACTION).append(listener)


async def record_event(
    registration: DealRegistration,
    kind: str,
    from_status: DealRegistrationStatus | None,
    actor_id: int | None,
    reason: str,
    details: dict[str, Any] | None,
    now: datetime,
) -> DealRegistrationEvent:
    return await DealRegistrationEvent.create(
        registration_id=registration.id,
        kind=kind,
        from_status=from_status,
        to_status=registration.status,
        actor_id=actor_id,
        reason=reason,
        details=details or {},
        created_at=now,
    )


async def announce(change: RegistrationChange, webhook_event: WebhookEventType | None) -> None:
    """The in-transaction part of a change: its webhook event and the in-transaction listeners.
    The caller holds the transaction."""
    if webhook_event is not None:
        await emit(webhook_event, change.registration)
    for listener in _IN_TRANSACTION:
        await listener(change)


async def announce_committed(change: RegistrationChange) -> None:
    for listener in _AFTER_COMMIT:
        await listener(change)


async def change_registration(
    registration_id: int,
    *,
    allowed_from: Collection[DealRegistrationStatus],
    to_status: DealRegistrationStatus,
    kind: str,
    actor_id: int | None,
    now: datetime,
    refused: str,
    reason: str = "",
    details: dict[str, Any] | None = None,
    values: dict[str, Any] | None = None,
    guard: Q | None = None,
    webhook_event: WebhookEventType | None = None,
    then: InTransaction | None = None,
) -> RegistrationChange:
    """Move a registration from one of `allowed_from` to `to_status` (with more column `values`,
    and only while `guard` holds too: "protection has not ended", "extension requested"), run
    `then` on the moved row in the same transaction (creating its Deal at approval, losing it
    with the registration), record the history entry `kind`, emit `webhook_event` and tell the
    listeners. `refused` is the message when the registration is no longer in an allowed state
    (INVALID on `id`). The caller has checked that the actor may do this to this registration."""
    async with in_transaction():
        before = await DealRegistration.get_or_none(id=registration_id)
        query = DealRegistration.filter(id=registration_id, status__in=list(allowed_from))
        if guard is not None:
            query = query.filter(guard)
        changed = await query.update(status=to_status, updated_at=now, **(values or {}))
        if not changed or before is None:
            raise ServiceError(ErrorCode.INVALID, refused, "id")
        registration = await DealRegistration.get(id=registration_id)
        if then is not None:
            more = await then(registration)
            if more:
                await DealRegistration.filter(id=registration_id).update(**more)
                registration = await DealRegistration.get(id=registration_id)
        event = await record_event(
            registration, kind, before.status, actor_id, reason, details, now
        )
        change = RegistrationChange(registration, event, before.status)
        await announce(change, webhook_event)
    await announce_committed(change)
    return change

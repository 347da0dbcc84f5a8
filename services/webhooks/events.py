"""Emitting events: one outbox row per subscribed endpoint, in the caller's transaction.

`emit` MUST be called inside the transaction that makes the change, like `queue_email`:

    async with in_transaction():
        partner = await PartnerOrg.create(...)
        await emit(WebhookEventType.PARTNER_CREATED, partner)

The payload is rendered there and then (the object as it is in that transaction), so a rollback
removes the event with the change and a commit makes both visible at once. Calling it outside a
transaction raises `RuntimeError`.

The body sent is `{"type", "timestamp", "data"}`: `data` is the object as the vendor admin's API
shows it (its scalar fields and the ids of the objects it points to), or, when the endpoint has a
subscription document, that document's result executed with the event as its root.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from tortoise import connections
from tortoise.backends.base.client import TransactionalDBClient
from tortoise.models import Model

from models.webhooks import WebhookEndpoint, WebhookEvent, WebhookEventType
from services.webhooks.rendering import EventSubject, render_payload
from services.webhooks.wakeup import wake_webhook_sender

# Which kind of object each event is about (the field of `webhookEvent` that holds it).
EVENT_KINDS: dict[WebhookEventType, str] = {
    **{t: "leadRegistration" for t in WebhookEventType if t.value.startswith("lead_registration")},
    **{t: "lead" for t in WebhookEventType if t.value.startswith("lead.")},
    **{t: "deal" for t in WebhookEventType if t.value.startswith("deal.")},
    **{t: "dealRegistration" for t in WebhookEventType if t.value.startswith("deal_registration.")},
    **{t: "customer" for t in WebhookEventType if t.value.startswith("customer.")},
    **{t: "commission" for t in WebhookEventType if t.value.startswith("commission.")},
    **{t: "partner" for t in WebhookEventType if t.value.startswith("partner.")},
    **{t: "user" for t in WebhookEventType if t.value.startswith("partner_user.")},
    **{t: "message" for t in WebhookEventType if t.value.startswith("message.")},
    WebhookEventType.WEBHOOK_TEST: "endpoint",
}


def _require_transaction() -> None:
    if not isinstance(connections.get("default"), TransactionalDBClient):
        raise RuntimeError(
            "webhook events must be emitted inside the caller's transaction "
            "(async with in_transaction(): ...), so that a rollback removes them too."
        )


def new_message_id() -> str:
    return f"msg_{uuid.uuid4().hex}"


def body_of(event_type: WebhookEventType, occurred_at: datetime, data: Any) -> str:
    envelope = {"type": event_type.value, "timestamp": occurred_at.isoformat(), "data": data}
    return json.dumps(envelope, separators=(",", ":"), default=str)


async def queue_event(
    endpoint: WebhookEndpoint, event_type: WebhookEventType, subject: Any, now: datetime
) -> WebhookEvent:
    """Render and queue one event for one endpoint (the caller holds the transaction)."""
    event = EventSubject(event_type, now, EVENT_KINDS[event_type], subject)
    data = await render_payload(event, endpoint.subscription_query, endpoint.created_by_id)  # type: ignore[attr-defined]
    return await WebhookEvent.create(
        endpoint=endpoint,
        message_id=new_message_id(),
        event_type=event_type,
        payload=body_of(event_type, now, data),
        occurred_at=now,
        next_attempt_at=now,
    )


async def emit(event_type: WebhookEventType, subject: Any) -> int:
    """Queue `event_type` about `subject` for every active endpoint that subscribed to it."""
    _require_transaction()
    now = datetime.now(UTC)
    endpoints = await WebhookEndpoint.filter(is_active=True).order_by("id")
    queued = 0
    for endpoint in endpoints:
        if event_type.value in endpoint.event_types:
            await queue_event(endpoint, event_type, subject, now)
            queued += 1
    if queued:
        wake_webhook_sender()
    return queued


async def emit_partner_changes(partner: Any, before: tuple[Any, Any]) -> None:
    """partner.updated, plus status_changed / tier_changed when those moved."""
    await emit(WebhookEventType.PARTNER_UPDATED, partner)
    if partner.status != before[0]:
        await emit(WebhookEventType.PARTNER_STATUS_CHANGED, partner)
    if partner.tier != before[1]:
        await emit(WebhookEventType.PARTNER_TIER_CHANGED, partner)


async def emit_fetched(event_type: WebhookEventType, model: type[Model], ids: list[int]) -> None:
    """Emit `event_type` for each row of `model` with these ids, read as the transaction sees
    them now (for changes made by a bulk `update`)."""
    for row in await model.filter(id__in=ids).order_by("id"):
        await emit(event_type, row)

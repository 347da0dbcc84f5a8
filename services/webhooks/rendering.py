"""How an event's payload is produced: a renderer the GraphQL layer registers at start-up.

Payloads show objects exactly as the vendor admin's API shows them, so the schema layer renders
them (schema/webhooks/payloads.py) and registers itself here with `set_payload_renderer`;
services call `render_payload` and never import upward. Both the web app and the worker register
it when they start.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from models.webhooks import WebhookEventType


@dataclass(frozen=True)
class EventSubject:
    """What an event is about: its type, time, the object's kind and the object (a model row)."""

    event_type: WebhookEventType
    occurred_at: datetime
    kind: str
    subject: Any


# (subject, subscription document or "", id of the vendor admin it is rendered for) -> data
PayloadRenderer = Callable[[EventSubject, str, int | None], Awaitable[Any]]
DocumentValidator = Callable[[str], list[str]]

_renderer: PayloadRenderer | None = None
_validator: DocumentValidator | None = None


def set_payload_renderer(renderer: PayloadRenderer, validator: DocumentValidator) -> None:
    global _renderer, _validator
    _renderer, _validator = renderer, validator


def document_problems(document: str) -> list[str]:
    """Why a subscription document cannot shape payloads (empty list: it can)."""
    if _validator is None:
        raise RuntimeError("No webhook payload renderer is registered (schema.webhooks).")
    return _validator(document)


async def render_payload(event: EventSubject, document: str, admin_id: int | None) -> Any:
    if _renderer is None:
        raise RuntimeError("No webhook payload renderer is registered (schema.webhooks).")
    return await _renderer(event, document, admin_id)

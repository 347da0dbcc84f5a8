"""A message's status: which statuses allow which change, and the status every read shows.

An email goes DRAFT -> SCHEDULED -> SENDING -> SENT and is frozen from SENDING on; a pop-up goes
DRAFT -> SCHEDULED/PUBLISHED -> EXPIRED, its audience frozen once scheduled. A pop-up whose end
date passed reads and acts as EXPIRED at once (`effective_status`); the worker job only records it.
"""

from __future__ import annotations

from datetime import UTC, datetime

from tortoise.expressions import Q

from models.messaging import Message, MessageKind, MessageStatus
from services.platform.errors import ErrorCode, ServiceError

EMAIL_EDITABLE = frozenset({MessageStatus.DRAFT, MessageStatus.SCHEDULED})
POPUP_CONTENT_EDITABLE = frozenset(
    {MessageStatus.DRAFT, MessageStatus.SCHEDULED, MessageStatus.PUBLISHED}
)
SENDABLE = frozenset({MessageStatus.DRAFT, MessageStatus.SCHEDULED})


def utc_now() -> datetime:
    return datetime.now(UTC)


def has_ended(message: Message, now: datetime) -> bool:
    """A published pop-up whose end date passed: expired, whether or not the job marked it."""
    return (
        message.kind is MessageKind.POPUP
        and message.status is MessageStatus.PUBLISHED
        and message.ends_at is not None
        and message.ends_at <= now
    )


def effective_status(message: Message, now: datetime | None = None) -> MessageStatus:
    """The status every read shows: EXPIRED as soon as a pop-up's end date passed."""
    return MessageStatus.EXPIRED if has_ended(message, now or utc_now()) else message.status


def ended_popups(now: datetime) -> Q:
    """Published pop-ups whose end date passed (a filter)."""
    return Q(kind=MessageKind.POPUP, status=MessageStatus.PUBLISHED, ends_at__lte=now)


def frozen_error(message: str, field_name: str = "status") -> ServiceError:
    """The typed refusal of a change to a frozen message (code INVALID, field status or to)."""
    return ServiceError(ErrorCode.INVALID, message, field_name)

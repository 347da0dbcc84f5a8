"""A partner user's pop-ups: the unread ones for a portal page, the message centre (every pop-up
received, read or not), the unread count, and marking one read. services/messaging/popup_stream.py
streams them live."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.expressions import Q

from models.messaging import Message, MessageKind, MessageRecipient, MessageStatus
from services.messaging.status import utc_now
from services.platform.errors import ErrorCode, ServiceError, not_found
from services.platform.pagination import Page, PageWindow, paginate
from services.platform.viewer import Viewer


@dataclass(frozen=True)
class ReceivedPopup:
    """A pop-up as one user sees it."""

    message_id: int
    title: str
    body_html: str
    language: str
    pages: list[str]
    published_at: datetime | None
    ends_at: datetime | None
    read_at: datetime | None

    @property
    def expired(self) -> bool:
        return self.ends_at is not None and self.ends_at <= utc_now()

    @classmethod
    def from_recipient(cls, recipient: MessageRecipient) -> ReceivedPopup:
        message: Message = recipient.message
        return cls(
            message_id=message.id,
            title=message.title,
            body_html=message.body_html,
            language=message.language,
            pages=list(message.pages),
            published_at=message.sent_at,
            ends_at=message.ends_at,
            read_at=recipient.read_at,
        )

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> ReceivedPopup:
        ends_at = payload.get("ends_at")
        return cls(
            message_id=int(payload["id"]),
            title=str(payload["title"]),
            body_html=str(payload["body_html"]),
            language=str(payload["language"]),
            pages=list(payload["pages"]),
            published_at=datetime.fromisoformat(payload["published_at"]),
            ends_at=datetime.fromisoformat(ends_at) if ends_at else None,
            read_at=None,
        )


def shows_on(pages: list[str], page: str | None) -> bool:
    return page is None or page in pages


def require_partner_member(viewer: Viewer) -> None:
    if not viewer.is_partner_member:
        raise ServiceError(
            ErrorCode.FORBIDDEN, "Pop-ups and the message centre are for partner users."
        )


async def unread_popups(viewer: Viewer, page: str | None) -> list[ReceivedPopup]:
    """The viewer's unread, unexpired pop-ups (for `page`, if given), oldest first."""
    require_partner_member(viewer)
    recipients = (
        await MessageRecipient.filter(
            Q(message__ends_at__isnull=True) | Q(message__ends_at__gt=utc_now()),
            user_id=viewer.user_id,
            read_at__isnull=True,
            message__kind=MessageKind.POPUP,
            message__status=MessageStatus.PUBLISHED,
        )
        .select_related("message")
        .order_by("id")
    )
    popups = [ReceivedPopup.from_recipient(r) for r in recipients]
    return [p for p in popups if shows_on(p.pages, page)]


@dataclass(frozen=True)
class CentrePage:
    items: list[ReceivedPopup]
    # The recipient rows of the items, with the cursors, page info and total count.
    page: Page[MessageRecipient]


async def message_centre(viewer: Viewer, window: PageWindow) -> CentrePage:
    """Every pop-up the viewer received, read or not, newest first (keyset pagination)."""
    require_partner_member(viewer)
    queryset = MessageRecipient.filter(
        user_id=viewer.user_id,
        message__kind=MessageKind.POPUP,
        message__status__in=[MessageStatus.PUBLISHED, MessageStatus.EXPIRED],
    )
    page = await paginate(queryset.select_related("message"), window, newest_first=True)
    return CentrePage(items=[ReceivedPopup.from_recipient(r) for r in page.items], page=page)


async def unread_count(viewer: Viewer) -> int:
    require_partner_member(viewer)
    return await MessageRecipient.filter(
        Q(message__ends_at__isnull=True) | Q(message__ends_at__gt=utc_now()),
        user_id=viewer.user_id,
        read_at__isnull=True,
        message__kind=MessageKind.POPUP,
        message__status=MessageStatus.PUBLISHED,
    ).count()


async def mark_message_read(viewer: Viewer, message_id: int) -> ReceivedPopup:
    """Mark one of the viewer's own pop-ups read (idempotent)."""
    require_partner_member(viewer)
    recipient = await MessageRecipient.get_or_none(
        user_id=viewer.user_id, message_id=message_id, message__kind=MessageKind.POPUP
    ).select_related("message")
    if recipient is None:
        raise not_found("Message")
    if recipient.read_at is None:
        await MessageRecipient.filter(id=recipient.id, read_at__isnull=True).update(
            read_at=utc_now()
        )
        await recipient.refresh_from_db(fields=["read_at"])
    return ReceivedPopup.from_recipient(recipient)

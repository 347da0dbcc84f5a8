"""A partner user's pop-ups: the unread ones for a portal page, the message centre (every pop-up
received, read or not), the unread count, and marking one read. services/messaging/popup_stream.py
streams them live.

A pop-up's place in the order of publications (its *publication cursor*) is the highest
recipient row id of its publication: one publication's rows are written in one transaction, so
every row of a later publication has a higher id, and a user's pop-ups published after a cursor
are that user's recipient rows with a higher id. A subscriber passes the cursor of the last
pop-up it received to get only the ones it missed since (`unread_popups(after=...)`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.expressions import Q
from tortoise.functions import Max

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


@dataclass(frozen=True)
class PublishedPopup:
    """A pop-up and its publication cursor (see the module docstring)."""

    popup: ReceivedPopup
    cursor: int


async def publication_cursors(message_ids: list[int]) -> dict[int, int]:
    """The publication cursor of each published message (one grouped query)."""
    if not message_ids:
        return {}
    rows = (
        await MessageRecipient.filter(message_id__in=message_ids)
        .group_by("message_id")
        .annotate(last=Max("id"))
        .values("message_id", "last")
    )
    return {int(row["message_id"]): int(row["last"]) for row in rows}


async def unread_popups(
    viewer: Viewer, page: str | None, after: int | None = None
) -> list[PublishedPopup]:
    """The viewer's unread, unexpired pop-ups (for `page`, if given), oldest first; with `after`
    (a publication cursor) only those published after it."""
    require_partner_member(viewer)
    queryset = MessageRecipient.filter(
        Q(message__ends_at__isnull=True) | Q(message__ends_at__gt=utc_now()),
        user_id=viewer.user_id,
        read_at__isnull=True,
        message__kind=MessageKind.POPUP,
        message__status=MessageStatus.PUBLISHED,
    )
    if after is not None:
        queryset = queryset.filter(id__gt=after)
    recipients = await queryset.select_related("message").order_by("id")
    shown = [r for r in recipients if shows_on(list(r.message.pages), page)]
    cursors = await publication_cursors([r.message_id for r in shown])  # type: ignore[attr-defined]
    return [
        PublishedPopup(ReceivedPopup.from_recipient(r), cursors[r.message_id])  # type: ignore[attr-defined]
        for r in shown
    ]


def require_own_message_centre(viewer: Viewer, user_id: int) -> None:
    """Only a partner user's own message centre exists for them (another's reads as missing)."""
    require_partner_member(viewer)
    if user_id != viewer.user_id:
        raise not_found("Message centre")


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


async def received_popup(viewer: Viewer, message_id: int) -> ReceivedPopup:
    """The viewer's own received pop-up of a message; not found for anyone else's."""
    require_partner_member(viewer)
    recipient = await MessageRecipient.get_or_none(
        user_id=viewer.user_id,
        message_id=message_id,
        message__kind=MessageKind.POPUP,
        message__status__in=[MessageStatus.PUBLISHED, MessageStatus.EXPIRED],
    ).select_related("message")
    if recipient is None:
        raise not_found("Message")
    return ReceivedPopup.from_recipient(recipient)


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

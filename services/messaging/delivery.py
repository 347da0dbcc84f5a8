"""Sending an email and publishing a pop-up: the recipient snapshot, the emails, the announcement.

Every status change is a conditional UPDATE (WHERE status IN ...), so that two callers (an admin
and the worker) never send or publish the same message twice. The recipients are frozen as
`MessageRecipient` rows in the same transaction.
- Emails go through the outbox (marketing category, source `partner_message`, reference
  `message:<id>`); services/messaging/statistics.py reads them back.
- A published pop-up is announced on the pub/sub channel `POPUP_CHANNEL` (see
  services/messaging/popup_stream.py for the subscriber side).
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import Any

from tortoise.transactions import in_transaction

from models.messaging import Message, MessageKind, MessageRecipient, MessageStatus
from models.outbox import EmailCategory
from models.tracking import RowChange, insert_selected
from models.vendor import VendorSettings
from models.webhooks import WebhookEventType
from services.email.outbox import queue_email
from services.messaging.audience import (
    Outcome,
    eligible_queryset,
    eligible_users,
    nobody_to_reach,
)
from services.messaging.content import body_as_text
from services.messaging.status import utc_now
from services.platform.pubsub import PubSub, current_pubsub
from services.webhooks.events import emit
from settings import Settings

log = logging.getLogger("channelport.messaging")

POPUP_CHANNEL = "partner-popups"
EMAIL_SOURCE = "partner_message"
EMAIL_TEMPLATE = "partner_message"


async def start_sending(
    settings: Settings, message_id: int, statuses: list[MessageStatus], on_schedule: bool
) -> Outcome:
    """SENDING: freeze the recipients and queue one email each, all in one transaction.
    An audience without anyone in it is not sent: see `nobody_to_reach`."""
    async with in_transaction():
        changed = await Message.filter(
            id=message_id, kind=MessageKind.EMAIL, status__in=statuses
        ).update(status=MessageStatus.SENDING, sent_at=utc_now(), updated_at=utc_now())
        if not changed:
            return Outcome.NOT_IN_STATUS
        message = await Message.get(id=message_id)
        users = await eligible_users(message)
        if not users:
            return await nobody_to_reach(message, on_schedule)
        vendor = await VendorSettings.first()
        text = body_as_text(message.body_html)
        for user in users:
            email = await queue_email(
                settings,
                to=user.email,
                template=EMAIL_TEMPLATE,
                context={
                    "title": message.title,
                    "body_html": message.body_html,
                    "body_text": text,
                    "locale": message.language,
                    "vendor_name": vendor.vendor_name if vendor else "",
                },
                source=EMAIL_SOURCE,
                category=EmailCategory.MARKETING,
                reference=f"message:{message.id}",
                user=user.id,
                dedupe_key=f"message:{message.id}:user:{user.id}",
            )
            await MessageRecipient.create(
                message_id=message.id,
                user_id=user.id,
                partner_id=user.partner_id,  # type: ignore[attr-defined]
                email=user.email,
                outbox_email_id=email.id,
            )
        await emit(WebhookEventType.MESSAGE_SENT, message)
    return Outcome.DONE


@dataclass(frozen=True)
class PopupSnapshot:
    """A published pop-up's recipients (user ids, by row) and its publication cursor."""

    user_ids: list[int]
    cursor: int


async def snapshot_popup_recipients(message: Message) -> PopupSnapshot | None:
    """Freeze a pop-up's recipients: one `INSERT INTO ... SELECT` of the eligible users
    (services/messaging/audience.py), written by the database; None if nobody is eligible.
    The audit log records the snapshot as one change of the message, its `recipients`: how many
    (a row per recipient derived from the audience is no one's change of its own)."""
    audience = await eligible_queryset(message)
    if audience is None:
        return None

    def summary(count: int) -> RowChange:
        row = {"id": message.id, "partner_id": None}
        return RowChange(
            Message, message.id, "updated", {"recipients": None}, {"recipients": count}, row
        )

    inserted = await insert_selected(
        MessageRecipient,
        audience.values_list("id", "partner_id", "email"),
        ["user_id", "partner_id", "email"],
        {"message_id": message.id},
        summary,
    )
    if not inserted:
        return None
    rows = (
        await MessageRecipient.filter(message_id=message.id)
        .order_by("id")
        .values_list("id", "user_id")
    )
    return PopupSnapshot(user_ids=[user_id for _, user_id in rows], cursor=rows[-1][0])


def popup_payload(message: Message, recipient_ids: list[int], cursor: int) -> dict[str, Any]:
    """What subscribers receive on POPUP_CHANNEL: the pop-up, who may see it, and its
    publication cursor (services/messaging/centre.py)."""
    return {
        "type": "published",
        "publication": uuid.uuid4().hex,
        "cursor": cursor,
        "id": message.id,
        "title": message.title,
        "body_html": message.body_html,
        "language": message.language,
        "pages": list(message.pages),
        "ends_at": message.ends_at.isoformat() if message.ends_at else None,
        "published_at": (message.sent_at or utc_now()).isoformat(),
        "recipients": recipient_ids,
    }


async def announce_popup(settings: Settings, payload: dict[str, Any]) -> bool:
    """Publish to every web process. Outside the web app (a separate worker) a short-lived
    connection is used. A failure is only logged: subscribers re-sync from the database."""
    pubsub = current_pubsub()
    if pubsub is not None:
        return await pubsub.publish(POPUP_CHANNEL, payload)
    if not settings.broadcast_url.startswith(("redis://", "rediss://")):
        return False  # in-process pub/sub and no web app in this process: nobody to tell
    temporary = PubSub(settings.broadcast_url, health_interval=3600)
    try:
        await temporary.connect()
        return await temporary.publish(POPUP_CHANNEL, payload)
    except Exception:
        log.exception("pop-up %s published but not announced", payload.get("id"))
        return False
    finally:
        await temporary.disconnect()


async def publish_popup(
    settings: Settings, message_id: int, statuses: list[MessageStatus], on_schedule: bool
) -> Outcome:
    """PUBLISHED: freeze the recipients in one transaction, then announce it to them live."""
    async with in_transaction():
        now = utc_now()
        changed = await Message.filter(
            id=message_id, kind=MessageKind.POPUP, status__in=statuses
        ).update(status=MessageStatus.PUBLISHED, sent_at=now, updated_at=now)
        if not changed:
            return Outcome.NOT_IN_STATUS
        message = await Message.get(id=message_id)
        snapshot = await snapshot_popup_recipients(message)
        if snapshot is None:
            return await nobody_to_reach(message, on_schedule)
        await emit(WebhookEventType.MESSAGE_PUBLISHED, message)
    # After the commit: a subscriber that re-syncs from the database must find the rows.
    await announce_popup(settings, popup_payload(message, snapshot.user_ids, snapshot.cursor))
    return Outcome.DONE

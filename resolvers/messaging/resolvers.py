"""To-partner communications: thin calls from GraphQL into services/messaging/."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime

from strawberry.types import Info

from models.messaging import Message, MessageKind, MessageRecipient, MessageStatus
from resolvers.platform.permissions import viewer_of
from services.email.stats import DeliveryStatistics
from services.messaging import audience, centre, preferences, statistics
from services.messaging import service as messaging
from services.messaging.centre import CentrePage, PublishedPopup, ReceivedPopup
from services.messaging.content import MessageFields
from services.messaging.popup_hub import SendPopup
from services.messaging.popup_stream import popup_stream
from services.messaging.preferences import NotificationPreferences
from services.messaging.statistics import ReadCounts, RecipientStats
from services.platform.pagination import Page, PageWindow
from services.platform.pubsub import PubSub


async def list_messages(
    info: Info,
    window: PageWindow,
    kind: MessageKind | None,
    status: MessageStatus | None,
) -> Page[Message]:
    return await messaging.list_messages(viewer_of(info), window, kind, status)


async def get_message(info: Info, message_id: int) -> Message:
    return await messaging.get_message(viewer_of(info), message_id)


async def list_recipients(
    info: Info, message_id: int, window: PageWindow
) -> tuple[Page[MessageRecipient], dict[int, RecipientStats]]:
    return await statistics.list_recipients(viewer_of(info), message_id, window)


async def target_group_ids(message_id: int) -> list[int]:
    """The ids of the partner groups a message targets (the partners domain loads the groups)."""
    return (await audience.target_group_ids([message_id]))[message_id]


async def read_counts(message_id: int) -> ReadCounts:
    return (await statistics.read_counts([message_id]))[message_id]


async def email_statistics(message_id: int) -> DeliveryStatistics:
    return await statistics.email_statistics(message_id)


async def create_message(info: Info, kind: MessageKind, fields: MessageFields) -> Message:
    return await messaging.create_message(viewer_of(info), kind, fields)


async def update_message(info: Info, message_id: int, fields: MessageFields) -> Message:
    return await messaging.update_message(viewer_of(info), message_id, fields)


async def schedule_message(info: Info, message_id: int, at: datetime) -> Message:
    return await messaging.schedule_message(viewer_of(info), message_id, at)


async def send_message(info: Info, message_id: int) -> Message:
    return await messaging.send_message(viewer_of(info), info.context.settings, message_id)


async def publish_message(info: Info, message_id: int) -> Message:
    return await messaging.publish_message(viewer_of(info), info.context.settings, message_id)


async def return_to_draft(info: Info, message_id: int) -> Message:
    return await messaging.return_to_draft(viewer_of(info), message_id)


async def copy_message(info: Info, message_id: int) -> Message:
    return await messaging.copy_message(viewer_of(info), message_id)


async def message_centre(info: Info, window: PageWindow) -> CentrePage:
    return await centre.message_centre(viewer_of(info), window)


async def unread_count(info: Info) -> int:
    return await centre.unread_count(viewer_of(info))


async def mark_message_read(info: Info, message_id: int) -> ReceivedPopup:
    return await centre.mark_message_read(viewer_of(info), message_id)


async def set_notification_preferences(
    info: Info, supplier_emails: bool
) -> NotificationPreferences:
    return await preferences.set_notification_preferences(
        viewer_of(info), supplier_emails, info.context.caller
    )


async def accept_portal_terms(info: Info, version: str) -> NotificationPreferences:
    return await preferences.accept_portal_terms(viewer_of(info), version, info.context.caller)


async def own_preferences(info: Info) -> NotificationPreferences:
    return await preferences.own_preferences(viewer_of(info))


def popups(
    info: Info, page: str | None, after: int | None, send: SendPopup | None = None
) -> AsyncIterator[PublishedPopup]:
    pubsub: PubSub = info.context.request.app.state.pubsub
    return popup_stream(pubsub, viewer_of(info), page, after, send)


async def received_popup(info: Info, message_id: int) -> ReceivedPopup:
    return await centre.received_popup(viewer_of(info), message_id)


async def require_own_message_centre(info: Info, user_id: int) -> None:
    centre.require_own_message_centre(viewer_of(info), user_id)


async def preferences_of(info: Info, user_id: int) -> NotificationPreferences:
    return await preferences.preferences_of(viewer_of(info), user_id)

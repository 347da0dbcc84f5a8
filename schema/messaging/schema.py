"""To-partner communications: messages for vendor admins, pop-ups and preferences for partners
(the Query, Mutation and Subscription parts; the types are in schema/messaging/types.py)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import AsyncGenerator
from datetime import datetime
from typing import Any

import strawberry
from strawberry.types import Info

from resolvers.messaging import resolvers as resolve
from resolvers.platform.permissions import IsAuthenticated, IsVendorAdmin, PublicError, viewer_of
from schema.messaging.types import (
    MarkMessageReadResult,
    MessageCentre,
    MessageChangesInput,
    MessageKind,
    MessageRead,
    MessageStatus,
    NewMessageInput,
    NotificationPreferences,
    NotificationPreferencesResult,
    PartnerMessage,
    PartnerMessageResult,
    PopupEdge,
    ReceivedPopup,
)
from schema.platform.common import (
    Connection,
    PageWindow,
    fetch,
    mutate,
    parse_id,
    to_connection,
)
from schema.platform.node import register_node
from schema.platform.shared_events import SharedEventSender
from services.messaging import centre
from services.messaging.popup_hub import SendPopup
from services.platform.errors import ServiceError
from services.platform.pagination import decode_cursor
from services.platform.pubsub import SubscriberDropped

_SHARED_EVENTS: OrderedDict[tuple[Any, ...], PopupEdge] = OrderedDict()
_SHARED_EVENTS_KEPT = 256


def _shared_event(published: centre.PublishedPopup) -> PopupEdge:
    """One GraphQL value per distinct published pop-up in this process, so that every connection
    receiving the same published pop-up yields the same `SharedEvent` (executed once)."""
    popup = published.popup
    key = (
        published.cursor,
        popup.message_id,
        popup.title,
        popup.body_html,
        popup.language,
        tuple(popup.pages),
        popup.published_at,
        popup.ends_at,
        popup.read_at,
        popup.expired,
    )
    shared = _SHARED_EVENTS.get(key)
    if shared is None:
        shared = _SHARED_EVENTS[key] = PopupEdge.from_service(published)
        if len(_SHARED_EVENTS) > _SHARED_EVENTS_KEPT:
            _SHARED_EVENTS.popitem(last=False)
    return shared


def _hub_sender(sender: SharedEventSender) -> SendPopup:
    async def send(published: centre.PublishedPopup) -> bool:
        return await sender.send(_shared_event(published))

    return send


def _message_result(operation):  # type: ignore[no-untyped-def]
    async def run() -> PartnerMessage:
        return PartnerMessage.from_model(await operation())

    return mutate(run)


@strawberry.type
class MessagingQuery:
    @strawberry.field(permission_classes=[IsVendorAdmin], description="Messages, oldest first.")
    async def messages(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        kind: MessageKind | None = None,
        status: MessageStatus | None = None,
    ) -> Connection[PartnerMessage]:
        page = await fetch(
            lambda: resolve.list_messages(
                info, PageWindow(first, after, last, before), kind, status
            )
        )
        return to_connection(page, PartnerMessage.from_model)

    @strawberry.field(permission_classes=[IsVendorAdmin])
    async def message(self, info: Info, id: strawberry.ID) -> PartnerMessage | None:
        return PartnerMessage.from_model(
            await fetch(lambda: resolve.get_message(info, parse_id(id, "PartnerMessage")))
        )

    @strawberry.field(
        permission_classes=[IsAuthenticated],
        description="Your message centre (partner users): every pop-up you received and the "
        "unread count. Null and an error (FORBIDDEN) for anyone else.",
    )
    async def message_centre(self, info: Info) -> MessageCentre | None:
        return await fetch(lambda: _own_message_centre(info, viewer_of(info).user_id))

    @strawberry.field(permission_classes=[IsAuthenticated])
    async def notification_preferences(self, info: Info) -> NotificationPreferences:
        return NotificationPreferences.from_service(await resolve.own_preferences(info))


@strawberry.type
class MessagingMutation:
    @strawberry.mutation(permission_classes=[IsVendorAdmin], description="A new draft message.")
    async def create_message(self, info: Info, input: NewMessageInput) -> PartnerMessageResult:
        return await _message_result(
            lambda: resolve.create_message(info, input.kind, input.to_fields())
        )

    @strawberry.mutation(
        permission_classes=[IsVendorAdmin],
        description="Change a message. Refused for an email from SENDING on, and for the "
        "audience of a pop-up once scheduled.",
    )
    async def update_message(
        self, info: Info, id: strawberry.ID, input: MessageChangesInput
    ) -> PartnerMessageResult:
        return await _message_result(
            lambda: resolve.update_message(info, parse_id(id, "PartnerMessage"), input.to_fields())
        )

    @strawberry.mutation(
        permission_classes=[IsVendorAdmin], description="Send or publish at a later time."
    )
    async def schedule_message(
        self, info: Info, id: strawberry.ID, at: datetime
    ) -> PartnerMessageResult:
        return await _message_result(
            lambda: resolve.schedule_message(info, parse_id(id, "PartnerMessage"), at)
        )

    @strawberry.mutation(
        permission_classes=[IsVendorAdmin],
        description="Send an email now. Refused (NO_RECIPIENTS) if nobody is in its audience.",
    )
    async def send_message(self, info: Info, id: strawberry.ID) -> PartnerMessageResult:
        return await _message_result(
            lambda: resolve.send_message(info, parse_id(id, "PartnerMessage"))
        )

    @strawberry.mutation(
        permission_classes=[IsVendorAdmin],
        description="Publish a pop-up now. Refused (NO_RECIPIENTS) if nobody is in its audience.",
    )
    async def publish_message(self, info: Info, id: strawberry.ID) -> PartnerMessageResult:
        return await _message_result(
            lambda: resolve.publish_message(info, parse_id(id, "PartnerMessage"))
        )

    @strawberry.mutation(
        permission_classes=[IsVendorAdmin], description="A scheduled message back to draft."
    )
    async def return_to_draft(self, info: Info, id: strawberry.ID) -> PartnerMessageResult:
        return await _message_result(
            lambda: resolve.return_to_draft(info, parse_id(id, "PartnerMessage"))
        )

    @strawberry.mutation(
        permission_classes=[IsVendorAdmin], description="A new draft copied from a message."
    )
    async def copy_message(self, info: Info, id: strawberry.ID) -> PartnerMessageResult:
        return await _message_result(
            lambda: resolve.copy_message(info, parse_id(id, "PartnerMessage"))
        )

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Mark one of your pop-ups read (idempotent). `id`: the ReceivedPopup's id "
        "(a PartnerMessage id is accepted as well). Returns the pop-up and your message centre "
        "(with its new unread count), so a client cache updates both.",
    )
    async def mark_message_read(self, info: Info, id: strawberry.ID) -> MarkMessageReadResult:
        async def run() -> MessageRead:
            message_pk = parse_id(id, ("ReceivedPopup", "PartnerMessage"))
            popup = await resolve.mark_message_read(info, message_pk)
            return MessageRead(
                popup=ReceivedPopup.from_service(popup),
                message_centre=MessageCentre.of_user(viewer_of(info).user_id),
            )

        return await mutate(run)

    @strawberry.mutation(
        name="notificationPreferences",
        permission_classes=[IsAuthenticated],
        description="Turn your Supplier Emails on or off (recorded in the consent ledger).",
    )
    async def set_notification_preferences(
        self, info: Info, supplier_emails: bool
    ) -> NotificationPreferencesResult:
        async def run() -> NotificationPreferences:
            preferences = await resolve.set_notification_preferences(info, supplier_emails)
            return NotificationPreferences.from_service(preferences)

        return await mutate(run)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Accept the portal terms; terms that declare it turn Supplier Emails on.",
    )
    async def accept_portal_terms(self, info: Info, version: str) -> NotificationPreferencesResult:
        async def run() -> NotificationPreferences:
            preferences = await resolve.accept_portal_terms(info, version)
            return NotificationPreferences.from_service(preferences)

        return await mutate(run)


@strawberry.type
class MessagingSubscription:
    @strawberry.subscription(
        permission_classes=[IsAuthenticated],
        description="Your unread pop-ups for this portal page, then each new one, live. With "
        "`after` (the cursor of the last event you received) only the unread pop-ups published "
        "after it, then the live ones: a client that subscribes again gets what it missed, not "
        "every unread pop-up again.",
    )
    async def popups(
        self, info: Info, page: str | None = None, after: str | None = None
    ) -> AsyncGenerator[PopupEdge, None]:
        if not viewer_of(info).is_partner_member:
            raise PublicError(
                "Pop-ups are shown to partner users.", extensions={"code": "FORBIDDEN"}
            )
        try:
            after_pk = None if after is None else decode_cursor(after)
        except ServiceError as error:
            raise PublicError(error.message, extensions={"code": error.code.name}) from None
        # Each pop-up is executed and encoded once per process and sent as is (see
        # schema/platform/shared_events.py); live ones by the process's pop-up hub while this
        # generator is parked (services/messaging/popup_hub.py); yielded only where that is not
        # possible.
        sender = SharedEventSender.for_current_operation()
        send = None if sender is None else _hub_sender(sender)
        stream = resolve.popups(info, page, after_pk, send)
        try:
            async for published in stream:
                event = _shared_event(published)
                if sender is not None and await sender.send(event):
                    continue
                yield event
        except ServiceError as error:
            raise PublicError(error.message, extensions={"code": error.code.name}) from None
        except SubscriberDropped:
            # This connection fell behind and was dropped instead of buffering without bound.
            raise PublicError(
                "Too many pop-ups arrived at once for this connection: subscribe again with "
                "the cursor of the last pop-up you received.",
                extensions={"code": "RESUBSCRIBE"},
            ) from None
        finally:
            await stream.aclose()  # type: ignore[attr-defined]


async def _load_message(info: Info, pk: int) -> PartnerMessage:
    return PartnerMessage.from_model(await resolve.get_message(info, pk))


async def _own_message_centre(info: Info, user_pk: int) -> MessageCentre:
    await resolve.require_own_message_centre(info, user_pk)
    return MessageCentre.of_user(user_pk)


async def _load_received_popup(info: Info, pk: int) -> ReceivedPopup:
    return ReceivedPopup.from_service(await resolve.received_popup(info, pk))


async def _load_preferences(info: Info, pk: int) -> NotificationPreferences:
    return NotificationPreferences.from_service(await resolve.preferences_of(info, pk))


register_node("PartnerMessage", _load_message, IsVendorAdmin)
register_node("ReceivedPopup", _load_received_popup)
register_node("MessageCentre", _own_message_centre)
register_node("NotificationPreferences", _load_preferences)

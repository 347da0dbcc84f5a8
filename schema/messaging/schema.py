"""To-partner communications: messages for vendor admins, pop-ups and preferences for partners."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import AsyncGenerator
from datetime import datetime
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from models import messaging as models
from resolvers.messaging import resolvers as resolve
from resolvers.platform.permissions import IsAuthenticated, IsVendorAdmin, PublicError, viewer_of
from schema.partners.types import PartnerGroup
from schema.platform.common import (
    Connection,
    Edge,
    OperationErrors,
    PageInfo,
    fetch,
    mutate,
    parse_id,
)
from schema.platform.shared_events import SharedEvent
from services.messaging import service
from services.platform.errors import ServiceError
from services.platform.pagination import encode_cursor
from services.platform.pubsub import SubscriberDropped

MessageKind = strawberry.enum(models.MessageKind, name="MessageKind")
MessageStatus = strawberry.enum(
    models.MessageStatus,
    name="MessageStatus",
    description="Email: DRAFT, SCHEDULED, SENDING, SENT. Pop-up: DRAFT, SCHEDULED, PUBLISHED, "
    "EXPIRED. A scheduled message that would reach nobody at its time goes back to DRAFT "
    "(see notSentReason).",
)


@strawberry.type(description="Read state of a published pop-up's recipients.")
class PopupReadCounts:
    recipients: int
    read: int
    unread: int


@strawberry.type(description="Delivery and tracking counts of an email message.")
class EmailStatistics:
    recipients: int
    queued: int
    sent: int
    failed: int
    bounced: int
    suppressed: int
    opened: int
    clicked: int
    unsubscribed: int


@strawberry.type(description="One user of a message's frozen recipient snapshot.")
class MessageRecipient:
    id: strawberry.ID
    user_id: strawberry.ID
    partner_id: strawberry.ID
    email: str
    read_at: datetime | None
    delivery_state: str | None = strawberry.field(
        description="Email only: the outbox state (queued, sent, bounced, suppressed...)."
    )
    opened: bool
    clicked: bool
    bounced: bool


@strawberry.type(description="An email or pop-up message from the vendor to partner users.")
class PartnerMessage:
    id: strawberry.ID
    kind: MessageKind
    status: MessageStatus
    title: str
    body_html: str
    language: str
    all_partners: bool
    locales: list[str]
    pages: list[str]
    ends_at: datetime | None
    scheduled_at: datetime | None
    sent_at: datetime | None
    completed_at: datetime | None
    not_sent_reason: str | None = strawberry.field(
        description="Why a scheduled message went back to DRAFT instead of going out at its "
        "time (nobody was in its audience). Null otherwise; cleared when it is scheduled again."
    )
    copied_from_id: strawberry.ID | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_model(cls, message: models.Message) -> PartnerMessage:
        copied = message.copied_from_id  # type: ignore[attr-defined]
        return cls(
            id=strawberry.ID(str(message.id)),
            kind=message.kind,
            status=service.effective_status(message),
            title=message.title,
            body_html=message.body_html,
            language=message.language,
            all_partners=message.all_partners,
            locales=list(message.locales),
            pages=list(message.pages),
            ends_at=message.ends_at,
            scheduled_at=message.scheduled_at,
            sent_at=message.sent_at,
            completed_at=message.completed_at,
            not_sent_reason=message.not_sent_reason or None,
            copied_from_id=strawberry.ID(str(copied)) if copied else None,
            created_at=message.created_at,
            updated_at=message.updated_at,
        )

    @strawberry.field(description="The partner groups it targets (empty with allPartners).")
    async def groups(self) -> list[PartnerGroup]:
        return [PartnerGroup.from_model(row) for row in await resolve.target_groups(int(self.id))]

    @strawberry.field(description="Pop-ups: how many recipients read it and how many did not.")
    async def read_counts(self) -> PopupReadCounts | None:
        if self.kind is not models.MessageKind.POPUP:
            return None
        counts = await resolve.read_counts(int(self.id))
        return PopupReadCounts(recipients=counts.recipients, read=counts.read, unread=counts.unread)

    @strawberry.field(description="Emails: sent, opened, clicked, bounced... (from the outbox).")
    async def email_statistics(self) -> EmailStatistics | None:
        if self.kind is not models.MessageKind.EMAIL:
            return None
        stats = await resolve.email_statistics(int(self.id))
        return EmailStatistics(
            recipients=stats.total,
            queued=stats.queued,
            sent=stats.sent,
            failed=stats.failed,
            bounced=stats.bounced,
            suppressed=stats.suppressed,
            opened=stats.opened,
            clicked=stats.clicked,
            unsubscribed=stats.unsubscribed,
        )

    @strawberry.field(description="The frozen recipient snapshot, with per-recipient state.")
    async def recipients(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[MessageRecipient]:
        page, stats = await fetch(lambda: resolve.list_recipients(info, int(self.id), first, after))
        edges = []
        for row in page.items:
            row_stats = stats[row.id]
            edges.append(
                Edge(
                    cursor=encode_cursor(row.id),
                    node=MessageRecipient(
                        id=strawberry.ID(str(row.id)),
                        user_id=strawberry.ID(str(row.user_id)),  # type: ignore[attr-defined]
                        partner_id=strawberry.ID(str(row.partner_id)),  # type: ignore[attr-defined]
                        email=row.email,
                        read_at=row.read_at,
                        delivery_state=row_stats.state,
                        opened=row_stats.opened,
                        clicked=row_stats.clicked,
                        bounced=row_stats.bounced,
                    ),
                )
            )
        return Connection(
            edges=edges,
            page_info=PageInfo(has_next_page=page.has_next_page, end_cursor=page.end_cursor),
        )


@strawberry.type(description="A pop-up as the signed-in partner user received it.")
class ReceivedPopup(SharedEvent):
    message_id: strawberry.ID
    title: str
    body_html: str
    language: str
    pages: list[str]
    published_at: datetime | None
    ends_at: datetime | None
    read_at: datetime | None
    expired: bool

    @classmethod
    def from_service(cls, popup: service.ReceivedPopup) -> ReceivedPopup:
        return cls(
            message_id=strawberry.ID(str(popup.message_id)),
            title=popup.title,
            body_html=popup.body_html,
            language=popup.language,
            pages=popup.pages,
            published_at=popup.published_at,
            ends_at=popup.ends_at,
            read_at=popup.read_at,
            expired=popup.expired,
        )


_SHARED_POPUPS: OrderedDict[tuple[Any, ...], ReceivedPopup] = OrderedDict()
_SHARED_POPUPS_KEPT = 256


def _shared_popup(popup: service.ReceivedPopup) -> ReceivedPopup:
    """One GraphQL value per distinct pop-up content in this process, so that every connection
    receiving the same published pop-up yields the same `SharedEvent` (executed once)."""
    key = (
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
    shared = _SHARED_POPUPS.get(key)
    if shared is None:
        shared = _SHARED_POPUPS[key] = ReceivedPopup.from_service(popup)
        if len(_SHARED_POPUPS) > _SHARED_POPUPS_KEPT:
            _SHARED_POPUPS.popitem(last=False)
    return shared


@strawberry.type(description="The signed-in user's notification settings.")
class NotificationPreferences:
    supplier_emails: bool


PartnerMessageResult = Annotated[
    PartnerMessage | OperationErrors, strawberry.union("PartnerMessageResult")
]
ReceivedPopupResult = Annotated[
    ReceivedPopup | OperationErrors, strawberry.union("ReceivedPopupResult")
]
NotificationPreferencesResult = Annotated[
    NotificationPreferences | OperationErrors, strawberry.union("NotificationPreferencesResult")
]


@strawberry.input(description="A new message. Pages and endsAt are for pop-ups only.")
class NewMessageInput:
    kind: MessageKind
    title: str
    body: str = strawberry.field(description="HTML, reduced to a safe subset when saved.")
    language: str = "en"
    all_partners: bool = False
    group_ids: list[strawberry.ID] = strawberry.field(default_factory=list)
    locales: list[str] = strawberry.field(
        default_factory=list, description="Only recipients with one of these locales."
    )
    pages: list[str] = strawberry.field(default_factory=list)
    ends_at: datetime | None = None

    def to_fields(self) -> service.MessageFields:
        return service.MessageFields(
            title=self.title,
            body=self.body,
            language=self.language,
            all_partners=self.all_partners,
            group_ids=[parse_id(g, "Partner group") for g in self.group_ids],
            locales=self.locales,
            pages=self.pages if self.kind is models.MessageKind.POPUP or self.pages else None,
            ends_at=self.ends_at,
        )


@strawberry.input(description="Changes to a message; omitted fields stay as they are.")
class MessageChangesInput:
    title: str | None = None
    body: str | None = None
    language: str | None = None
    all_partners: bool | None = None
    group_ids: list[strawberry.ID] | None = None
    locales: list[str] | None = None
    pages: list[str] | None = None
    ends_at: datetime | None = None
    clear_ends_at: bool = False

    def to_fields(self) -> service.MessageFields:
        return service.MessageFields(
            title=self.title,
            body=self.body,
            language=self.language,
            all_partners=self.all_partners,
            group_ids=None
            if self.group_ids is None
            else [parse_id(g, "Partner group") for g in self.group_ids],
            locales=self.locales,
            pages=self.pages,
            ends_at=self.ends_at,
            clear_ends_at=self.clear_ends_at,
        )


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
        kind: MessageKind | None = None,
        status: MessageStatus | None = None,
    ) -> Connection[PartnerMessage]:
        page = await fetch(lambda: resolve.list_messages(info, first, after, kind, status))
        return Connection(
            edges=[
                Edge(cursor=encode_cursor(m.id), node=PartnerMessage.from_model(m))
                for m in page.items
            ],
            page_info=PageInfo(has_next_page=page.has_next_page, end_cursor=page.end_cursor),
        )

    @strawberry.field(permission_classes=[IsVendorAdmin])
    async def message(self, info: Info, id: strawberry.ID) -> PartnerMessage:
        return PartnerMessage.from_model(
            await fetch(lambda: resolve.get_message(info, parse_id(id, "Message")))
        )

    @strawberry.field(
        permission_classes=[IsAuthenticated],
        description="Every pop-up you received, read or not, newest first.",
    )
    async def message_centre(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[ReceivedPopup]:
        page = await fetch(lambda: resolve.message_centre(info, first, after))
        return Connection(
            edges=[
                Edge(cursor=cursor, node=ReceivedPopup.from_service(item))
                for cursor, item in zip(page.cursors, page.items, strict=True)
            ],
            page_info=PageInfo(
                has_next_page=page.has_next_page,
                end_cursor=page.cursors[-1] if page.cursors else None,
            ),
        )

    @strawberry.field(permission_classes=[IsAuthenticated], description="Unread pop-ups.")
    async def unread_popup_count(self, info: Info) -> int:
        return await fetch(lambda: resolve.unread_count(info))

    @strawberry.field(permission_classes=[IsAuthenticated])
    async def notification_preferences(self, info: Info) -> NotificationPreferences:
        user = await resolve.own_preferences(info)
        return NotificationPreferences(supplier_emails=user.supplier_emails_opt_in)


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
            lambda: resolve.update_message(info, parse_id(id, "Message"), input.to_fields())
        )

    @strawberry.mutation(
        permission_classes=[IsVendorAdmin], description="Send or publish at a later time."
    )
    async def schedule_message(
        self, info: Info, id: strawberry.ID, at: datetime
    ) -> PartnerMessageResult:
        return await _message_result(
            lambda: resolve.schedule_message(info, parse_id(id, "Message"), at)
        )

    @strawberry.mutation(
        permission_classes=[IsVendorAdmin],
        description="Send an email now. Refused (NO_RECIPIENTS) if nobody is in its audience.",
    )
    async def send_message(self, info: Info, id: strawberry.ID) -> PartnerMessageResult:
        return await _message_result(lambda: resolve.send_message(info, parse_id(id, "Message")))

    @strawberry.mutation(
        permission_classes=[IsVendorAdmin],
        description="Publish a pop-up now. Refused (NO_RECIPIENTS) if nobody is in its audience.",
    )
    async def publish_message(self, info: Info, id: strawberry.ID) -> PartnerMessageResult:
        return await _message_result(lambda: resolve.publish_message(info, parse_id(id, "Message")))

    @strawberry.mutation(
        permission_classes=[IsVendorAdmin], description="A scheduled message back to draft."
    )
    async def return_to_draft(self, info: Info, id: strawberry.ID) -> PartnerMessageResult:
        return await _message_result(lambda: resolve.return_to_draft(info, parse_id(id, "Message")))

    @strawberry.mutation(
        permission_classes=[IsVendorAdmin], description="A new draft copied from a message."
    )
    async def copy_message(self, info: Info, id: strawberry.ID) -> PartnerMessageResult:
        return await _message_result(lambda: resolve.copy_message(info, parse_id(id, "Message")))

    @strawberry.mutation(
        permission_classes=[IsAuthenticated], description="Mark one of your pop-ups read."
    )
    async def mark_message_read(self, info: Info, id: strawberry.ID) -> ReceivedPopupResult:
        async def run() -> ReceivedPopup:
            popup = await resolve.mark_message_read(info, parse_id(id, "Message"))
            return ReceivedPopup.from_service(popup)

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
            user = await resolve.set_notification_preferences(info, supplier_emails)
            return NotificationPreferences(supplier_emails=user.supplier_emails_opt_in)

        return await mutate(run)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Accept the portal terms; terms that declare it turn Supplier Emails on.",
    )
    async def accept_portal_terms(self, info: Info, version: str) -> NotificationPreferencesResult:
        async def run() -> NotificationPreferences:
            user = await resolve.accept_portal_terms(info, version)
            return NotificationPreferences(supplier_emails=user.supplier_emails_opt_in)

        return await mutate(run)


@strawberry.type
class MessagingSubscription:
    @strawberry.subscription(
        permission_classes=[IsAuthenticated],
        description="Your unread pop-ups for this portal page, then each new one, live.",
    )
    async def popups(
        self, info: Info, page: str | None = None
    ) -> AsyncGenerator[ReceivedPopup, None]:
        if not viewer_of(info).is_partner_member:
            raise PublicError(
                "Pop-ups are shown to partner users.", extensions={"code": "FORBIDDEN"}
            )
        stream = resolve.popups(info, page)
        try:
            async for popup in stream:
                yield _shared_popup(popup)
        except ServiceError as error:
            raise PublicError(error.message, extensions={"code": error.code.name}) from None
        except SubscriberDropped:
            # This connection fell behind and was dropped instead of buffering without bound.
            raise PublicError(
                "Too many pop-ups arrived at once for this connection: subscribe again to "
                "reload your unread pop-ups.",
                extensions={"code": "RESUBSCRIBE"},
            ) from None
        finally:
            await stream.aclose()  # type: ignore[attr-defined]

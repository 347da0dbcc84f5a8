"""To-partner communications: GraphQL types, enums and inputs of messages, pop-ups and
notification preferences."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.types import Info

from models import messaging as models
from models.outbox import OutboxState
from resolvers.messaging import resolvers as resolve
from resolvers.partners import resolvers as partner_resolvers
from schema.partners.types import Partner, PartnerGroup
from schema.platform.common import (
    Connection,
    OperationErrors,
    PageWindow,
    connection_of,
    fetch,
    parse_id,
    to_connection,
)
from schema.platform.ids import global_id, optional_global_id
from schema.platform.node import Node
from schema.platform.shared_events import SharedEvent
from schema.users.types import User
from services.messaging import centre
from services.messaging.content import MessageFields
from services.messaging.preferences import NotificationPreferences as NotificationPreferencesState
from services.messaging.statistics import RecipientStats
from services.messaging.status import effective_status
from services.platform.pagination import encode_cursor

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


DeliveryState = strawberry.enum(
    OutboxState,
    name="DeliveryState",
    description="Where an email is: QUEUED, SENDING, SENT, FAILED, BOUNCED or SUPPRESSED.",
)


@strawberry.type(description="One user of a message's frozen recipient snapshot.")
class MessageRecipient(Node):
    id: strawberry.ID
    pk: strawberry.Private[int]
    user_pk: strawberry.Private[int]
    partner_pk: strawberry.Private[int]
    email: str
    read_at: datetime | None
    delivery_state: DeliveryState | None = strawberry.field(
        description="Email only: the state of the recipient's email in the outbox."
    )
    opened: bool
    clicked: bool
    bounced: bool

    @classmethod
    def from_model(cls, row: models.MessageRecipient, stats: RecipientStats) -> MessageRecipient:
        return cls(
            id=global_id("MessageRecipient", row.id),
            pk=row.id,
            user_pk=row.user_id,  # type: ignore[attr-defined]
            partner_pk=row.partner_id,  # type: ignore[attr-defined]
            email=row.email,
            read_at=row.read_at,
            delivery_state=stats.state,
            opened=stats.opened,
            clicked=stats.clicked,
            bounced=stats.bounced,
        )

    @strawberry.field(description="The recipient (batched: one query per page).")
    async def user(self, info: Info) -> User | None:
        user = await info.context.loaders.user.load(self.user_pk)
        return None if user is None else User.from_model(user)

    @strawberry.field(description="The recipient's partner (batched: one query per page).")
    async def partner(self, info: Info) -> Partner | None:
        partner = await info.context.loaders.partner.load(self.partner_pk)
        return None if partner is None else Partner.from_model(partner)


@strawberry.type(description="An email or pop-up message from the vendor to partner users.")
class PartnerMessage(Node):
    id: strawberry.ID
    pk: strawberry.Private[int]
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
            id=global_id("PartnerMessage", message.id),
            pk=message.id,
            kind=message.kind,
            status=effective_status(message),
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
            copied_from_id=optional_global_id("PartnerMessage", copied),
            created_at=message.created_at,
            updated_at=message.updated_at,
        )

    @strawberry.field(description="The partner groups it targets (empty with allPartners).")
    async def groups(self) -> list[PartnerGroup]:
        group_ids = await resolve.target_group_ids(self.pk)
        groups = await partner_resolvers.groups_by_ids(group_ids)
        return [PartnerGroup.from_model(row) for row in groups]

    @strawberry.field(description="Pop-ups: how many recipients read it and how many did not.")
    async def read_counts(self) -> PopupReadCounts | None:
        if self.kind is not models.MessageKind.POPUP:
            return None
        counts = await resolve.read_counts(self.pk)
        return PopupReadCounts(recipients=counts.recipients, read=counts.read, unread=counts.unread)

    @strawberry.field(description="Emails: sent, opened, clicked, bounced... (from the outbox).")
    async def email_statistics(self) -> EmailStatistics | None:
        if self.kind is not models.MessageKind.EMAIL:
            return None
        stats = await resolve.email_statistics(self.pk)
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
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[MessageRecipient]:
        page, stats = await fetch(
            lambda: resolve.list_recipients(info, self.pk, PageWindow(first, after, last, before))
        )
        return to_connection(page, lambda row: MessageRecipient.from_model(row, stats[row.id]))


@strawberry.type(
    description="A pop-up as the signed-in partner user received it: its content and your read "
    "state. Its id names the pop-up's message and is the same for every recipient; it always "
    "resolves to the state of whoever asks (node(id)), so no one sees another user's state."
)
class ReceivedPopup(Node):
    id: strawberry.ID
    title: str
    body_html: str
    language: str
    pages: list[str]
    published_at: datetime | None
    ends_at: datetime | None
    read_at: datetime | None
    expired: bool

    @classmethod
    def from_service(cls, popup: centre.ReceivedPopup) -> ReceivedPopup:
        return cls(
            id=global_id("ReceivedPopup", popup.message_id),
            title=popup.title,
            body_html=popup.body_html,
            language=popup.language,
            pages=popup.pages,
            published_at=popup.published_at,
            ends_at=popup.ends_at,
            read_at=popup.read_at,
            expired=popup.expired,
        )


@strawberry.type(
    description="One pop-up of the popups subscription (an edge: a client may add it to the "
    "message centre's popups) with its place in the order of publications: pass the cursor of "
    "the last one you received as `after` when you subscribe again to get only the pop-ups "
    "published since. This cursor is for `popups(after:)` only, not for paging the message "
    "centre."
)
class PopupEdge(SharedEvent):
    cursor: str
    node: ReceivedPopup

    @classmethod
    def from_service(cls, published: centre.PublishedPopup) -> PopupEdge:
        return cls(
            cursor=encode_cursor(published.cursor),
            node=ReceivedPopup.from_service(published.popup),
        )


@strawberry.type(
    description="The signed-in partner user's message centre: every pop-up received, and how "
    "many are unread. Its id is per user, so a client cache updates it from markMessageRead."
)
class MessageCentre(Node):
    id: strawberry.ID
    user_pk: strawberry.Private[int]

    @classmethod
    def of_user(cls, user_pk: int) -> MessageCentre:
        return cls(id=global_id("MessageCentre", user_pk), user_pk=user_pk)

    @strawberry.field(description="Unread, unexpired pop-ups.")
    async def unread_count(self, info: Info) -> int:
        return await fetch(lambda: resolve.unread_count(info))

    @strawberry.field(description="Every pop-up you received, read or not, newest first.")
    async def popups(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[ReceivedPopup]:
        page = await fetch(
            lambda: resolve.message_centre(info, PageWindow(first, after, last, before))
        )
        return connection_of(page.page, [ReceivedPopup.from_service(i) for i in page.items])


@strawberry.type(description="A pop-up marked read, and the message centre with its new count.")
class MessageRead:
    popup: ReceivedPopup
    message_centre: MessageCentre


@strawberry.type(description="The signed-in user's notification settings (id: per user).")
class NotificationPreferences(Node):
    id: strawberry.ID
    supplier_emails: bool

    @classmethod
    def from_service(cls, preferences: NotificationPreferencesState) -> NotificationPreferences:
        return cls(
            id=global_id("NotificationPreferences", preferences.user_id),
            supplier_emails=preferences.supplier_emails,
        )


PartnerMessageResult = Annotated[
    PartnerMessage | OperationErrors, strawberry.union("PartnerMessageResult")
]
MarkMessageReadResult = Annotated[
    MessageRead | OperationErrors, strawberry.union("MarkMessageReadResult")
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

    def to_fields(self) -> MessageFields:
        return MessageFields(
            title=self.title,
            body=self.body,
            language=self.language,
            all_partners=self.all_partners,
            group_ids=[parse_id(g, "PartnerGroup", "groupIds") for g in self.group_ids],
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

    def to_fields(self) -> MessageFields:
        return MessageFields(
            title=self.title,
            body=self.body,
            language=self.language,
            all_partners=self.all_partners,
            group_ids=None
            if self.group_ids is None
            else [parse_id(g, "PartnerGroup", "groupIds") for g in self.group_ids],
            locales=self.locales,
            pages=self.pages,
            ends_at=self.ends_at,
            clear_ends_at=self.clear_ends_at,
        )

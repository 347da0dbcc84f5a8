"""To-partner communications (SPEC §4): the lifecycle of email and pop-up messages.

- Vendor admins create, edit, schedule, send (emails) and publish (pop-ups) messages.
- Lifecycle: email DRAFT -> SCHEDULED -> SENDING -> SENT, frozen from SENDING on. Pop-up
  DRAFT -> SCHEDULED/PUBLISHED -> EXPIRED, its audience frozen once scheduled. `return_to_draft`
  and `copy_message` are the ways to change a frozen message (services/messaging/status.py).
- A scheduled message's edits must keep it sendable, and a partner group that scheduled
  messages target cannot be deleted (services/partners/groups.py).

The rest of the domain, each in its own module: what a message is made of (`content`), who it
reaches (`audience`), sending and publishing (`delivery`), the worker job (`jobs`), statistics
(`statistics`), a partner user's pop-ups and message centre (`centre`, `popup_stream`), and the
Supplier Emails preference with portal terms acceptance (`preferences`).
"""

from __future__ import annotations

from datetime import datetime

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from models.messaging import Message, MessageKind, MessageStatus, MessageTargetGroup
from services.messaging.audience import Outcome, set_target_groups, target_group_ids
from services.messaging.content import MessageFields, aware, validated_fields
from services.messaging.delivery import publish_popup, start_sending
from services.messaging.status import (
    EMAIL_EDITABLE,
    POPUP_CONTENT_EDITABLE,
    SENDABLE,
    ended_popups,
    frozen_error,
    has_ended,
    utc_now,
)
from services.platform.errors import ErrorCode, ServiceError, ValidationFailed, not_found
from services.platform.pagination import Page, PageWindow, paginate
from services.platform.viewer import Viewer
from settings import Settings

# ---- reading --------------------------------------------------------------------------------


async def message_for_admin(viewer: Viewer, message_id: int) -> Message:
    """The message, for a vendor admin (refused to anyone else; NOT_FOUND if there is none)."""
    viewer.require_vendor_admin()
    message = await Message.get_or_none(id=message_id)
    if message is None:
        raise not_found("Message")
    return message


async def get_message(viewer: Viewer, message_id: int) -> Message:
    return await message_for_admin(viewer, message_id)


async def list_messages(
    viewer: Viewer,
    window: PageWindow,
    kind: MessageKind | None = None,
    status: MessageStatus | None = None,
) -> Page[Message]:
    viewer.require_vendor_admin()
    queryset = Message.all()
    if kind is not None:
        queryset = queryset.filter(kind=kind)
    now = utc_now()
    if status is MessageStatus.EXPIRED:
        queryset = queryset.filter(Q(status=MessageStatus.EXPIRED) | ended_popups(now))
    elif status is MessageStatus.PUBLISHED:
        queryset = queryset.filter(status=status).exclude(ended_popups(now))
    elif status is not None:
        queryset = queryset.filter(status=status)
    return await paginate(queryset, window)


# ---- creating and editing -------------------------------------------------------------------


async def create_message(viewer: Viewer, kind: MessageKind, fields: MessageFields) -> Message:
    viewer.require_vendor_admin()
    missing = [
        (name, "This field is required.") for name in ("title", "body") if not getattr(fields, name)
    ]
    if missing:
        raise ValidationFailed(missing)
    values = await validated_fields(fields, kind)
    group_ids = values.pop("group_ids", [])
    async with in_transaction():
        message = await Message.create(kind=kind, created_by_id=viewer.user_id, **values)
        await set_target_groups(message, group_ids)
    return message


async def update_message(viewer: Viewer, message_id: int, fields: MessageFields) -> Message:
    """Change a message. Frozen: an email from SENDING on, a pop-up's audience once scheduled."""
    message = await message_for_admin(viewer, message_id)
    if message.kind is MessageKind.EMAIL:
        allowed = EMAIL_EDITABLE
        refusal = frozen_error(
            "This email is being sent or was sent and can no longer be changed. "
            "Copy it to make a new draft."
        )
    elif fields.touches_audience():
        allowed = frozenset({MessageStatus.DRAFT})
        refusal = frozen_error(
            "The audience of a scheduled or published pop-up is frozen. "
            "Return it to draft or copy it to change who receives it.",
            "to",
        )
    else:
        allowed = POPUP_CONTENT_EDITABLE
        refusal = frozen_error("An expired pop-up can no longer be changed. Copy it instead.")
    if message.status not in allowed:
        raise refusal
    if has_ended(message, utc_now()):
        raise ServiceError(
            ErrorCode.EXPIRED,
            "This pop-up's end date has passed: it can no longer be changed. Copy it instead.",
            "status",
        )
    values = await validated_fields(fields, message.kind)
    group_ids = values.pop("group_ids", None)
    async with in_transaction():
        # Conditional: a concurrent send/publish makes this change nothing and fail.
        changed = await Message.filter(id=message_id, status__in=sorted(allowed)).update(
            updated_at=utc_now(), **values
        )
        if not changed:
            raise refusal
        if group_ids is not None:
            await set_target_groups(message, group_ids)
        updated = await Message.get(id=message_id)
        if updated.status is MessageStatus.SCHEDULED and updated.scheduled_at is not None:
            # A scheduled message stays sendable: an audience or end date it cannot go out
            # with is refused now, not discovered at its time (rolled back with the change).
            await check_ready(updated, updated.scheduled_at)
    return updated


async def copy_message(viewer: Viewer, message_id: int) -> Message:
    """A new draft with the same content and audience (the way to change a frozen message)."""
    source = await message_for_admin(viewer, message_id)
    group_ids = (await target_group_ids([source.id]))[source.id]
    async with in_transaction():
        copy = await Message.create(
            kind=source.kind,
            title=source.title,
            body_html=source.body_html,
            language=source.language,
            all_partners=source.all_partners,
            locales=list(source.locales),
            pages=list(source.pages),
            ends_at=source.ends_at if source.ends_at and source.ends_at > utc_now() else None,
            copied_from_id=source.id,
            created_by_id=viewer.user_id,
        )
        await set_target_groups(copy, group_ids)
    return copy


async def return_to_draft(viewer: Viewer, message_id: int) -> Message:
    """A scheduled message back to draft, so that its audience can be changed again."""
    message = await message_for_admin(viewer, message_id)
    changed = await Message.filter(id=message.id, status=MessageStatus.SCHEDULED).update(
        status=MessageStatus.DRAFT, scheduled_at=None, updated_at=utc_now()
    )
    if not changed:
        raise frozen_error(
            "Only a scheduled message can return to draft. Copy it to make a new draft."
        )
    return await Message.get(id=message.id)


async def check_ready(message: Message, when: datetime) -> None:
    problems: list[tuple[str, str]] = []
    if (
        not message.all_partners
        and not await MessageTargetGroup.filter(message_id=message.id).exists()
    ):
        problems.append(("to", "Choose partner groups or all partners."))
    if message.kind is MessageKind.POPUP:
        if not message.pages:
            problems.append(("pages", "Name at least one portal page to show the pop-up on."))
        if message.ends_at is not None and message.ends_at <= when:
            problems.append(("endsAt", "The end date is before the publication."))
    if problems:
        raise ValidationFailed(problems)


async def schedule_message(viewer: Viewer, message_id: int, at: datetime) -> Message:
    message = await message_for_admin(viewer, message_id)
    at = aware(at)
    if at <= utc_now():
        raise ValidationFailed([("at", "The scheduled time must be in the future.")])
    if message.status not in SENDABLE:
        raise frozen_error("Only a draft or scheduled message can be scheduled.")
    await check_ready(message, at)
    changed = await Message.filter(id=message.id, status__in=sorted(SENDABLE)).update(
        status=MessageStatus.SCHEDULED, scheduled_at=at, not_sent_reason="", updated_at=utc_now()
    )
    if not changed:
        raise frozen_error("Only a draft or scheduled message can be scheduled.")
    return await Message.get(id=message.id)


# ---- sending and publishing now -------------------------------------------------------------


async def send_message(viewer: Viewer, settings: Settings, message_id: int) -> Message:
    """Send an email now: DRAFT/SCHEDULED -> SENDING (-> SENT once the outbox delivered it)."""
    message = await message_for_admin(viewer, message_id)
    if message.kind is not MessageKind.EMAIL:
        raise ServiceError(ErrorCode.INVALID, "Pop-ups are published, not sent.", "id")
    if message.status not in SENDABLE:
        raise frozen_error("This email is already being sent or was sent. Copy it to send again.")
    await check_ready(message, utc_now())
    if (
        await start_sending(settings, message.id, sorted(SENDABLE), on_schedule=False)
        is not Outcome.DONE
    ):
        raise frozen_error("This email is already being sent or was sent. Copy it to send again.")
    return await Message.get(id=message.id)


async def publish_message(viewer: Viewer, settings: Settings, message_id: int) -> Message:
    """Publish a pop-up now: recipients frozen, pushed live to every connected recipient."""
    message = await message_for_admin(viewer, message_id)
    if message.kind is not MessageKind.POPUP:
        raise ServiceError(ErrorCode.INVALID, "Emails are sent, not published.", "id")
    if message.status not in SENDABLE:
        raise frozen_error("This pop-up is already published. Copy it to publish it again.")
    await check_ready(message, utc_now())
    if (
        await publish_popup(settings, message.id, sorted(SENDABLE), on_schedule=False)
        is not Outcome.DONE
    ):
        raise frozen_error("This pop-up is already published. Copy it to publish it again.")
    return await Message.get(id=message.id)

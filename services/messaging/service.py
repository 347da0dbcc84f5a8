"""To-partner communications (SPEC §4): email and pop-up messages, their lifecycle and audience.

- Vendor admins create, edit, schedule, send (emails) and publish (pop-ups) messages.
- Lifecycle: email DRAFT -> SCHEDULED -> SENDING -> SENT, frozen from SENDING on. Pop-up
  DRAFT -> SCHEDULED/PUBLISHED -> EXPIRED, its audience frozen once scheduled. `return_to_draft`
  and `copy_message` are the ways to change a frozen message. Every status change is a
  conditional UPDATE (WHERE status IN ...), so that two callers (an admin and the worker) never
  send or publish the same message twice.
- Eligibility is computed at send/publish time and frozen as `MessageRecipient` rows. A message
  is never reported sent or published to nobody: sending or publishing now with an empty
  audience is refused (NO_RECIPIENTS); a scheduled one whose audience is empty at its time goes
  back to DRAFT with `not_sent_reason`. A scheduled message's edits must keep it sendable, and a
  partner group that scheduled messages target cannot be deleted (services/partners.py).
- A pop-up whose end date passed reads and acts as EXPIRED at once (`effective_status`); the
  worker job only records it.
- Emails go through the outbox (marketing category, source `partner_message`, reference
  `message:<id>`); statistics come from the outbox rows and their tracking events.
- A published pop-up is announced on the pub/sub channel `POPUP_CHANNEL` (see
  services/popup_stream.py for the subscriber side).
"""

from __future__ import annotations

import html
import logging
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import nh3
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from models.consent import ConsentAction, ConsentPurpose, ConsentSource
from models.enums import PARTNER_ROLES, PartnerStatus
from models.messaging import (
    Message,
    MessageKind,
    MessageRecipient,
    MessageStatus,
    MessageTargetGroup,
    PortalTermsAcceptance,
)
from models.outbox import EmailCategory, EmailEvent, EmailEventKind, OutboxState
from models.partners import PartnerGroup
from models.users import User
from models.vendor import VendorSettings
from services.consent.ledger import Caller, record_consent
from services.email.outbox import queue_email
from services.email.stats import DeliveryStatistics, delivery_statistics
from services.email.suppression import Unsubscribed, unsubscribe_listeners
from services.partners.service import partner_ids_in_groups
from services.platform.errors import ErrorCode, ServiceError, ValidationFailed, not_found
from services.platform.pagination import MAX_PAGE_SIZE, Page, decode_cursor, paginate
from services.platform.pubsub import PubSub, current_pubsub
from services.platform.validation import clean_text
from services.platform.viewer import Viewer
from settings import Settings

log = logging.getLogger("channelport.messaging")

POPUP_CHANNEL = "partner-popups"
EMAIL_SOURCE = "partner_message"
EMAIL_TEMPLATE = "partner_message"
MAX_TITLE_LENGTH = 300
MAX_BODY_LENGTH = 100_000
MAX_PAGES = 20
MAX_GROUPS = 100

# The safe HTML subset of a message body: text formatting, lists, links, images, simple tables.
ALLOWED_TAGS = {
    "a", "b", "blockquote", "br", "code", "em", "h1", "h2", "h3", "h4", "hr", "i", "img", "li",
    "ol", "p", "pre", "s", "small", "span", "strong", "sub", "sup", "table", "tbody", "td",
    "th", "thead", "tr", "u", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
}
_PAGE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_./:-]{0,99}$")
_LOCALE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})?$")

EMAIL_EDITABLE = frozenset({MessageStatus.DRAFT, MessageStatus.SCHEDULED})
POPUP_CONTENT_EDITABLE = frozenset(
    {MessageStatus.DRAFT, MessageStatus.SCHEDULED, MessageStatus.PUBLISHED}
)
SENDABLE = frozenset({MessageStatus.DRAFT, MessageStatus.SCHEDULED})


def _now() -> datetime:
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
    return MessageStatus.EXPIRED if has_ended(message, now or _now()) else message.status


def _ended_popups(now: datetime) -> Q:
    return Q(kind=MessageKind.POPUP, status=MessageStatus.PUBLISHED, ends_at__lte=now)


def frozen_error(message: str, field_name: str = "status") -> ServiceError:
    """The typed refusal of a change to a frozen message (code INVALID, field status or to)."""
    return ServiceError(ErrorCode.INVALID, message, field_name)


# ---- input ----------------------------------------------------------------------------------


@dataclass
class MessageFields:
    """Fields of a message to create or change; None leaves a field as it is."""

    title: str | None = None
    body: str | None = None
    language: str | None = None
    all_partners: bool | None = None
    group_ids: list[int] | None = None
    locales: list[str] | None = None
    pages: list[str] | None = None
    ends_at: datetime | None = None
    clear_ends_at: bool = False

    def touches_audience(self) -> bool:
        return any(v is not None for v in (self.all_partners, self.group_ids, self.locales))


def sanitise_body(body: str) -> str:
    """Keep only the safe HTML subset: no scripts, styles, event handlers or javascript: URLs."""
    return nh3.clean(
        body,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    ).strip()


def body_as_text(body_html: str) -> str:
    text = re.sub(r"(?i)<br\s*/?>|</p>|</li>|</h[1-4]>|</tr>", "\n", body_html)
    text = html.unescape(nh3.clean(text, tags=set()))
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _normalise_locale(value: str) -> str:
    return value.strip().lower().replace("_", "-")


def _locale_matches(user_locale: str, wanted: list[str]) -> bool:
    locale = _normalise_locale(user_locale)
    return any(locale == w or locale.startswith(f"{w}-") for w in wanted)


async def _validated(fields: MessageFields, kind: MessageKind) -> dict[str, Any]:
    """The model values for `fields`, or ValidationFailed listing every problem."""
    problems: list[tuple[str, str]] = []
    values: dict[str, Any] = {}
    if fields.title is not None:
        title = " ".join(
            clean_text(fields.title, "title", problems, max_length=MAX_TITLE_LENGTH).split()
        )
        if not title:
            problems.append(("title", "A title is required."))
        values["title"] = title
    if fields.body is not None:
        body_problems: list[tuple[str, str]] = []
        clean_text(fields.body, "body", body_problems, max_length=MAX_BODY_LENGTH, multiline=True)
        problems.extend(body_problems)
        if not body_problems:
            body_html = sanitise_body(fields.body)
            if not body_as_text(body_html) and "<img" not in body_html:
                problems.append(("body", "The body is empty."))
            values["body_html"] = body_html
    if fields.language is not None:
        language = _normalise_locale(fields.language)
        if not _LOCALE.match(language):
            problems.append(("language", "Use a language code such as en, nl or de-AT."))
        values["language"] = language
    if fields.locales is not None:
        locales = sorted({_normalise_locale(v) for v in fields.locales})
        if any(not _LOCALE.match(v) for v in locales):
            problems.append(("locales", "Use locale codes such as en, nl or de-AT."))
        values["locales"] = locales
    if fields.all_partners is not None:
        values["all_partners"] = fields.all_partners
    if fields.group_ids is not None:
        group_ids = sorted(set(fields.group_ids))
        if len(group_ids) > MAX_GROUPS:
            problems.append(("groupIds", f"At most {MAX_GROUPS} groups."))
        elif await PartnerGroup.filter(id__in=group_ids).count() != len(group_ids):
            problems.append(("groupIds", "Partner group not found."))
        values["group_ids"] = group_ids
    popup_only = fields.pages is not None or fields.ends_at is not None or fields.clear_ends_at
    if popup_only and kind is MessageKind.EMAIL:
        problems.append(("pages", "Pages and an end date are for pop-ups only."))
    if fields.pages is not None:
        pages = list(dict.fromkeys(p.strip() for p in fields.pages))
        if len(pages) > MAX_PAGES or any(not _PAGE_NAME.match(p) for p in pages):
            problems.append(
                ("pages", f"Up to {MAX_PAGES} page names of letters, digits and _ . / : -.")
            )
        values["pages"] = pages
    if fields.ends_at is not None:
        values["ends_at"] = _aware(fields.ends_at)
    elif fields.clear_ends_at:
        values["ends_at"] = None
    if problems:
        raise ValidationFailed(problems)
    return values


# ---- reading --------------------------------------------------------------------------------


async def _message_for_admin(viewer: Viewer, message_id: int) -> Message:
    viewer.require_vendor_admin()
    message = await Message.get_or_none(id=message_id)
    if message is None:
        raise not_found("Message")
    return message


async def get_message(viewer: Viewer, message_id: int) -> Message:
    return await _message_for_admin(viewer, message_id)


async def list_messages(
    viewer: Viewer,
    first: int | None,
    after: str | None,
    kind: MessageKind | None = None,
    status: MessageStatus | None = None,
) -> Page[Message]:
    viewer.require_vendor_admin()
    queryset = Message.all()
    if kind is not None:
        queryset = queryset.filter(kind=kind)
    now = _now()
    if status is MessageStatus.EXPIRED:
        queryset = queryset.filter(Q(status=MessageStatus.EXPIRED) | _ended_popups(now))
    elif status is MessageStatus.PUBLISHED:
        queryset = queryset.filter(status=status).exclude(_ended_popups(now))
    elif status is not None:
        queryset = queryset.filter(status=status)
    return await paginate(queryset, first, after)


async def target_group_ids(message_ids: list[int]) -> dict[int, list[int]]:
    result: dict[int, list[int]] = {m: [] for m in message_ids}
    rows = await MessageTargetGroup.filter(message_id__in=message_ids).order_by("group_id")
    for row in rows:
        result[row.message_id].append(row.group_id)  # type: ignore[attr-defined]
    return result


@dataclass(frozen=True)
class ReadCounts:
    recipients: int
    read: int

    @property
    def unread(self) -> int:
        return self.recipients - self.read


async def read_counts(message_ids: list[int]) -> dict[int, ReadCounts]:
    """Recipients and how many of them read each pop-up (two grouped queries)."""
    from tortoise.functions import Count

    totals = {
        row["message_id"]: row["n"]
        for row in await MessageRecipient.filter(message_id__in=message_ids)
        .group_by("message_id")
        .annotate(n=Count("id"))
        .values("message_id", "n")
    }
    reads = {
        row["message_id"]: row["n"]
        for row in await MessageRecipient.filter(message_id__in=message_ids, read_at__isnull=False)
        .group_by("message_id")
        .annotate(n=Count("id"))
        .values("message_id", "n")
    }
    return {
        m: ReadCounts(recipients=int(totals.get(m, 0)), read=int(reads.get(m, 0)))
        for m in message_ids
    }


async def email_statistics(message_id: int) -> DeliveryStatistics:
    return await delivery_statistics(EMAIL_SOURCE, f"message:{message_id}")


@dataclass(frozen=True)
class RecipientStats:
    state: str | None
    opened: bool
    clicked: bool
    bounced: bool


async def list_recipients(
    viewer: Viewer, message_id: int, first: int | None, after: str | None
) -> tuple[Page[MessageRecipient], dict[int, RecipientStats]]:
    """A message's frozen recipients with, for emails, each one's delivery and tracking state."""
    await _message_for_admin(viewer, message_id)
    page = await paginate(
        MessageRecipient.filter(message_id=message_id).select_related("outbox_email"),
        first,
        after,
    )
    email_ids = [r.outbox_email_id for r in page.items if r.outbox_email_id is not None]  # type: ignore[attr-defined]
    events: dict[int, set[str]] = {}
    for email_id, kind in await EmailEvent.filter(email_id__in=email_ids).values_list(
        "email_id", "kind"
    ):
        events.setdefault(email_id, set()).add(str(kind))
    stats = {}
    for recipient in page.items:
        email = recipient.outbox_email
        kinds = events.get(email.id, set()) if email is not None else set()
        stats[recipient.id] = RecipientStats(
            state=str(email.state) if email is not None else None,
            opened=EmailEventKind.OPENED.value in kinds,
            clicked=EmailEventKind.CLICKED.value in kinds,
            bounced=email is not None
            and (email.state is OutboxState.BOUNCED or EmailEventKind.BOUNCED.value in kinds),
        )
    return page, stats


# ---- creating and editing -------------------------------------------------------------------


async def _set_groups(message: Message, group_ids: list[int]) -> None:
    await MessageTargetGroup.filter(message_id=message.id).delete()
    await MessageTargetGroup.bulk_create(
        [MessageTargetGroup(message_id=message.id, group_id=g) for g in group_ids]
    )


async def create_message(viewer: Viewer, kind: MessageKind, fields: MessageFields) -> Message:
    viewer.require_vendor_admin()
    missing = [
        (name, "This field is required.") for name in ("title", "body") if not getattr(fields, name)
    ]
    if missing:
        raise ValidationFailed(missing)
    values = await _validated(fields, kind)
    group_ids = values.pop("group_ids", [])
    async with in_transaction():
        message = await Message.create(kind=kind, created_by_id=viewer.user_id, **values)
        await _set_groups(message, group_ids)
    return message


async def update_message(viewer: Viewer, message_id: int, fields: MessageFields) -> Message:
    """Change a message. Frozen: an email from SENDING on, a pop-up's audience once scheduled."""
    message = await _message_for_admin(viewer, message_id)
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
    if has_ended(message, _now()):
        raise ServiceError(
            ErrorCode.EXPIRED,
            "This pop-up's end date has passed: it can no longer be changed. Copy it instead.",
            "status",
        )
    values = await _validated(fields, message.kind)
    group_ids = values.pop("group_ids", None)
    async with in_transaction():
        # Conditional: a concurrent send/publish makes this change nothing and fail.
        changed = await Message.filter(id=message_id, status__in=sorted(allowed)).update(
            updated_at=_now(), **values
        )
        if not changed:
            raise refusal
        if group_ids is not None:
            await _set_groups(message, group_ids)
        updated = await Message.get(id=message_id)
        if updated.status is MessageStatus.SCHEDULED and updated.scheduled_at is not None:
            # A scheduled message stays sendable: an audience or end date it cannot go out
            # with is refused now, not discovered at its time (rolled back with the change).
            await _check_ready(updated, updated.scheduled_at)
    return updated


async def copy_message(viewer: Viewer, message_id: int) -> Message:
    """A new draft with the same content and audience (the way to change a frozen message)."""
    source = await _message_for_admin(viewer, message_id)
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
            ends_at=source.ends_at if source.ends_at and source.ends_at > _now() else None,
            copied_from_id=source.id,
            created_by_id=viewer.user_id,
        )
        await _set_groups(copy, group_ids)
    return copy


async def return_to_draft(viewer: Viewer, message_id: int) -> Message:
    """A scheduled message back to draft, so that its audience can be changed again."""
    message = await _message_for_admin(viewer, message_id)
    changed = await Message.filter(id=message.id, status=MessageStatus.SCHEDULED).update(
        status=MessageStatus.DRAFT, scheduled_at=None, updated_at=_now()
    )
    if not changed:
        raise frozen_error(
            "Only a scheduled message can return to draft. Copy it to make a new draft."
        )
    return await Message.get(id=message.id)


async def _check_ready(message: Message, when: datetime) -> None:
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
    message = await _message_for_admin(viewer, message_id)
    at = _aware(at)
    if at <= _now():
        raise ValidationFailed([("at", "The scheduled time must be in the future.")])
    if message.status not in SENDABLE:
        raise frozen_error("Only a draft or scheduled message can be scheduled.")
    await _check_ready(message, at)
    changed = await Message.filter(id=message.id, status__in=sorted(SENDABLE)).update(
        status=MessageStatus.SCHEDULED, scheduled_at=at, not_sent_reason="", updated_at=_now()
    )
    if not changed:
        raise frozen_error("Only a draft or scheduled message can be scheduled.")
    return await Message.get(id=message.id)


# ---- eligibility ----------------------------------------------------------------------------


async def eligible_users(message: Message) -> list[User]:
    """SPEC §4: users of active/test partners in the audience, never sales reps nor
    supplier-designated default lead owners, for email only those with Supplier Emails on,
    narrowed by locale if the message says so."""
    queryset = User.filter(
        is_active=True,
        role__in=sorted(PARTNER_ROLES),
        partner__status__in=[PartnerStatus.ACTIVE, PartnerStatus.TEST],
        is_sales_rep=False,
        is_supplier_default_lead_owner=False,
    )
    if not message.all_partners:
        group_ids = (await target_group_ids([message.id]))[message.id]
        partner_ids = await partner_ids_in_groups(group_ids)
        if not partner_ids:
            return []
        queryset = queryset.filter(partner_id__in=sorted(partner_ids))
    if message.kind is MessageKind.EMAIL:
        queryset = queryset.filter(supplier_emails_opt_in=True)
    users = await queryset.order_by("id")
    if message.locales:
        users = [u for u in users if _locale_matches(u.locale, list(message.locales))]
    return users


# ---- sending emails -------------------------------------------------------------------------


class Outcome(StrEnum):
    """What became of an attempt to send an email or publish a pop-up."""

    DONE = "done"
    NOT_IN_STATUS = "not_in_status"  # someone else sent, published or changed it first
    RETURNED_TO_DRAFT = "returned_to_draft"  # scheduled, but its audience was empty at its time


def no_recipients_error(message: Message) -> ServiceError:
    action = "send this email" if message.kind is MessageKind.EMAIL else "publish this pop-up"
    return ServiceError(
        ErrorCode.NO_RECIPIENTS,
        f"Nobody is in the audience: there is no one to {action} to. {AUDIENCE_HINT}",
        "to",
    )


AUDIENCE_HINT = (
    "Check its partner groups and locales (and, for emails, that the users turned Supplier "
    "Emails on); only active and test partners' users are reached."
)


async def _nobody_to_reach(message: Message, on_schedule: bool) -> Outcome:
    """A message whose audience is empty at its time is never reported as sent or published.
    Sent or published now: refused (the transaction rolls back, the message is unchanged).
    Due on its schedule: back to DRAFT with the reason, for the vendor admin to see and fix."""
    if not on_schedule or message.scheduled_at is None:
        raise no_recipients_error(message)
    done = "sent" if message.kind is MessageKind.EMAIL else "published"
    reason = (
        f"Not {done} at its scheduled time ({message.scheduled_at:%Y-%m-%d %H:%M} UTC): "
        f"nobody was in its audience. {AUDIENCE_HINT}"
    )
    await Message.filter(id=message.id).update(
        status=MessageStatus.DRAFT,
        scheduled_at=None,
        sent_at=None,
        not_sent_reason=reason,
        updated_at=_now(),
    )
    log.warning("scheduled %s %s reached nobody: returned to draft", message.kind, message.id)
    return Outcome.RETURNED_TO_DRAFT


async def _start_sending(
    settings: Settings, message_id: int, statuses: list[MessageStatus], on_schedule: bool
) -> Outcome:
    """SENDING: freeze the recipients and queue one email each, all in one transaction.
    An audience without anyone in it is not sent: see `_nobody_to_reach`."""
    async with in_transaction():
        changed = await Message.filter(
            id=message_id, kind=MessageKind.EMAIL, status__in=statuses
        ).update(status=MessageStatus.SENDING, sent_at=_now(), updated_at=_now())
        if not changed:
            return Outcome.NOT_IN_STATUS
        message = await Message.get(id=message_id)
        users = await eligible_users(message)
        if not users:
            return await _nobody_to_reach(message, on_schedule)
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
    return Outcome.DONE


async def send_message(viewer: Viewer, settings: Settings, message_id: int) -> Message:
    """Send an email now: DRAFT/SCHEDULED -> SENDING (-> SENT once the outbox delivered it)."""
    message = await _message_for_admin(viewer, message_id)
    if message.kind is not MessageKind.EMAIL:
        raise ServiceError(ErrorCode.INVALID, "Pop-ups are published, not sent.", "id")
    if message.status not in SENDABLE:
        raise frozen_error("This email is already being sent or was sent. Copy it to send again.")
    await _check_ready(message, _now())
    if (
        await _start_sending(settings, message.id, sorted(SENDABLE), on_schedule=False)
        is not Outcome.DONE
    ):
        raise frozen_error("This email is already being sent or was sent. Copy it to send again.")
    return await Message.get(id=message.id)


async def _finish_sent_emails() -> int:
    """SENDING -> SENT for emails none of whose outbox rows is still waiting."""
    finished = 0
    for message in await Message.filter(kind=MessageKind.EMAIL, status=MessageStatus.SENDING):
        pending = await MessageRecipient.filter(
            message_id=message.id,
            outbox_email__state__in=[OutboxState.QUEUED, OutboxState.SENDING],
        ).exists()
        if not pending:
            finished += await Message.filter(id=message.id, status=MessageStatus.SENDING).update(
                status=MessageStatus.SENT, completed_at=_now()
            )
    return finished


# ---- publishing pop-ups ---------------------------------------------------------------------


def popup_payload(message: Message, recipient_ids: list[int]) -> dict[str, Any]:
    """What subscribers receive on POPUP_CHANNEL: the pop-up and who may see it."""
    return {
        "type": "published",
        "publication": uuid.uuid4().hex,
        "id": message.id,
        "title": message.title,
        "body_html": message.body_html,
        "language": message.language,
        "pages": list(message.pages),
        "ends_at": message.ends_at.isoformat() if message.ends_at else None,
        "published_at": (message.sent_at or _now()).isoformat(),
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


async def _publish(
    settings: Settings, message_id: int, statuses: list[MessageStatus], on_schedule: bool
) -> Outcome:
    async with in_transaction():
        now = _now()
        changed = await Message.filter(
            id=message_id, kind=MessageKind.POPUP, status__in=statuses
        ).update(status=MessageStatus.PUBLISHED, sent_at=now, updated_at=now)
        if not changed:
            return Outcome.NOT_IN_STATUS
        message = await Message.get(id=message_id)
        users = await eligible_users(message)
        if not users:
            return await _nobody_to_reach(message, on_schedule)
        await MessageRecipient.bulk_create(
            [
                MessageRecipient(
                    message_id=message.id,
                    user_id=user.id,
                    partner_id=user.partner_id,  # type: ignore[attr-defined]
                    email=user.email,
                )
                for user in users
            ],
            batch_size=500,
        )
    # After the commit: a subscriber that re-syncs from the database must find the rows.
    await announce_popup(settings, popup_payload(message, [u.id for u in users]))
    return Outcome.DONE


async def publish_message(viewer: Viewer, settings: Settings, message_id: int) -> Message:
    """Publish a pop-up now: recipients frozen, pushed live to every connected recipient."""
    message = await _message_for_admin(viewer, message_id)
    if message.kind is not MessageKind.POPUP:
        raise ServiceError(ErrorCode.INVALID, "Emails are sent, not published.", "id")
    if message.status not in SENDABLE:
        raise frozen_error("This pop-up is already published. Copy it to publish it again.")
    await _check_ready(message, _now())
    if (
        await _publish(settings, message.id, sorted(SENDABLE), on_schedule=False)
        is not Outcome.DONE
    ):
        raise frozen_error("This pop-up is already published. Copy it to publish it again.")
    return await Message.get(id=message.id)


# ---- the worker job -------------------------------------------------------------------------


@dataclass
class ScheduleReport:
    sent: list[int] = field(default_factory=list)
    published: list[int] = field(default_factory=list)
    expired: int = 0
    finished: int = 0
    # Due, but nobody was in the audience: back to draft with `not_sent_reason`.
    returned_to_draft: list[int] = field(default_factory=list)


async def run_message_schedule(settings: Settings, now: datetime | None = None) -> ScheduleReport:
    """Send/publish scheduled messages that are due, expire pop-ups, mark delivered emails SENT."""
    now = now or _now()
    report = ScheduleReport()
    due = await Message.filter(status=MessageStatus.SCHEDULED, scheduled_at__lte=now).order_by(
        "scheduled_at", "id"
    )
    for message in due:
        try:
            if message.kind is MessageKind.EMAIL:
                outcome = await _start_sending(
                    settings, message.id, [MessageStatus.SCHEDULED], on_schedule=True
                )
                done = report.sent
            else:
                outcome = await _publish(
                    settings, message.id, [MessageStatus.SCHEDULED], on_schedule=True
                )
                done = report.published
            if outcome is Outcome.DONE:
                done.append(message.id)
            elif outcome is Outcome.RETURNED_TO_DRAFT:
                report.returned_to_draft.append(message.id)
        except Exception:
            log.exception("scheduled message %s failed, will retry", message.id)
    report.expired = await Message.filter(
        kind=MessageKind.POPUP, status=MessageStatus.PUBLISHED, ends_at__lte=now
    ).update(status=MessageStatus.EXPIRED, completed_at=now)
    report.finished = await _finish_sent_emails()
    return report


# ---- pop-ups of a user ----------------------------------------------------------------------


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
        return self.ends_at is not None and self.ends_at <= _now()

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
            Q(message__ends_at__isnull=True) | Q(message__ends_at__gt=_now()),
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
    cursors: list[str]
    has_next_page: bool


async def message_centre(viewer: Viewer, first: int | None, after: str | None) -> CentrePage:
    """Every pop-up the viewer received, read or not, newest first (keyset pagination)."""
    from services.platform.pagination import DEFAULT_PAGE_SIZE, encode_cursor

    require_partner_member(viewer)
    size = DEFAULT_PAGE_SIZE if first is None else first
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise ValidationFailed([("first", f"first must be between 1 and {MAX_PAGE_SIZE}.")])
    queryset = MessageRecipient.filter(
        user_id=viewer.user_id,
        message__kind=MessageKind.POPUP,
        message__status__in=[MessageStatus.PUBLISHED, MessageStatus.EXPIRED],
    )
    if after is not None:
        queryset = queryset.filter(id__lt=decode_cursor(after))
    rows = await queryset.select_related("message").order_by("-id").limit(size + 1)
    items = rows[:size]
    return CentrePage(
        items=[ReceivedPopup.from_recipient(r) for r in items],
        cursors=[encode_cursor(r.id) for r in items],
        has_next_page=len(rows) > size,
    )


async def unread_count(viewer: Viewer) -> int:
    require_partner_member(viewer)
    return await MessageRecipient.filter(
        Q(message__ends_at__isnull=True) | Q(message__ends_at__gt=_now()),
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
        await MessageRecipient.filter(id=recipient.id, read_at__isnull=True).update(read_at=_now())
        await recipient.refresh_from_db(fields=["read_at"])
    return ReceivedPopup.from_recipient(recipient)


# ---- Supplier Emails preference and portal terms ----------------------------------------------


async def _set_supplier_emails(
    user: User,
    on: bool,
    source: ConsentSource,
    origin: Caller,
    terms_version: str = "",
) -> None:
    await User.filter(id=user.id).update(supplier_emails_opt_in=on, updated_at=_now())
    await record_consent(
        email=user.email,
        purpose=ConsentPurpose.SUPPLIER_EMAILS,
        action=ConsentAction.OPT_IN if on else ConsentAction.OPT_OUT,
        source=source,
        partner_id=user.partner_id,  # type: ignore[attr-defined]
        actor_user_id=user.id,
        client_address=origin.client_address,
        user_agent=origin.user_agent,
        consent_text_version=terms_version,
    )


async def set_notification_preferences(
    viewer: Viewer, supplier_emails: bool, origin: Caller
) -> User:
    """Turn the viewer's own Supplier Emails on or off; a change is written to the ledger."""
    require_partner_member(viewer)
    async with in_transaction():
        user = await User.get(id=viewer.user_id)
        if user.supplier_emails_opt_in != supplier_emails:
            await _set_supplier_emails(user, supplier_emails, ConsentSource.SELF_SERVICE, origin)
    return await User.get(id=viewer.user_id)


async def accept_portal_terms(viewer: Viewer, version: str, origin: Caller) -> User:
    """Accept the current portal terms; terms that declare opt-in turn Supplier Emails on."""
    require_partner_member(viewer)
    vendor = await VendorSettings.first()
    current = vendor.portal_terms_version if vendor else ""
    if not current:
        raise ServiceError(ErrorCode.INVALID, "There are no portal terms to accept.", "version")
    if version != current:
        raise ServiceError(
            ErrorCode.INVALID, f"The current portal terms are version {current}.", "version"
        )
    opt_in = bool(vendor and vendor.portal_terms_opt_in_supplier_emails)
    async with in_transaction():
        user = await User.get(id=viewer.user_id)
        if await PortalTermsAcceptance.filter(user_id=user.id, terms_version=version).exists():
            return user
        await PortalTermsAcceptance.create(
            user_id=user.id, terms_version=version, opted_in_supplier_emails=opt_in
        )
        if opt_in and not user.supplier_emails_opt_in:
            await _set_supplier_emails(
                user, True, ConsentSource.TERMS_ACCEPTANCE, origin, terms_version=version
            )
    return await User.get(id=viewer.user_id)


async def _record_unsubscribe_from_partner_message(event: Unsubscribed) -> None:
    """The unsubscribe link of a partner message turns Supplier Emails off (the outbox does
    that): record it in the consent ledger like any other change of the preference."""
    email = event.email
    user_id: int | None = email.user_id  # type: ignore[attr-defined]
    if email.source != EMAIL_SOURCE or user_id is None:
        return
    user = await User.get_or_none(id=user_id)
    if user is None:
        return
    await record_consent(
        email=user.email,
        purpose=ConsentPurpose.SUPPLIER_EMAILS,
        action=ConsentAction.OPT_OUT,
        source=ConsentSource.SELF_SERVICE,
        partner_id=user.partner_id,  # type: ignore[attr-defined]
        actor_user_id=user.id,
        client_address=event.client_address,
        user_agent=event.user_agent,
        details={"via": "unsubscribe link", "reference": email.reference or ""},
    )


if _record_unsubscribe_from_partner_message not in unsubscribe_listeners:
    unsubscribe_listeners.append(_record_unsubscribe_from_partner_message)

"""How messages did: pop-up read counts, email delivery and tracking counts, and each frozen
recipient's own delivery state. Email statistics come from the outbox rows and their tracking
events."""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.functions import Count

from models.messaging import MessageRecipient
from models.outbox import EmailEvent, EmailEventKind, OutboxState
from services.email.stats import DeliveryStatistics, delivery_statistics
from services.messaging.delivery import EMAIL_SOURCE
from services.messaging.service import message_for_admin
from services.platform.pagination import Page, PageWindow, paginate
from services.platform.viewer import Viewer


@dataclass(frozen=True)
class ReadCounts:
    recipients: int
    read: int

    @property
    def unread(self) -> int:
        return self.recipients - self.read


async def read_counts(message_ids: list[int]) -> dict[int, ReadCounts]:
    """Recipients and how many of them read each pop-up (two grouped queries)."""
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
    state: OutboxState | None
    opened: bool
    clicked: bool
    bounced: bool


async def list_recipients(
    viewer: Viewer, message_id: int, window: PageWindow
) -> tuple[Page[MessageRecipient], dict[int, RecipientStats]]:
    """A message's frozen recipients with, for emails, each one's delivery and tracking state."""
    await message_for_admin(viewer, message_id)
    page = await paginate(
        MessageRecipient.filter(message_id=message_id).select_related("outbox_email"),
        window,
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
            state=OutboxState(email.state) if email is not None else None,
            opened=EmailEventKind.OPENED.value in kinds,
            clicked=EmailEventKind.CLICKED.value in kinds,
            bounced=email is not None
            and (email.state is OutboxState.BOUNCED or EmailEventKind.BOUNCED.value in kinds),
        )
    return page, stats

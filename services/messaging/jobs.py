"""The messaging domain's background job: scheduled messages go out, pop-ups expire, sent
emails are marked SENT. services/platform/worker.py runs it every few seconds."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from models.messaging import Message, MessageKind, MessageRecipient, MessageStatus
from models.outbox import OutboxState
from services.messaging.audience import Outcome
from services.messaging.delivery import publish_popup, start_sending
from services.messaging.status import utc_now
from settings import Settings

log = logging.getLogger("channelport.messaging")


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
    now = now or utc_now()
    report = ScheduleReport()
    due = await Message.filter(status=MessageStatus.SCHEDULED, scheduled_at__lte=now).order_by(
        "scheduled_at", "id"
    )
    for message in due:
        try:
            if message.kind is MessageKind.EMAIL:
                outcome = await start_sending(
                    settings, message.id, [MessageStatus.SCHEDULED], on_schedule=True
                )
                done = report.sent
            else:
                outcome = await publish_popup(
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
    report.finished = await finish_sent_emails()
    return report


async def finish_sent_emails() -> int:
    """SENDING -> SENT for emails none of whose outbox rows is still waiting."""
    finished = 0
    for message in await Message.filter(kind=MessageKind.EMAIL, status=MessageStatus.SENDING):
        pending = await MessageRecipient.filter(
            message_id=message.id,
            outbox_email__state__in=[OutboxState.QUEUED, OutboxState.SENDING],
        ).exists()
        if not pending:
            finished += await Message.filter(id=message.id, status=MessageStatus.SENDING).update(
                status=MessageStatus.SENT, completed_at=utc_now()
            )
    return finished

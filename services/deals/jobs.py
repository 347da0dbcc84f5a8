"""Background jobs of deal registration; services/platform/worker.py schedules them.

- `expire_ended_protections`: an APPROVED registration whose protection ended becomes EXPIRED
  (history kind `expired`, webhook deal_registration.expired) through `change_registration` (the
  guarded `change_registration`), so that one won, lost or extended meanwhile, or expired by
  another worker, is left alone.
- `send_expiry_reminders`: before the protection ends, at each of the settings' offsets (days),
  the submitter and the partner's admins are emailed once. A `DealRegistrationReminder` row per
  registration, offset and protection end is written in the transaction of the emails; its unique
  key makes a second worker running at the same time skip it. An extension moves the protection
  end, so its offsets start anew. Like renewal notices, a reminder missed while no worker ran is
  caught up once (the smallest offset whose time has come), older ones are not sent late.
- `send_review_reminders`: a SUBMITTED registration past its review due time is emailed once per
  due time to its reviewers (active vendor admins and the channel managers assigned to the
  partner); a resubmission sets a new due time and so a new reminder.

Every job takes `now`, so that tests run them on fixed clocks.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from models.deal_registrations import (
    DealRegistration,
    DealRegistrationReminder,
    DealRegistrationStatus,
    ExtensionState,
)
from models.partners import PartnerOrg
from models.webhooks import WebhookEventType
from services.customers.common import utcnow
from services.deals.registration_events import change_registration
from services.deals.registration_notify import (
    format_date,
    format_moment,
    partner_recipients,
    queue_registration_emails,
    reviewer_recipients,
)
from services.deals.registration_settings import current_settings
from services.platform.errors import ServiceError
from settings import Settings

log = logging.getLogger("channelport.deals")

EXPIRY_REMINDER = "expiry"
REVIEW_REMINDER = "review"
APPROVED = DealRegistrationStatus.APPROVED
SUBMITTED = DealRegistrationStatus.SUBMITTED


class _NobodyToTell(Exception):
    """No active recipient: the reminder is not recorded, so it goes out once someone is there."""


@dataclass
class ReminderRun:
    reminders: int = 0
    emails: int = 0
    skipped: int = 0  # sent by another worker a moment ago, or changed meanwhile


async def expire_ended_protections(now: datetime | None = None) -> int:
    """EXPIRED for every APPROVED registration whose protection ended; how many this run moved."""
    now = now or utcnow()
    ended = await DealRegistration.filter(status=APPROVED, protected_until__lte=now).order_by("id")
    expired = 0
    for registration in ended:
        try:
            await change_registration(
                registration.id,
                allowed_from=[APPROVED],
                to_status=DealRegistrationStatus.EXPIRED,
                kind="expired",
                actor_id=None,
                now=now,
                refused="The registration is no longer approved with an ended protection.",
                details={"protectedUntil": _iso(registration.protected_until)},
                values={"closed_at": now},
                webhook_event=WebhookEventType.DEAL_REGISTRATION_EXPIRED,
                guard=Q(protected_until__lte=now),
            )
        except ServiceError:
            continue  # won, lost or extended meanwhile, or another worker expired it
        expired += 1
    return expired


def due_offset(remaining: timedelta, offsets: list[int]) -> int | None:
    """The expiry reminder due with `remaining` protection left: the smallest offset (days) whose
    moment has come, none once the protection ended."""
    if remaining <= timedelta(0):
        return None
    due = [offset for offset in offsets if remaining <= timedelta(days=offset)]
    return min(due) if due else None


async def send_expiry_reminders(settings: Settings, now: datetime | None = None) -> ReminderRun:
    """Email the partner once per offset before an approved registration's protection ends."""
    now = now or utcnow()
    registration_settings = await current_settings()
    offsets = sorted({int(o) for o in registration_settings.expiry_reminder_offsets if int(o) > 0})
    run = ReminderRun()
    if not offsets:
        return run
    candidates = await DealRegistration.filter(
        status=APPROVED,
        protected_until__gt=now,
        protected_until__lte=now + timedelta(days=max(offsets)),
    ).order_by("id")
    due: list[tuple[DealRegistration, int]] = []
    for registration in candidates:
        assert registration.protected_until is not None
        offset = due_offset(registration.protected_until - now, offsets)
        if offset is not None:
            due.append((registration, offset))
    if not due:
        return run
    sent = await _sent_reminders(EXPIRY_REMINDER, [r.id for r, _ in due])
    time_zone = registration_settings.time_zone
    for registration, offset in due:
        until = registration.protected_until
        assert until is not None
        if (registration.id, offset, until) in sent:
            continue
        extended = registration.extension_state is not ExtensionState.NONE
        values = {"until": format_moment(until, time_zone), "date": format_date(until, time_zone)}
        await _send_once(
            run,
            registration,
            kind=EXPIRY_REMINDER,
            offset_days=offset,
            for_moment=until,
            now=now,
            still_due={"status": APPROVED, "protected_until": until},
            send=partial(
                _email_partner,
                settings,
                registration,
                "expiry_extended" if extended else "expiry",
                values,
                offset,
                until,
            ),
        )
    return run


async def send_review_reminders(settings: Settings, now: datetime | None = None) -> ReminderRun:
    """Email the reviewers once per due time about each registration whose review is overdue."""
    now = now or utcnow()
    overdue = await DealRegistration.filter(status=SUBMITTED, review_due_at__lt=now).order_by("id")
    run = ReminderRun()
    if not overdue:
        return run
    sent = await _sent_reminders(REVIEW_REMINDER, [r.id for r in overdue])
    time_zone = (await current_settings()).time_zone
    partner_ids = {r.partner_id for r in overdue}  # type: ignore[attr-defined]
    partners = dict(await PartnerOrg.filter(id__in=partner_ids).values_list("id", "name"))
    for registration in overdue:
        due_at = registration.review_due_at
        assert due_at is not None
        if (registration.id, 0, due_at) in sent:
            continue
        partner_id = registration.partner_id  # type: ignore[attr-defined]
        values = {"partner": partners.get(partner_id, ""), "due": format_moment(due_at, time_zone)}

        async def email_reviewers(
            registration: DealRegistration = registration,
            values: dict[str, str] = values,
            due_at: datetime = due_at,
        ) -> int:
            await DealRegistration.filter(id=registration.id).update(review_reminded_at=now)
            return await queue_registration_emails(
                settings,
                registration,
                await reviewer_recipients(registration.partner_id),  # type: ignore[attr-defined]
                "review_overdue",
                values,
                dedupe=f"deal-registration:review:{registration.id}:{due_at.isoformat()}",
            )

        await _send_once(
            run,
            registration,
            kind=REVIEW_REMINDER,
            offset_days=0,
            for_moment=due_at,
            now=now,
            still_due={"status": SUBMITTED, "review_due_at": due_at},
            send=email_reviewers,
        )
    return run


async def _email_partner(
    settings: Settings,
    registration: DealRegistration,
    notification: str,
    values: dict[str, str],
    offset: int,
    until: datetime,
) -> int:
    return await queue_registration_emails(
        settings,
        registration,
        await partner_recipients(registration),
        notification,
        values,
        dedupe=f"deal-registration:expiry:{registration.id}:{offset}:{until.isoformat()}",
    )


async def _sent_reminders(kind: str, registration_ids: list[int]) -> set[tuple[int, int, datetime]]:
    rows = await DealRegistrationReminder.filter(
        kind=kind, registration_id__in=registration_ids
    ).values_list("registration_id", "offset_days", "for_moment")
    return {(int(r), int(o), m) for r, o, m in rows}


async def _send_once(
    run: ReminderRun,
    registration: DealRegistration,
    *,
    kind: str,
    offset_days: int,
    for_moment: datetime,
    now: datetime,
    still_due: dict[str, object],
    send: Callable[[], Awaitable[int]],
) -> None:
    """Record the reminder and queue its emails in one transaction, unless it was sent already
    (the unique key: another worker did it a moment ago), the registration moved on, or nobody
    active is there to receive it (then it is not recorded and goes out once someone is)."""
    try:
        async with in_transaction():
            if not await DealRegistration.filter(id=registration.id, **still_due).exists():
                run.skipped += 1
                return
            await DealRegistrationReminder.create(
                registration_id=registration.id,
                kind=kind,
                offset_days=offset_days,
                for_moment=for_moment,
                sent_at=now,
            )
            queued = await send()
            if not queued:
                raise _NobodyToTell
    except (IntegrityError, _NobodyToTell):
        run.skipped += 1
        return
    run.reminders += 1
    run.emails += queued


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


async def run_registration_expiry(settings: Settings) -> int:
    """Worker job: expire the registrations whose protection ended."""
    expired = await expire_ended_protections()
    if expired:
        log.info("expired %s deal registration(s) whose protection ended", expired)
    return expired


async def run_registration_reminders(settings: Settings) -> tuple[ReminderRun, ReminderRun]:
    """Worker job: expiry reminders to partners, overdue review reminders to reviewers."""
    return await send_expiry_reminders(settings), await send_review_reminders(settings)

"""The background worker: runs each scheduled job at its interval until told to stop.

Each domain keeps its jobs in `services/<domain>/jobs.py`; this module only schedules them. The
email outbox sender runs every second, and at once when this process queues an email.
`channelport worker` runs it as its own process; with the embedded default it runs inside the web
process so that one command is enough.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from services.audit.jobs import delete_expired_audit_entries
from services.consent.jobs import expire_consent_requests
from services.customers.jobs import run_close_ended_trials, run_refresh_attention_items
from services.deals.jobs import run_registration_expiry, run_registration_reminders
from services.email.jobs import run_outbox_sender
from services.email.wakeup import sender_wakeup_event
from services.leads.jobs import return_overdue_leads
from services.messaging.jobs import run_message_schedule
from services.renewals.jobs import run_renewal_notices
from services.users.jobs import purge_stale_auth_rows
from services.webhooks.jobs import run_webhook_sender
from services.webhooks.wakeup import webhook_wakeup_event
from settings import Settings

log = logging.getLogger("channelport.worker")


@dataclass(frozen=True)
class Job:
    name: str
    interval_seconds: float
    run: Callable[[Settings], Awaitable[object]]
    # Optional early wake-up: returns this event loop's event that, when set, runs the job
    # before its interval is over (e.g. an email was just queued in this process).
    wakeup: Callable[[], asyncio.Event] | None = None


JOBS: list[Job] = [
    Job("purge-stale-auth-rows", 3600, purge_stale_auth_rows),
    Job("email-outbox", 1, run_outbox_sender, wakeup=sender_wakeup_event),
    Job("webhook-sender", 1, run_webhook_sender, wakeup=webhook_wakeup_event),
    Job("lead-accept-deadlines", 60, return_overdue_leads),
    Job("consent-request-expiry", 300, expire_consent_requests),
    Job("close-ended-trials", 300, run_close_ended_trials),
    Job("refresh-attention-items", 600, run_refresh_attention_items),
    Job("renewal-notices", 3600, run_renewal_notices),
    # Scheduled emails and pop-ups go out within this many seconds of their time.
    Job("partner-message-schedule", 10, run_message_schedule),
    Job("audit-retention", 3600, delete_expired_audit_entries),
    # Deal registrations: protection ends within a minute of its time (reads treat it as ended
    # at once anyway); expiry and overdue-review reminders every five minutes.
    Job("deal-registration-expiry", 60, run_registration_expiry),
    Job("deal-registration-reminders", 300, run_registration_reminders),
]


async def _wait_for_stop_or_wakeup(stop: asyncio.Event, job: Job) -> None:
    if job.wakeup is None:
        await stop.wait()
        return
    wakeup = job.wakeup()
    waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(wakeup.wait())]
    try:
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()


async def _run_job_forever(job: Job, settings: Settings, stop: asyncio.Event) -> None:
    while not stop.is_set():
        if job.wakeup is not None:
            job.wakeup().clear()  # wake-ups from now on ask for another run
        try:
            result = await job.run(settings)
            log.debug("job %s done: %s", job.name, result)
        except Exception:
            log.exception("job %s failed, will run again in %ss", job.name, job.interval_seconds)
        try:
            await asyncio.wait_for(
                _wait_for_stop_or_wakeup(stop, job), timeout=job.interval_seconds
            )
        except TimeoutError:
            continue


async def run_worker(
    settings: Settings, stop: asyncio.Event, jobs: list[Job] | None = None
) -> None:
    """Run every job on its own schedule until `stop` is set."""
    selected = JOBS if jobs is None else jobs
    log.info("worker started with jobs: %s", ", ".join(job.name for job in selected))
    await asyncio.gather(*(_run_job_forever(job, settings, stop) for job in selected))
    log.info("worker stopped")

"""The email domain's background job, scheduled by services/platform/worker.py: the outbox
sender, a bounded run of `deliver_due_emails` (sender.py) every second, and at once when this
process queues an email (wakeup.py).
"""

from __future__ import annotations

import logging

from services.email.sender import DeliveryReport, deliver_due_emails
from services.email.wakeup import wake_sender
from settings import Settings

log = logging.getLogger("channelport.email")

# Batches per job run: the worker checks for shutdown between runs.
BATCHES_PER_RUN = 20


async def run_outbox_sender(settings: Settings) -> DeliveryReport:
    """The worker job: a bounded run of `deliver_due_emails`, re-woken at once if work is left."""
    report = await deliver_due_emails(settings, max_batches=BATCHES_PER_RUN)
    if report.more_pending:
        wake_sender()
    if report.claimed:
        log.info(
            "outbox: %s sent, %s retried later, %s bounced, %s failed, %s suppressed",
            report.sent,
            report.retried,
            report.bounced,
            report.failed,
            report.suppressed,
        )
    return report

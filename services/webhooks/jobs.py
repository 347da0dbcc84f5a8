"""The webhooks domain's background job, scheduled by services/platform/worker.py: the webhook
sender, a bounded run of `deliver_due_webhooks` (delivery.py) every second, and at once when this
process emits an event (wakeup.py).
"""

from __future__ import annotations

import logging

from services.webhooks.delivery import WebhookReport, deliver_due_webhooks
from services.webhooks.wakeup import wake_webhook_sender
from settings import Settings

log = logging.getLogger("channelport.webhooks")

# Rounds per job run: the worker checks for shutdown between runs.
ROUNDS_PER_RUN = 10


async def run_webhook_sender(settings: Settings) -> WebhookReport:
    """The worker job: deliver due webhook events, round after round while there is work."""
    report = WebhookReport()
    for _ in range(ROUNDS_PER_RUN):
        round_report = await deliver_due_webhooks(settings)
        report.add(round_report)
        if not round_report.endpoints:
            break
    else:
        wake_webhook_sender()
    if report.endpoints:
        log.info(
            "webhooks: %s delivered, %s retried later, %s failed, %s endpoints disabled",
            report.delivered,
            report.retried,
            report.failed,
            report.disabled,
        )
    return report

"""Email delivery: the transactional outbox, rendering, tracking, suppression and the sender.

Every email Channelport sends goes through this package:

- `queue_email(...)` renders a template and writes the email to the outbox inside the caller's
  transaction (outbox.py);
- `deliver_due_emails` delivers due emails over SMTP or into the local capture mailbox
  (sender.py, transport.py, mailbox.py); the worker runs it as the job `run_outbox_sender`
  (jobs.py);
- opens, clicks, unsubscribes and bounces come back through signed links and the bounce-report
  endpoint (tracking.py, suppression.py); `delivery_statistics` counts them (stats.py).
"""

from services.email.mailbox import CaptureMailbox, MailboxEntry, MailboxMessage, mailbox_directory
from services.email.outbox import queue_email
from services.email.rendering import RenderedEmail, render_email
from services.email.sender import DeliveryReport, deliver_due_emails
from services.email.stats import DeliveryStatistics, delivery_statistics
from services.email.suppression import (
    BounceReport,
    lift_suppression,
    record_bounce,
    suppress_address,
    unsubscribe,
    unsubscribe_listeners,
)
from services.email.wakeup import sender_wakeup_event, wake_sender

__all__ = [
    "BounceReport",
    "CaptureMailbox",
    "DeliveryReport",
    "DeliveryStatistics",
    "MailboxEntry",
    "MailboxMessage",
    "RenderedEmail",
    "deliver_due_emails",
    "delivery_statistics",
    "lift_suppression",
    "mailbox_directory",
    "queue_email",
    "record_bounce",
    "render_email",
    "sender_wakeup_event",
    "suppress_address",
    "unsubscribe",
    "unsubscribe_listeners",
    "wake_sender",
]

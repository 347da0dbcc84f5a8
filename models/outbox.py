"""The email outbox: one row per email and recipient, its tracking events, and suppressed addresses.

An `OutboxEmail` row is written in the same database transaction as the change that caused it
(services/email `queue_email`), and the outbox sender (services/email/sender.py) delivers it.
"""

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class EmailCategory(StrEnum):
    # Transactional mail (consent requests, lead notifications, renewal notices) is never blocked by
    # marketing opt-outs. Marketing mail honours opt-outs and the suppression list.
    TRANSACTIONAL = "transactional"
    MARKETING = "marketing"


class OutboxState(StrEnum):
    QUEUED = "queued"  # waiting for its next attempt (next_attempt_at)
    SENDING = "sending"  # claimed by a sender until locked_until
    SENT = "sent"  # the SMTP server accepted it (or the local mailbox stored it)
    FAILED = "failed"  # gave up: temporary failures up to the attempt limit, or undeliverable
    BOUNCED = "bounced"  # permanent SMTP failure (5xx) or a hard-bounce report
    SUPPRESSED = "suppressed"  # marketing mail to an opted-out or suppressed address, never sent


class EmailEventKind(StrEnum):
    OPENED = "opened"
    CLICKED = "clicked"
    BOUNCED = "bounced"
    UNSUBSCRIBED = "unsubscribed"


class SuppressionReason(StrEnum):
    HARD_BOUNCE = "hard_bounce"
    UNSUBSCRIBE = "unsubscribe"


class OutboxEmail(Model):
    """One email to one recipient, from queueing to delivery."""

    id = fields.IntField(primary_key=True)
    # Public identity: the Message-ID and the tracking links are derived from it.
    uid = fields.UUIDField(unique=True)
    message_id = fields.CharField(max_length=255, unique=True)
    category = fields.CharEnumField(EmailCategory, max_length=16)
    # What produced the email (consent_request, partner_message, lead_notification, ...) and,
    # optionally, the row it belongs to, so that a feature can find and count its emails.
    source = fields.CharField(max_length=64)
    reference = fields.CharField(max_length=128, null=True)
    # Optional idempotency key: queueing twice with the same key yields the first row.
    dedupe_key = fields.CharField(max_length=255, null=True, unique=True)
    recipient = fields.CharField(max_length=254, db_index=True)
    user = fields.ForeignKeyField(
        "models.User", related_name="outbox_emails", null=True, on_delete=fields.SET_NULL
    )
    sender = fields.CharField(max_length=320)
    subject = fields.CharField(max_length=500)
    text_body = fields.TextField()
    html_body = fields.TextField()
    # Extra message headers (List-Unsubscribe, ...) as a name -> value object.
    headers = fields.JSONField(default=dict)
    state = fields.CharEnumField(OutboxState, max_length=16, default=OutboxState.QUEUED)
    attempts = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField()
    last_error = fields.TextField(default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    sent_at = fields.DatetimeField(null=True)
    # The lease of the sender batch that claimed the row: another sender may take the row over
    # only after locked_until (the claiming process died).
    locked_by = fields.CharField(max_length=128, null=True)
    locked_until = fields.DatetimeField(null=True)

    class Meta:
        table = "outbox_email"
        indexes = (("state", "next_attempt_at"), ("source", "reference"))


class EmailEvent(Model):
    """Something that happened to a delivered email: opened, clicked, bounced, unsubscribed."""

    id = fields.IntField(primary_key=True)
    email = fields.ForeignKeyField(
        "models.OutboxEmail", related_name="events", on_delete=fields.CASCADE
    )
    kind = fields.CharEnumField(EmailEventKind, max_length=16)
    # The clicked URL or the bounce diagnostic.
    detail = fields.TextField(default="")
    client_address = fields.CharField(max_length=64, default="")
    user_agent = fields.CharField(max_length=300, default="")
    occurred_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "email_event"
        indexes = (("email_id", "kind"),)


class EmailSuppression(Model):
    """An address that hard-bounced or unsubscribed: no more marketing mail is sent to it."""

    id = fields.IntField(primary_key=True)
    address = fields.CharField(max_length=254, unique=True)
    reason = fields.CharEnumField(SuppressionReason, max_length=16)
    detail = fields.TextField(default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "email_suppression"

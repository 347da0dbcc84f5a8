"""Outbound webhooks: the vendor's endpoints and the per-endpoint event outbox (the delivery log).

A `WebhookEvent` row is written in the same database transaction as the change it reports
(services/webhooks/events.py `emit`), one per subscribed endpoint, and the worker delivers it
(services/webhooks/delivery.py). The row is also the delivery log entry shown to vendor admins.
"""

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class WebhookEventType(StrEnum):
    LEAD_REGISTRATION_REQUESTED = "lead_registration.requested"
    LEAD_REGISTRATION_APPROVED = "lead_registration.approved"
    LEAD_REGISTRATION_DECLINED = "lead_registration.declined"
    LEAD_REGISTRATION_EXPIRED = "lead_registration.expired"
    LEAD_REGISTRATION_WITHDRAWN = "lead_registration.withdrawn"
    LEAD_REGISTRATION_IN_CONFLICT = "lead_registration.in_conflict"
    LEAD_CREATED = "lead.created"
    LEAD_UPDATED = "lead.updated"
    LEAD_DISTRIBUTED = "lead.distributed"
    LEAD_ACCEPTED = "lead.accepted"
    LEAD_REJECTED = "lead.rejected"
    LEAD_RETURNED = "lead.returned"
    DEAL_REGISTERED = "deal.registered"
    DEAL_UPDATED = "deal.updated"
    DEAL_WON = "deal.won"
    DEAL_LOST = "deal.lost"
    DEAL_REGISTRATION_SUBMITTED = "deal_registration.submitted"
    DEAL_REGISTRATION_INFO_REQUESTED = "deal_registration.info_requested"
    DEAL_REGISTRATION_APPROVED = "deal_registration.approved"
    DEAL_REGISTRATION_REJECTED = "deal_registration.rejected"
    DEAL_REGISTRATION_EXTENSION_REQUESTED = "deal_registration.extension_requested"
    DEAL_REGISTRATION_EXTENDED = "deal_registration.extended"
    DEAL_REGISTRATION_EXPIRED = "deal_registration.expired"
    DEAL_REGISTRATION_WON = "deal_registration.won"
    DEAL_REGISTRATION_LOST = "deal_registration.lost"
    CUSTOMER_CREATED = "customer.created"
    CUSTOMER_CONVERTED = "customer.converted"
    CUSTOMER_CLOSED = "customer.closed"
    CUSTOMER_RENEWED = "customer.renewed"
    COMMISSION_CREATED = "commission.created"
    COMMISSION_APPROVED = "commission.approved"
    COMMISSION_PAID = "commission.paid"
    PARTNER_CREATED = "partner.created"
    PARTNER_UPDATED = "partner.updated"
    PARTNER_STATUS_CHANGED = "partner.status_changed"
    PARTNER_TIER_CHANGED = "partner.tier_changed"
    PARTNER_USER_CREATED = "partner_user.created"
    PARTNER_USER_DEACTIVATED = "partner_user.deactivated"
    MESSAGE_SENT = "message.sent"
    MESSAGE_PUBLISHED = "message.published"
    # Sent only by `sendTestWebhookEvent`, to any endpoint whatever its event types.
    WEBHOOK_TEST = "webhook.test"


class DeliveryState(StrEnum):
    PENDING = "pending"  # waiting for its next attempt (next_attempt_at)
    DELIVERED = "delivered"  # the receiver answered 2xx
    FAILED = "failed"  # gave up: a 4xx other than 429, a refused address, or too many attempts


class WebhookEndpoint(Model):
    """Where the vendor wants events sent, which ones, and the secret that signs them."""

    id = fields.IntField(primary_key=True)
    url = fields.CharField(max_length=2000)
    description = fields.CharField(max_length=500, default="")
    # WebhookEventType values.
    event_types = fields.JSONField(default=list)
    # Optional GraphQL subscription document that shapes the payload ("" = the default payload).
    subscription_query = fields.TextField(default="")
    is_active = fields.BooleanField(default=True)
    # Standard Webhooks secret, "whsec_" + base64. The previous one keeps signing alongside until
    # previous_secret_expires_at after a rotation.
    secret = fields.CharField(max_length=200)
    previous_secret = fields.CharField(max_length=200, default="")
    previous_secret_expires_at = fields.DatetimeField(null=True)
    # Consecutive failed attempts, and when the streak began; reset by a delivered event.
    failure_streak = fields.IntField(default=0)
    failing_since = fields.DatetimeField(null=True)
    disabled_reason = fields.CharField(max_length=500, default="")
    created_by = fields.ForeignKeyField(
        "models.User", related_name="webhook_endpoints", null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    # The delivery lease: one worker at a time delivers an endpoint's events, in order.
    locked_by = fields.CharField(max_length=128, null=True)
    locked_until = fields.DatetimeField(null=True)

    class Meta:
        table = "webhook_endpoint"


class WebhookEvent(Model):
    """One event for one endpoint: the outbox row and, once tried, its delivery log entry."""

    id = fields.IntField(primary_key=True)
    endpoint = fields.ForeignKeyField(
        "webhooks.WebhookEndpoint", related_name="events", on_delete=fields.CASCADE
    )
    # The `webhook-id` header: stable across attempts and replays, for receivers to de-duplicate.
    message_id = fields.CharField(max_length=64, db_index=True)
    event_type = fields.CharEnumField(WebhookEventType, max_length=64)
    # The exact JSON body that is signed and sent.
    payload = fields.TextField()
    occurred_at = fields.DatetimeField()
    state = fields.CharEnumField(DeliveryState, max_length=16, default=DeliveryState.PENDING)
    attempts = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField()
    # The last attempt: HTTP status (null: no response), latency, truncated body, error.
    response_status = fields.IntField(null=True)
    response_body = fields.TextField(default="")
    latency_ms = fields.IntField(null=True)
    last_error = fields.TextField(default="")
    last_attempt_at = fields.DatetimeField(null=True)
    delivered_at = fields.DatetimeField(null=True)
    replay_of = fields.ForeignKeyField(
        "webhooks.WebhookEvent", related_name="replays", null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "webhook_event"
        indexes = (("endpoint_id", "state", "occurred_at"), ("state", "next_attempt_at"))

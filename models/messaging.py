"""To-partner communications: email and pop-up messages, their frozen recipients, read state.

A message targets partner groups (or all partners) in one language. When an email is sent or a
pop-up published, the eligible users are computed once and stored as `MessageRecipient` rows (the
recipient snapshot). Email statistics come from the outbox rows linked to those recipients, pop-up
read state lives on the recipient row.
"""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class MessageKind(StrEnum):
    EMAIL = "email"
    POPUP = "popup"


class MessageStatus(StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    SENDING = "sending"  # email only: recipients frozen, emails queued in the outbox
    SENT = "sent"  # email only: every email of the message left the outbox
    PUBLISHED = "published"  # pop-up only
    EXPIRED = "expired"  # pop-up only: its end date passed


class Message(Model):
    """One email or pop-up to partner users, from draft to sent, published or expired."""

    id = fields.IntField(primary_key=True)
    kind = fields.CharEnumField(MessageKind, max_length=16)
    status = fields.CharEnumField(MessageStatus, max_length=16, default=MessageStatus.DRAFT)
    title = fields.CharField(max_length=300)
    # Sanitised HTML (a safe subset), never the raw input.
    body_html = fields.TextField()
    language = fields.CharField(max_length=16, default="en")
    # Audience: all partners, or the partners of `groups` (MessageTargetGroup rows).
    all_partners = fields.BooleanField(default=False)
    # Optional narrowing by the recipient's locale: ["de", "nl"] (empty means no narrowing).
    locales = fields.JSONField(default=list)
    # Pop-up only: the portal pages it is shown on, and when it stops being shown.
    pages = fields.JSONField(default=list)
    ends_at = fields.DatetimeField(null=True)
    scheduled_at = fields.DatetimeField(null=True, db_index=True)
    sent_at = fields.DatetimeField(null=True)  # email: SENDING began, pop-up: published
    completed_at = fields.DatetimeField(null=True)  # email: SENT, pop-up: EXPIRED
    # Why a scheduled message went back to DRAFT instead of being sent or published at its time
    # (e.g. nobody left in its audience); empty otherwise, cleared when it is scheduled again.
    not_sent_reason = fields.CharField(max_length=500, default="")
    copied_from = fields.ForeignKeyField(
        "messaging.Message", related_name="copies", null=True, on_delete=fields.SET_NULL
    )
    created_by = fields.ForeignKeyField(
        "models.User", related_name="created_messages", null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "partner_message"
        indexes = (("status", "scheduled_at"), ("kind", "status"))


class MessageTargetGroup(Model):
    id = fields.IntField(primary_key=True)
    message = fields.ForeignKeyField(
        "messaging.Message", related_name="target_groups", on_delete=fields.CASCADE
    )
    group = fields.ForeignKeyField(
        "models.PartnerGroup", related_name="targeting_messages", on_delete=fields.CASCADE
    )

    class Meta:
        table = "partner_message_group"
        unique_together = (("message", "group"),)


class MessageRecipient(Model):
    """One user in a message's frozen recipient snapshot, with pop-up read state or the email."""

    id = fields.IntField(primary_key=True)
    message = fields.ForeignKeyField(
        "messaging.Message", related_name="recipients", on_delete=fields.CASCADE
    )
    user = fields.ForeignKeyField(
        "models.User", related_name="received_messages", on_delete=fields.CASCADE
    )
    partner = fields.ForeignKeyField(
        "models.PartnerOrg", related_name="received_messages", on_delete=fields.CASCADE
    )
    email = fields.CharField(max_length=254)
    read_at = fields.DatetimeField(null=True)
    outbox_email = fields.ForeignKeyField(
        "models.OutboxEmail",
        related_name="message_recipients",
        null=True,
        on_delete=fields.SET_NULL,
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "partner_message_recipient"
        unique_together = (("message", "user"),)
        indexes = (("user_id", "read_at"),)


class PortalTermsAcceptance(Model):
    """A user accepted a version of the vendor's portal terms."""

    id = fields.IntField(primary_key=True)
    user = fields.ForeignKeyField(
        "models.User", related_name="terms_acceptances", on_delete=fields.CASCADE
    )
    terms_version = fields.CharField(max_length=50)
    opted_in_supplier_emails = fields.BooleanField(default=False)
    accepted_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "portal_terms_acceptance"
        unique_together = (("user", "terms_version"),)

"""Consent: customer consent requests, newsletter subscribers, the consent ledger and conflicts.

A partner registers a customer as its lead by inviting the customer to the vendor's newsletter;
the customer's explicit approval (through a single-use link) is what registers the lead and links
it to the partner. Every consent decision is written to the append-only `ConsentLedgerEntry`
table, which this ORM layer refuses to update or delete.
"""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

from models.append_only import AppendOnlyError, AppendOnlyManager, AppendOnlyModel


class ConsentPurpose(StrEnum):
    NEWSLETTER = "newsletter"
    SUPPLIER_EMAILS = "supplier_emails"


class ConsentAction(StrEnum):
    REQUEST = "request"  # a consent request was sent to the subject
    OPT_IN = "opt_in"
    OPT_OUT = "opt_out"
    APPROVAL = "approval"  # the subject approved a partner's invitation
    DECLINE = "decline"
    RESEND = "resend"
    EXPIRY = "expiry"
    WITHDRAWAL = "withdrawal"


class ConsentSource(StrEnum):
    PARTNER_INVITATION = "partner_invitation"
    SELF_SERVICE = "self_service"
    TERMS_ACCEPTANCE = "terms_acceptance"
    ADMIN = "admin"


class ConsentRequestState(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    DECLINED = "declined"
    EXPIRED = "expired"
    SUPERSEDED = "superseded"  # a resend issued a newer token


class SubscriberStatus(StrEnum):
    SUBSCRIBED = "subscribed"
    UNSUBSCRIBED = "unsubscribed"


class ConflictStatus(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"


class ConflictResolution(StrEnum):
    KEEP_HOLDER = "keep_holder"  # the existing registration stays, the new lead is not registered
    ASK_CUSTOMER = "ask_customer"  # the customer is asked, their approval moves the registration


class ConsentRequest(Model):
    """One consent link sent to a customer. Only the SHA-256 of its secret part is stored."""

    id = fields.IntField(primary_key=True)
    lead = fields.ForeignKeyField(
        "leads.Lead", related_name="consent_requests", on_delete=fields.CASCADE
    )
    partner = fields.ForeignKeyField(
        "models.PartnerOrg", related_name="consent_requests", on_delete=fields.CASCADE
    )
    email = fields.CharField(max_length=254)
    token_hash = fields.CharField(max_length=64, unique=True)
    state = fields.CharEnumField(
        ConsentRequestState, max_length=16, default=ConsentRequestState.PENDING
    )
    consent_text_version = fields.CharField(max_length=32)
    requested_by = fields.ForeignKeyField(
        "models.User", related_name="consent_requests", null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField(db_index=True)
    answered_at = fields.DatetimeField(null=True)

    class Meta:
        table = "consent_request"
        indexes = (("lead_id", "state"), ("state", "expires_at"))


class NewsletterSubscriber(Model):
    """An email address on the vendor's newsletter list, and the partner it came through."""

    id = fields.IntField(primary_key=True)
    email = fields.CharField(max_length=254, unique=True)
    status = fields.CharEnumField(SubscriberStatus, max_length=16)
    locale = fields.CharField(max_length=16, default="en")
    partner = fields.ForeignKeyField(
        "models.PartnerOrg",
        related_name="newsletter_subscribers",
        null=True,
        on_delete=fields.SET_NULL,
    )
    lead = fields.ForeignKeyField(
        "leads.Lead", related_name="newsletter_subscribers", null=True, on_delete=fields.SET_NULL
    )
    subscribed_at = fields.DatetimeField(null=True)
    unsubscribed_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "newsletter_subscriber"


class ConsentLedgerError(AppendOnlyError):
    """A change or deletion of a ledger row was attempted."""


class ConsentLedgerEntry(AppendOnlyModel):
    """One consent event about one email address. Rows are only ever inserted.

    Partner and lead are stored as plain ids with a snapshot of the partner's name (no foreign
    keys), so that deleting a partner or lead never rewrites the ledger.
    """

    id = fields.IntField(primary_key=True)
    subject_email = fields.CharField(max_length=254, db_index=True)
    purpose = fields.CharEnumField(ConsentPurpose, max_length=32)
    action = fields.CharEnumField(ConsentAction, max_length=16)
    source = fields.CharEnumField(ConsentSource, max_length=32)
    partner_id = fields.IntField(null=True, db_index=True)
    partner_name = fields.CharField(max_length=200, default="")
    lead_id = fields.IntField(null=True, db_index=True)
    actor_user_id = fields.IntField(null=True)
    occurred_at = fields.DatetimeField(auto_now_add=True)
    client_address = fields.CharField(max_length=64, default="")
    user_agent = fields.CharField(max_length=300, default="")
    consent_text_version = fields.CharField(max_length=32, default="")
    details = fields.JSONField(default=dict)

    refusal_error = ConsentLedgerError
    ledger_name = "consent ledger"
    refused_rows = "ledger rows"

    class Meta:
        table = "consent_ledger_entry"
        manager = AppendOnlyManager()


class LeadConflict(Model):
    """A registration that would take a customer another partner registered inside the window."""

    id = fields.IntField(primary_key=True)
    lead = fields.ForeignKeyField("leads.Lead", related_name="conflicts", on_delete=fields.CASCADE)
    holder_lead = fields.ForeignKeyField(
        "leads.Lead", related_name="held_conflicts", null=True, on_delete=fields.SET_NULL
    )
    holder_partner = fields.ForeignKeyField(
        "models.PartnerOrg", related_name="held_conflicts", null=True, on_delete=fields.SET_NULL
    )
    email = fields.CharField(max_length=254, db_index=True)
    reason = fields.TextField()
    status = fields.CharEnumField(ConflictStatus, max_length=16, default=ConflictStatus.OPEN)
    resolution = fields.CharEnumField(ConflictResolution, max_length=16, null=True)
    resolution_note = fields.TextField(default="")
    resolved_by = fields.ForeignKeyField(
        "models.User", related_name="resolved_conflicts", null=True, on_delete=fields.SET_NULL
    )
    resolved_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "lead_conflict"

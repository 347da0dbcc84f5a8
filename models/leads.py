"""Leads: the prospects a partner registers or the vendor distributes, and each lead's history.

A lead has two independent states: its registration with the supplier (by customer consent, by
auto-registration rules, or a conflict with another partner's registration) and, for leads the
vendor hands out, its distribution (waiting for the partner's answer, accepted, rejected, returned).
"""

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class RegistrationStatus(StrEnum):
    NOT_REGISTERED = "not_registered"
    PENDING_CONSENT = "pending_consent"
    REGISTERED = "registered"
    DECLINED = "declined"
    EXPIRED = "expired"
    CONFLICT = "conflict"


class DistributionStatus(StrEnum):
    NOT_DISTRIBUTED = "not_distributed"
    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    RETURNED = "returned"


class LeadSource(StrEnum):
    PARTNER = "partner"
    VENDOR_DISTRIBUTION = "vendor_distribution"


class Lead(Model):
    id = fields.IntField(primary_key=True)
    # Null while a distributed lead is back with the vendor (returned or rejected).
    partner = fields.ForeignKeyField(
        "models.PartnerOrg", related_name="leads", null=True, on_delete=fields.CASCADE
    )
    source = fields.CharEnumField(LeadSource, max_length=32, default=LeadSource.PARTNER)
    email = fields.CharField(max_length=254, db_index=True)
    company = fields.CharField(max_length=200, default="")
    first_name = fields.CharField(max_length=100, default="")
    last_name = fields.CharField(max_length=100, default="")
    phone = fields.CharField(max_length=50, default="")
    country = fields.CharField(max_length=2, default="")
    industry = fields.CharField(max_length=100, default="")
    employees = fields.IntField(null=True)
    estimated_value = fields.DecimalField(max_digits=14, decimal_places=2, null=True)
    notes = fields.TextField(default="")
    locale = fields.CharField(max_length=16, default="en")
    registration_status = fields.CharEnumField(
        RegistrationStatus, max_length=32, default=RegistrationStatus.NOT_REGISTERED
    )
    registered_at = fields.DatetimeField(null=True)
    distribution_status = fields.CharEnumField(
        DistributionStatus, max_length=32, default=DistributionStatus.NOT_DISTRIBUTED
    )
    created_by = fields.ForeignKeyField(
        "models.User", related_name="created_leads", null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "lead"


class LeadEvent(Model):
    """One entry of a lead's history: what happened, who did it, and the details."""

    id = fields.IntField(primary_key=True)
    lead = fields.ForeignKeyField("leads.Lead", related_name="events", on_delete=fields.CASCADE)
    kind = fields.CharField(max_length=64)
    actor = fields.ForeignKeyField(
        "models.User", related_name="lead_events", null=True, on_delete=fields.SET_NULL
    )
    partner = fields.ForeignKeyField(
        "models.PartnerOrg", related_name="lead_events", null=True, on_delete=fields.SET_NULL
    )
    details = fields.JSONField(default=dict)
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)

    class Meta:
        table = "lead_event"

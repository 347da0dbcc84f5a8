"""Renewal ownership (a partner's default and per-customer overrides) and renewal reminders sent.

These tables belong to the Tortoise app `accounts` (migrations/accounts).
"""

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class RenewalOwner(StrEnum):
    VENDOR = "vendor"
    PARTNER = "partner"


class RenewalOwnerChoice(StrEnum):
    DEFAULT = "default"
    VENDOR = "vendor"
    PARTNER = "partner"


class PartnerRenewalSettings(Model):
    """A partner's default renewal-communication owner and its point of contact."""

    id = fields.IntField(primary_key=True)
    partner = fields.OneToOneField(
        "models.PartnerOrg", related_name="renewal_settings", on_delete=fields.CASCADE
    )
    default_owner = fields.CharEnumField(RenewalOwner, max_length=16, default=RenewalOwner.VENDOR)
    contact = fields.ForeignKeyField(
        "models.User", related_name="renewal_contact_for", null=True, on_delete=fields.SET_NULL
    )
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "partner_renewal_settings"


class CustomerRenewalOwner(Model):
    """A per-customer override of the partner's default renewal owner."""

    id = fields.IntField(primary_key=True)
    customer = fields.OneToOneField(
        "models.Customer", related_name="renewal_owner", on_delete=fields.CASCADE
    )
    owner = fields.CharEnumField(
        RenewalOwnerChoice, max_length=16, default=RenewalOwnerChoice.DEFAULT
    )
    contact = fields.ForeignKeyField(
        "models.User",
        related_name="customer_renewal_contact_for",
        null=True,
        on_delete=fields.SET_NULL,
    )
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "customer_renewal_owner"


class RenewalReminder(Model):
    """A renewal reminder that went out: one per customer, renewal date and offset, ever.

    The unique constraint is what keeps concurrent workers from sending one twice.
    """

    id = fields.IntField(primary_key=True)
    customer = fields.ForeignKeyField(
        "models.Customer", related_name="renewal_reminders", on_delete=fields.CASCADE
    )
    renewal_date = fields.DateField()
    offset_days = fields.IntField()
    owner = fields.CharEnumField(RenewalOwner, max_length=16)
    recipients = fields.JSONField(default=list)
    sent_at = fields.DatetimeField()

    class Meta:
        table = "renewal_reminder"
        unique_together = (("customer", "renewal_date", "offset_days"),)

"""Deals partners register for their customers, notes on them, commission rates and commissions.

These tables belong to the Tortoise app `accounts` (migrations/accounts), like the customer
accounts' own tables; they point at the core `models.Customer`, `models.PartnerOrg` and
`models.User` rows.
"""

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

from models.enums import PartnerTier


class DealStatus(StrEnum):
    OPEN = "open"
    WON = "won"
    LOST = "lost"


class CommissionStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    PAID = "paid"


class Deal(Model):
    """A deal a partner registers for a customer, won when the customer subscribes."""

    id = fields.IntField(primary_key=True)
    partner = fields.ForeignKeyField(
        "models.PartnerOrg", related_name="deals", on_delete=fields.CASCADE
    )
    customer = fields.ForeignKeyField(
        "models.Customer", related_name="deals", on_delete=fields.CASCADE
    )
    created_by = fields.ForeignKeyField(
        "models.User", related_name="registered_deals", null=True, on_delete=fields.SET_NULL
    )
    product = fields.CharField(max_length=200)
    amount = fields.DecimalField(max_digits=14, decimal_places=2)
    currency = fields.CharField(max_length=3, default="EUR")
    expected_close_on = fields.DateField(null=True)
    status = fields.CharEnumField(DealStatus, max_length=16, default=DealStatus.OPEN)
    lost_reason = fields.CharField(max_length=500, default="")
    closed_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "deal"
        indexes = (("partner_id", "status"), ("customer_id", "status"))


class DealNote(Model):
    """A note on a deal, from the partner to the vendor team (or a reply from the vendor)."""

    id = fields.IntField(primary_key=True)
    deal = fields.ForeignKeyField("accounts.Deal", related_name="notes", on_delete=fields.CASCADE)
    author = fields.ForeignKeyField(
        "models.User", related_name="deal_notes", null=True, on_delete=fields.SET_NULL
    )
    body = fields.TextField()
    created_at = fields.DatetimeField()

    class Meta:
        table = "deal_note"


class TierCommissionRate(Model):
    """The commission rate in percent of the deal amount for every partner of a tier."""

    id = fields.IntField(primary_key=True)
    tier = fields.CharEnumField(PartnerTier, max_length=16, unique=True)
    rate_percent = fields.DecimalField(max_digits=5, decimal_places=2)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "tier_commission_rate"


class PartnerCommissionRate(Model):
    """A partner's own commission rate, which wins over its tier's rate."""

    id = fields.IntField(primary_key=True)
    partner = fields.OneToOneField(
        "models.PartnerOrg", related_name="commission_rate", on_delete=fields.CASCADE
    )
    rate_percent = fields.DecimalField(max_digits=5, decimal_places=2)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "partner_commission_rate"


class Commission(Model):
    """What a partner earns for a won deal: pending, approved by a vendor admin, then paid."""

    id = fields.IntField(primary_key=True)
    partner = fields.ForeignKeyField(
        "models.PartnerOrg", related_name="commissions", on_delete=fields.CASCADE
    )
    deal = fields.OneToOneField(
        "accounts.Deal", related_name="commission", on_delete=fields.CASCADE
    )
    customer = fields.ForeignKeyField(
        "models.Customer", related_name="commissions", on_delete=fields.CASCADE
    )
    base_amount = fields.DecimalField(max_digits=14, decimal_places=2)
    rate_percent = fields.DecimalField(max_digits=5, decimal_places=2)
    amount = fields.DecimalField(max_digits=14, decimal_places=2)
    currency = fields.CharField(max_length=3)
    status = fields.CharEnumField(CommissionStatus, max_length=16, default=CommissionStatus.PENDING)
    created_at = fields.DatetimeField()
    approved_at = fields.DatetimeField(null=True)
    approved_by = fields.ForeignKeyField(
        "models.User", related_name="approved_commissions", null=True, on_delete=fields.SET_NULL
    )
    paid_at = fields.DatetimeField(null=True)
    paid_by = fields.ForeignKeyField(
        "models.User", related_name="paid_commissions", null=True, on_delete=fields.SET_NULL
    )
    # For incremental sync; null only on rows from before the column (backfilled by migration).
    updated_at = fields.DatetimeField(auto_now=True, null=True)

    class Meta:
        table = "commission"
        indexes = (("partner_id", "status"),)

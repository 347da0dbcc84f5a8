"""The vendor's own settings: one row for the whole installation."""

from tortoise import fields
from tortoise.models import Model


class VendorSettings(Model):
    id = fields.IntField(primary_key=True)
    vendor_name = fields.CharField(max_length=200, default="Channelport vendor")
    support_email = fields.CharField(max_length=254, default="")
    trial_length_days = fields.IntField(default=30)
    consent_token_lifetime_days = fields.IntField(default=14)
    lead_protection_window_days = fields.IntField(default=90)
    portal_terms_version = fields.CharField(max_length=50, default="")
    portal_terms_opt_in_supplier_emails = fields.BooleanField(default=False)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "vendor_settings"

"""Partner customer accounts beyond the core row: the customer's users, its activity log,
attention items, deals with notes, commissions and rates, subscriptions, renewal ownership,
renewal reminders sent, and the audit log of act-as (switch account) sessions.

These tables form the Tortoise app `accounts` (migrations/accounts). They point at the core
`models.Customer`, `models.PartnerOrg` and `models.User` rows and never change those tables.
"""

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

from models.enums import PartnerTier


class ActivityKind(StrEnum):
    # Something the customer did in the vendor's product, or something that happened to the
    # account. Only these rows feed the "activities in the last 90 days" figure.
    ACCOUNT_CREATED = "account_created"
    USER_ADDED = "user_added"
    PRODUCT_USAGE = "product_usage"
    SUBSCRIPTION_STARTED = "subscription_started"
    SUBSCRIPTION_RENEWED = "subscription_renewed"
    TRIAL_ENDED = "trial_ended"


class AttentionKind(StrEnum):
    TRIAL_ENDING = "trial_ending"
    RENEWAL_OVERDUE = "renewal_overdue"
    DEAL_PAST_EXPECTED_CLOSE = "deal_past_expected_close"
    MISSING_RENEWAL_CONTACTS = "missing_renewal_contacts"
    NO_RECENT_ACTIVITY = "no_recent_activity"


class DealStatus(StrEnum):
    OPEN = "open"
    WON = "won"
    LOST = "lost"


class CommissionStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    PAID = "paid"


class RenewalOwner(StrEnum):
    VENDOR = "vendor"
    PARTNER = "partner"


class RenewalOwnerChoice(StrEnum):
    DEFAULT = "default"
    VENDOR = "vendor"
    PARTNER = "partner"


class SwitchOutcome(StrEnum):
    GRANTED = "granted"
    REFUSED = "refused"


class CustomerUser(Model):
    """A user of the customer's account in the vendor's product (not a portal login)."""

    id = fields.IntField(primary_key=True)
    customer = fields.ForeignKeyField(
        "models.Customer", related_name="account_users", on_delete=fields.CASCADE
    )
    email = fields.CharField(max_length=254)
    full_name = fields.CharField(max_length=200, default="")
    created_at = fields.DatetimeField()

    class Meta:
        table = "customer_user"
        unique_together = (("customer", "email"),)


class CustomerActivity(Model):
    """One entry of a customer's activity log, appended and never edited."""

    id = fields.IntField(primary_key=True)
    customer = fields.ForeignKeyField(
        "models.Customer", related_name="activities", on_delete=fields.CASCADE
    )
    kind = fields.CharEnumField(ActivityKind, max_length=32)
    summary = fields.CharField(max_length=300, default="")
    actor = fields.ForeignKeyField(
        "models.User", related_name="customer_activities", null=True, on_delete=fields.SET_NULL
    )
    occurred_at = fields.DatetimeField()

    class Meta:
        table = "customer_activity"
        indexes = (("customer_id", "occurred_at"),)


class AttentionItem(Model):
    """Something in a customer account that needs attention, open until its condition clears.

    One row per customer, kind and key (the key names the deal for deal items, empty otherwise):
    the row is reopened when the condition comes back.
    """

    id = fields.IntField(primary_key=True)
    customer = fields.ForeignKeyField(
        "models.Customer", related_name="attention_items", on_delete=fields.CASCADE
    )
    kind = fields.CharEnumField(AttentionKind, max_length=32)
    key = fields.CharField(max_length=64, default="")
    message = fields.CharField(max_length=300)
    opened_at = fields.DatetimeField()
    resolved_at = fields.DatetimeField(null=True)

    class Meta:
        table = "attention_item"
        unique_together = (("customer", "kind", "key"),)
        indexes = (("customer_id", "resolved_at"),)


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

    class Meta:
        table = "commission"
        indexes = (("partner_id", "status"),)


class Subscription(Model):
    """The paid subscription of a converted customer: plan, term and the deal it came from."""

    id = fields.IntField(primary_key=True)
    customer = fields.OneToOneField(
        "models.Customer", related_name="subscription", on_delete=fields.CASCADE
    )
    deal = fields.ForeignKeyField(
        "accounts.Deal", related_name="subscriptions", null=True, on_delete=fields.SET_NULL
    )
    plan = fields.CharField(max_length=200, default="")
    term_months = fields.IntField(default=12)
    converted_by = fields.ForeignKeyField(
        "models.User", related_name="converted_subscriptions", null=True, on_delete=fields.SET_NULL
    )
    converted_at = fields.DatetimeField()

    class Meta:
        table = "subscription"


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


class AccountSettings(Model):
    """Installation-wide settings of this domain: one row."""

    id = fields.IntField(primary_key=True)
    # Days before the renewal date at which a reminder goes out, largest first: [60, 30, 7].
    renewal_reminder_offsets = fields.JSONField(default=list)
    switch_token_minutes = fields.IntField(default=15)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "account_settings"


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


class SwitchAccountAudit(Model):
    """Every attempt to switch into a customer account, granted or refused."""

    id = fields.IntField(primary_key=True)
    user = fields.ForeignKeyField(
        "models.User", related_name="switch_audits", null=True, on_delete=fields.SET_NULL
    )
    user_email = fields.CharField(max_length=254)
    partner_id = fields.IntField(null=True)
    # The requested customer id as given, which may name another partner's or no customer.
    customer_id = fields.IntField()
    outcome = fields.CharEnumField(SwitchOutcome, max_length=16)
    reason = fields.CharField(max_length=300, default="")
    session_id = fields.CharField(max_length=64, null=True)
    client_address = fields.CharField(max_length=64, default="")
    created_at = fields.DatetimeField()

    class Meta:
        table = "switch_account_audit"
        indexes = (("customer_id", "created_at"),)

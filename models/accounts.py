"""Partner customer accounts beyond the core row: the customer's users, its activity log,
attention items, its subscription, the domain's settings, and the audit log of act-as (switch
account) sessions.

These tables, with those of models/deals.py and models/renewals.py, form the Tortoise app
`accounts` (migrations/accounts). They point at the core `models.Customer`, `models.PartnerOrg`
and `models.User` rows and never change those tables.
"""

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

# The committed accounts migration imports these enums from this module.
from models.deals import CommissionStatus, DealStatus  # noqa: F401
from models.renewals import RenewalOwner, RenewalOwnerChoice  # noqa: F401


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


class AccountSettings(Model):
    """Installation-wide settings of this domain: one row."""

    id = fields.IntField(primary_key=True)
    # Days before the renewal date at which a reminder goes out, largest first: [60, 30, 7].
    renewal_reminder_offsets = fields.JSONField(default=list)
    switch_token_minutes = fields.IntField(default=15)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "account_settings"


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

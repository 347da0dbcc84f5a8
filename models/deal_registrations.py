"""Deal registration: a partner claims an opportunity, the vendor reviews it, and an approval
protects the partner's claim until it expires, is won or is lost.

These tables belong to the Tortoise app `accounts` (migrations/accounts), beside the deals they
lead to. A registration names its company itself (a prospect need not be a customer yet) and may
link an existing customer of its partner; once approved with a customer it has an open `Deal`,
which is how winning it creates the commission as for any deal.
"""

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

from models.enums import PartnerTier


class DealRegistrationStatus(StrEnum):
    DRAFT = "draft"  # saved by the partner, not yet sent to the vendor
    SUBMITTED = "submitted"  # waiting for the vendor's review
    INFO_REQUESTED = "info_requested"  # the vendor asked the partner for more information
    APPROVED = "approved"  # protected until `protected_until`
    REJECTED = "rejected"
    EXPIRED = "expired"  # the protection ran out before the deal was won or lost
    WON = "won"
    LOST = "lost"


class DealConflictKind(StrEnum):
    NONE = "none"
    PARTNER_REGISTRATION = "partner_registration"  # another partner's approved, unexpired claim
    DIRECT_DEAL = "direct_deal"  # an open deal of the vendor's own sales team


class CustomFieldKind(StrEnum):
    TEXT = "text"
    NUMBER = "number"
    DATE = "date"
    CHOICE = "choice"


class ExtensionState(StrEnum):
    NONE = "none"
    REQUESTED = "requested"
    GRANTED = "granted"
    DECLINED = "declined"


class ApprovalRuleScope(StrEnum):
    TIER = "tier"
    GROUP = "group"


class DealRegistrationSettings(Model):
    """Installation-wide deal-registration settings: one row."""

    id = fields.IntField(primary_key=True)
    protection_days = fields.IntField(default=90)
    extension_days = fields.IntField(default=30)
    review_target_working_days = fields.IntField(default=2)
    # The time zone the vendor's review team works in (IANA name) and its days off.
    time_zone = fields.CharField(max_length=64, default="Europe/Amsterdam")
    holidays = fields.JSONField(default=list)  # ISO dates, "2026-12-25"
    expiry_reminder_offsets = fields.JSONField(default=list)  # days before expiry, e.g. [30, 7, 1]
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "deal_registration_settings"


class DealRegistrationField(Model):
    """A field the vendor adds to the registration form, validated on every submission."""

    id = fields.IntField(primary_key=True)
    key = fields.CharField(max_length=64, unique=True)
    label = fields.CharField(max_length=200)
    kind = fields.CharEnumField(CustomFieldKind, max_length=16)
    choices = fields.JSONField(default=list)
    required = fields.BooleanField(default=False)
    position = fields.IntField(default=0)
    archived = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "deal_registration_field"


class DirectDeal(Model):
    """An open opportunity of the vendor's own sales team (entered by vendor staff or synced
    from the vendor's CRM by its external id); partners' registrations for the same company
    are flagged as conflicts."""

    id = fields.IntField(primary_key=True)
    external_id = fields.CharField(max_length=200, null=True, unique=True)
    company_name = fields.CharField(max_length=200)
    normalised_company = fields.CharField(max_length=200, db_index=True)
    company_domain = fields.CharField(max_length=253, default="", db_index=True)
    owner_name = fields.CharField(max_length=200, default="")
    is_open = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "direct_deal"


class DealRegistration(Model):
    """A partner's claim on an opportunity, from draft to decision to protection's end."""

    id = fields.IntField(primary_key=True)
    partner = fields.ForeignKeyField(
        "models.PartnerOrg", related_name="deal_registrations", on_delete=fields.CASCADE
    )
    submitted_by = fields.ForeignKeyField(
        "models.User",
        related_name="submitted_deal_registrations",
        null=True,
        on_delete=fields.SET_NULL,
    )
    customer = fields.ForeignKeyField(
        "models.Customer",
        related_name="deal_registrations",
        null=True,
        on_delete=fields.SET_NULL,
    )
    deal = fields.OneToOneField(
        "accounts.Deal", related_name="registration", null=True, on_delete=fields.SET_NULL
    )
    status = fields.CharEnumField(
        DealRegistrationStatus, max_length=16, default=DealRegistrationStatus.DRAFT
    )
    company_name = fields.CharField(max_length=200)
    normalised_company = fields.CharField(max_length=200, db_index=True)
    company_domain = fields.CharField(max_length=253, default="", db_index=True)
    contact_name = fields.CharField(max_length=200, default="")
    contact_email = fields.CharField(max_length=254, default="")
    contact_phone = fields.CharField(max_length=50, default="")
    products = fields.CharField(max_length=500, default="")
    amount = fields.DecimalField(max_digits=14, decimal_places=2, null=True)
    currency = fields.CharField(max_length=3, default="EUR")
    expected_close_on = fields.DateField(null=True)
    notes = fields.TextField(default="")
    custom_values = fields.JSONField(default=dict)
    # What the duplicate check found at the last submission; the holder is for vendor staff only.
    conflict_kind = fields.CharEnumField(
        DealConflictKind, max_length=32, default=DealConflictKind.NONE
    )
    conflict_registration = fields.ForeignKeyField(
        "accounts.DealRegistration",
        related_name="conflicting_registrations",
        null=True,
        on_delete=fields.SET_NULL,
    )
    conflict_direct_deal = fields.ForeignKeyField(
        "accounts.DirectDeal",
        related_name="conflicting_registrations",
        null=True,
        on_delete=fields.SET_NULL,
    )
    first_submitted_at = fields.DatetimeField(null=True)
    submitted_at = fields.DatetimeField(null=True)  # the latest (re)submission
    review_due_at = fields.DatetimeField(null=True, db_index=True)
    review_reminded_at = fields.DatetimeField(null=True)
    info_request = fields.TextField(default="")
    decided_at = fields.DatetimeField(null=True)
    decided_by = fields.ForeignKeyField(
        "models.User",
        related_name="decided_deal_registrations",
        null=True,
        on_delete=fields.SET_NULL,
    )
    rejection_reason = fields.CharField(max_length=1000, default="")
    auto_approved = fields.BooleanField(default=False)
    approval_rule_version = fields.ForeignKeyField(
        "accounts.DealApprovalRuleVersion",
        related_name="approved_registrations",
        null=True,
        on_delete=fields.SET_NULL,
    )
    approval_rule_group = fields.IntField(null=True)
    protected_until = fields.DatetimeField(null=True, db_index=True)
    extension_state = fields.CharEnumField(
        ExtensionState, max_length=16, default=ExtensionState.NONE
    )
    extension_reason = fields.CharField(max_length=1000, default="")
    closed_at = fields.DatetimeField(null=True)  # expired, won or lost
    lost_reason = fields.CharField(max_length=500, default="")
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "deal_registration"
        indexes = (("partner_id", "status"), ("status", "updated_at"))


class DealRegistrationEvent(Model):
    """One state change of a registration: who, when, why (its history)."""

    id = fields.IntField(primary_key=True)
    registration = fields.ForeignKeyField(
        "accounts.DealRegistration", related_name="events", on_delete=fields.CASCADE
    )
    kind = fields.CharField(max_length=32)
    from_status = fields.CharEnumField(DealRegistrationStatus, max_length=16, null=True)
    to_status = fields.CharEnumField(DealRegistrationStatus, max_length=16)
    actor = fields.ForeignKeyField(
        "models.User",
        related_name="deal_registration_events",
        null=True,
        on_delete=fields.SET_NULL,
    )
    reason = fields.TextField(default="")
    # Vendor-only details (a conflict's holder) are kept out of what partners read.
    details = fields.JSONField(default=dict)
    created_at = fields.DatetimeField()

    class Meta:
        table = "deal_registration_event"
        indexes = (("registration_id", "created_at"),)


class DealRegistrationReminder(Model):
    """A reminder sent once: `expiry` per offset in days, or `review` when overdue. The unique
    key makes several workers send each reminder once."""

    id = fields.IntField(primary_key=True)
    registration = fields.ForeignKeyField(
        "accounts.DealRegistration", related_name="reminders", on_delete=fields.CASCADE
    )
    kind = fields.CharField(max_length=16)
    offset_days = fields.IntField(default=0)
    # The protection end or review due time the reminder was for (an extension starts anew).
    for_moment = fields.DatetimeField()
    sent_at = fields.DatetimeField()

    class Meta:
        table = "deal_registration_reminder"
        unique_together = (("registration", "kind", "offset_days", "for_moment"),)


class DealApprovalRuleVersion(Model):
    """A saved version of the auto-approval rules for one partner tier or one partner group."""

    id = fields.IntField(primary_key=True)
    scope = fields.CharEnumField(ApprovalRuleScope, max_length=8)
    tier = fields.CharEnumField(PartnerTier, max_length=16, null=True)
    group = fields.ForeignKeyField(
        "models.PartnerGroup",
        related_name="deal_approval_rules",
        null=True,
        on_delete=fields.CASCADE,
    )
    # "tier:gold" or "group:12": one version sequence per scope (unique with `version`).
    scope_key = fields.CharField(max_length=64)
    version = fields.IntField()
    groups = fields.JSONField(default=list)
    change = fields.CharField(max_length=200, default="")
    created_by = fields.ForeignKeyField(
        "models.User",
        related_name="deal_approval_rule_versions",
        null=True,
        on_delete=fields.SET_NULL,
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "deal_approval_rule_version"
        unique_together = (("scope_key", "version"),)

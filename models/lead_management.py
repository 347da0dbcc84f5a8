"""Lead management: auto-registration settings and versioned rule sets, ignored companies,
distribution of vendor leads to partners, and the record of each auto-registration.

Rule sets are append-only: every edit writes a new `RuleSetVersion` (who, when, what changed), and
the rules in force are the partner's latest version for the chosen owner. The default
lead-notification recipients live on the users and sales reps themselves
(`User.is_default_lead_recipient`, `User.is_supplier_default_lead_owner`,
`SalesRep.is_default_lead_recipient`).
"""

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class AutoRegistrationMode(StrEnum):
    SUPPLIER_MANAGED = "supplier_managed"
    PARTNER_DEFINED = "partner_defined"


class RuleSetOwner(StrEnum):
    """Who writes a rule set: the supplier (vendor) for the partner, or the partner itself."""

    SUPPLIER = "supplier"
    PARTNER = "partner"


class DistributionState(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    RETURNED = "returned"


class LeadManagementSettings(Model):
    """A partner's lead management switches. A partner without a row has everything off."""

    id = fields.IntField(primary_key=True)
    partner = fields.OneToOneField(
        "models.PartnerOrg", related_name="lead_management_settings", on_delete=fields.CASCADE
    )
    auto_registration_enabled = fields.BooleanField(default=False)
    mode = fields.CharEnumField(
        AutoRegistrationMode, max_length=32, default=AutoRegistrationMode.SUPPLIER_MANAGED
    )
    auto_accept = fields.BooleanField(default=False)
    updated_by = fields.ForeignKeyField(
        "models.User", related_name="lead_settings_updates", null=True, on_delete=fields.SET_NULL
    )
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "lead_management_settings"


class RuleSetVersion(Model):
    """One saved version of a partner's supplier-managed or partner-defined rule set."""

    id = fields.IntField(primary_key=True)
    partner = fields.ForeignKeyField(
        "models.PartnerOrg", related_name="rule_set_versions", on_delete=fields.CASCADE
    )
    owner = fields.CharEnumField(RuleSetOwner, max_length=16)
    version = fields.IntField()
    # [[{"field": ..., "operator": ..., "value": ..., "values": [...]}, ...], ...]
    groups = fields.JSONField(default=list)
    change = fields.CharField(max_length=200, default="")
    created_by = fields.ForeignKeyField(
        "models.User",
        related_name="rule_set_versions_created",
        null=True,
        on_delete=fields.SET_NULL,
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "lead_rule_set_version"
        unique_together = (("partner", "owner", "version"),)


class LeadSettingsChange(Model):
    """An audit entry for a change of lead management settings other than the rules."""

    id = fields.IntField(primary_key=True)
    partner = fields.ForeignKeyField(
        "models.PartnerOrg", related_name="lead_settings_changes", on_delete=fields.CASCADE
    )
    kind = fields.CharField(max_length=64)
    details = fields.JSONField(default=dict)
    actor = fields.ForeignKeyField(
        "models.User",
        related_name="lead_settings_changes_made",
        null=True,
        on_delete=fields.SET_NULL,
    )
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)

    class Meta:
        table = "lead_settings_change"


class IgnoredCompany(Model):
    """A company the partner ignores: its leads are never auto-registered."""

    id = fields.IntField(primary_key=True)
    partner = fields.ForeignKeyField(
        "models.PartnerOrg", related_name="ignored_companies", on_delete=fields.CASCADE
    )
    name = fields.CharField(max_length=200)
    # casefolded, trimmed, inner whitespace collapsed: what lead companies are compared with
    normalised_name = fields.CharField(max_length=200)
    created_by = fields.ForeignKeyField(
        "models.User", related_name="ignored_companies_added", null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "lead_ignored_company"
        unique_together = (("partner", "normalised_name"),)


class LeadDistribution(Model):
    """One hand-out of a vendor lead to a partner and the partner's answer."""

    id = fields.IntField(primary_key=True)
    lead = fields.ForeignKeyField(
        "leads.Lead", related_name="distributions", on_delete=fields.CASCADE
    )
    partner = fields.ForeignKeyField(
        "models.PartnerOrg", related_name="lead_distributions", on_delete=fields.CASCADE
    )
    state = fields.CharEnumField(
        DistributionState, max_length=16, default=DistributionState.PENDING, db_index=True
    )
    auto_accepted = fields.BooleanField(default=False)
    accept_by = fields.DatetimeField(null=True, db_index=True)
    reject_reason = fields.TextField(default="")
    distributed_by = fields.ForeignKeyField(
        "models.User", related_name="leads_distributed", null=True, on_delete=fields.SET_NULL
    )
    distributed_at = fields.DatetimeField(auto_now_add=True)
    answered_by = fields.ForeignKeyField(
        "models.User",
        related_name="lead_distributions_answered",
        null=True,
        on_delete=fields.SET_NULL,
    )
    answered_at = fields.DatetimeField(null=True)

    class Meta:
        table = "lead_distribution"


class AutoRegistrationMatch(Model):
    """Which rule set version and group registered a lead automatically."""

    id = fields.IntField(primary_key=True)
    lead = fields.OneToOneField(
        "leads.Lead", related_name="auto_registration", on_delete=fields.CASCADE
    )
    partner = fields.ForeignKeyField(
        "models.PartnerOrg", related_name="auto_registration_matches", on_delete=fields.CASCADE
    )
    owner = fields.CharEnumField(RuleSetOwner, max_length=16)
    rule_set_version = fields.ForeignKeyField(
        "lead_management.RuleSetVersion", related_name="matches", on_delete=fields.CASCADE
    )
    group_index = fields.IntField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "lead_auto_registration_match"

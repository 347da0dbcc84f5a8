"""Partner organisations and the partner groups that messages and distribution target."""

from tortoise import fields
from tortoise.models import Model

from models.enums import GroupKind, PartnerStatus, PartnerTier


class PartnerOrg(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=200, unique=True)
    status = fields.CharEnumField(PartnerStatus, max_length=16, default=PartnerStatus.ACTIVE)
    tier = fields.CharEnumField(PartnerTier, max_length=16, default=PartnerTier.REGISTERED)
    country = fields.CharField(max_length=2, default="")
    invoice_company_name = fields.CharField(max_length=200, default="")
    invoice_vat_number = fields.CharField(max_length=50, default="")
    invoice_address = fields.TextField(default="")
    invoice_email = fields.CharField(max_length=254, default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "partner_org"


class PartnerGroup(Model):
    # A static group lists its members, a dynamic group holds a rule over partner fields: a list
    # of conditions that must all hold, e.g.
    # [{"field": "tier", "operator": "in", "values": ["gold", "platinum"]}].

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=200, unique=True)
    description = fields.TextField(default="")
    kind = fields.CharEnumField(GroupKind, max_length=16, default=GroupKind.STATIC)
    rule = fields.JSONField(default=list)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "partner_group"


class PartnerGroupMember(Model):
    id = fields.IntField(primary_key=True)
    group = fields.ForeignKeyField(
        "models.PartnerGroup", related_name="memberships", on_delete=fields.CASCADE
    )
    partner = fields.ForeignKeyField(
        "models.PartnerOrg", related_name="group_memberships", on_delete=fields.CASCADE
    )
    added_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "partner_group_member"
        unique_together = (("group", "partner"),)

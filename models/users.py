"""Portal users, their login sessions and failed logins, and external sales reps."""

from tortoise import fields
from tortoise.models import Model

from models.enums import Role


class User(Model):
    id = fields.IntField(primary_key=True)
    email = fields.CharField(max_length=254, unique=True)
    full_name = fields.CharField(max_length=200, default="")
    password_hash = fields.CharField(max_length=200, default="")
    role = fields.CharEnumField(Role, max_length=32)
    partner = fields.ForeignKeyField(
        "models.PartnerOrg", related_name="users", null=True, on_delete=fields.CASCADE
    )
    locale = fields.CharField(max_length=16, default="en")
    is_active = fields.BooleanField(default=True)
    # Supplier Emails preference: new users start opted out (GDPR).
    supplier_emails_opt_in = fields.BooleanField(default=False)
    # Marked as a sales rep by the partner: receives lead notifications, never partner messages.
    is_sales_rep = fields.BooleanField(default=False)
    # Default recipient of lead notifications (first user of a partner org gets it).
    is_default_lead_recipient = fields.BooleanField(default=False)
    # Designated by the supplier as default lead owner: excluded from partner messages.
    is_supplier_default_lead_owner = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "portal_user"


class ChannelManagerAssignment(Model):
    """A channel manager may read and act on the partners assigned to them, and no others."""

    id = fields.IntField(primary_key=True)
    manager = fields.ForeignKeyField(
        "models.User", related_name="assignments", on_delete=fields.CASCADE
    )
    partner = fields.ForeignKeyField(
        "models.PartnerOrg", related_name="manager_assignments", on_delete=fields.CASCADE
    )

    class Meta:
        table = "channel_manager_assignment"
        unique_together = (("manager", "partner"),)


class AuthSession(Model):
    """One issued bearer token. Logging out or expiry ends it, the token itself is signed."""

    id = fields.CharField(primary_key=True, max_length=64)
    user = fields.ForeignKeyField("models.User", related_name="sessions", on_delete=fields.CASCADE)
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField()
    revoked_at = fields.DatetimeField(null=True)
    client_address = fields.CharField(max_length=64, default="")
    # Set for an act-as session: the customer the token is scoped to.
    acting_customer_id = fields.IntField(null=True)
    # Set for an act-as session: the session that opened it, whose end ends this one too.
    parent_session_id = fields.CharField(max_length=64, null=True, db_index=True)

    class Meta:
        table = "auth_session"


class LoginFailure(Model):
    """A failed login, counted per account and per client address for rate limiting."""

    id = fields.IntField(primary_key=True)
    email = fields.CharField(max_length=254, db_index=True)
    client_address = fields.CharField(max_length=64, db_index=True)
    failed_at = fields.DatetimeField(auto_now_add=True, db_index=True)

    class Meta:
        table = "login_failure"


class SalesRep(Model):
    """An external sales rep of a partner org: no portal login, receives lead notifications only."""

    id = fields.IntField(primary_key=True)
    partner = fields.ForeignKeyField(
        "models.PartnerOrg", related_name="sales_reps", on_delete=fields.CASCADE
    )
    full_name = fields.CharField(max_length=200)
    email = fields.CharField(max_length=254)
    is_default_lead_recipient = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "sales_rep"
        unique_together = (("partner", "email"),)

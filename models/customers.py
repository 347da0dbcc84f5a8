"""Customer accounts that partners bring, and their contacts."""

from tortoise import fields
from tortoise.models import Model

from models.enums import ContactRole, CustomerStatus


class Customer(Model):
    id = fields.IntField(primary_key=True)
    partner = fields.ForeignKeyField(
        "models.PartnerOrg", related_name="customers", on_delete=fields.CASCADE
    )
    name = fields.CharField(max_length=200)
    status = fields.CharEnumField(CustomerStatus, max_length=16, default=CustomerStatus.TRIAL)
    main_framework = fields.CharField(max_length=100, default="")
    framework_progress = fields.IntField(default=0)
    trial_ends_at = fields.DatetimeField(null=True)
    subscription_started_at = fields.DatetimeField(null=True)
    next_renewal_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "customer"
        unique_together = (("partner", "name"),)


class CustomerContact(Model):
    id = fields.IntField(primary_key=True)
    customer = fields.ForeignKeyField(
        "models.Customer", related_name="contacts", on_delete=fields.CASCADE
    )
    role = fields.CharEnumField(ContactRole, max_length=32)
    full_name = fields.CharField(max_length=200, default="")
    email = fields.CharField(max_length=254)

    class Meta:
        table = "customer_contact"
        unique_together = (("customer", "role"),)

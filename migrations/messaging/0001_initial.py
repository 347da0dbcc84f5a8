from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from models.messaging import MessageKind, MessageStatus
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index


class Migration(migrations.Migration):
    dependencies = [("models", "0001_initial"), ("models", "0002_email_outbox")]

    initial = True

    operations = [
        ops.CreateModel(
            name="Message",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "kind",
                    fields.CharEnumField(
                        description="EMAIL: email\nPOPUP: popup",
                        enum_type=MessageKind,
                        max_length=16,
                    ),
                ),
                (
                    "status",
                    fields.CharEnumField(
                        default=MessageStatus.DRAFT,
                        description="DRAFT: draft\nSCHEDULED: scheduled\nSENDING: sending\nSENT: sent\nPUBLISHED: published\nEXPIRED: expired",
                        enum_type=MessageStatus,
                        max_length=16,
                    ),
                ),
                ("title", fields.CharField(max_length=300)),
                ("body_html", fields.TextField(unique=False)),
                ("language", fields.CharField(default="en", max_length=16)),
                ("all_partners", fields.BooleanField(default=False)),
                (
                    "locales",
                    fields.JSONField(
                        default=list,
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                (
                    "pages",
                    fields.JSONField(
                        default=list,
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                ("ends_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                (
                    "scheduled_at",
                    fields.DatetimeField(
                        null=True, db_index=True, auto_now=False, auto_now_add=False
                    ),
                ),
                ("sent_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                (
                    "completed_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                (
                    "copied_from",
                    fields.ForeignKeyField(
                        "messaging.Message",
                        source_field="copied_from_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="copies",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                (
                    "created_by",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="created_by_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="created_messages",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={
                "table": "partner_message",
                "app": "messaging",
                "indexes": [
                    Index(fields=["status", "scheduled_at"]),
                    Index(fields=["kind", "status"]),
                ],
                "pk_attr": "id",
                "table_description": "One email or pop-up to partner users, from draft to sent, published or expired.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="MessageRecipient",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "message",
                    fields.ForeignKeyField(
                        "messaging.Message",
                        source_field="message_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="recipients",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "user",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="user_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="received_messages",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "partner",
                    fields.ForeignKeyField(
                        "models.PartnerOrg",
                        source_field="partner_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="received_messages",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("email", fields.CharField(max_length=254)),
                ("read_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                (
                    "outbox_email",
                    fields.ForeignKeyField(
                        "models.OutboxEmail",
                        source_field="outbox_email_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="message_recipients",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "partner_message_recipient",
                "app": "messaging",
                "unique_together": (("message", "user"),),
                "indexes": [Index(fields=["user_id", "read_at"])],
                "pk_attr": "id",
                "table_description": "One user in a message's frozen recipient snapshot, with pop-up read state or the email.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="MessageTargetGroup",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "message",
                    fields.ForeignKeyField(
                        "messaging.Message",
                        source_field="message_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="target_groups",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "group",
                    fields.ForeignKeyField(
                        "models.PartnerGroup",
                        source_field="group_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="targeting_messages",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
            ],
            options={
                "table": "partner_message_group",
                "app": "messaging",
                "unique_together": (("message", "group"),),
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="PortalTermsAcceptance",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "user",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="user_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="terms_acceptances",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("terms_version", fields.CharField(max_length=50)),
                ("opted_in_supplier_emails", fields.BooleanField(default=False)),
                ("accepted_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "portal_terms_acceptance",
                "app": "messaging",
                "unique_together": (("user", "terms_version"),),
                "pk_attr": "id",
                "table_description": "A user accepted a version of the vendor's portal terms.",
            },
            bases=["Model"],
        ),
    ]

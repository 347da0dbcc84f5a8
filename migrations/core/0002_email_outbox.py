from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from models.outbox import EmailCategory, EmailEventKind, OutboxState, SuppressionReason
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='EmailSuppression',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('address', fields.CharField(unique=True, max_length=254)),
                ('reason', fields.CharEnumField(description='HARD_BOUNCE: hard_bounce\nUNSUBSCRIBE: unsubscribe', enum_type=SuppressionReason, max_length=16)),
                ('detail', fields.TextField(default='', unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'email_suppression', 'app': 'models', 'pk_attr': 'id', 'table_description': 'An address that hard-bounced or unsubscribed: no more marketing mail is sent to it.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='OutboxEmail',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('uid', fields.UUIDField(unique=True)),
                ('message_id', fields.CharField(unique=True, max_length=255)),
                ('category', fields.CharEnumField(description='TRANSACTIONAL: transactional\nMARKETING: marketing', enum_type=EmailCategory, max_length=16)),
                ('source', fields.CharField(max_length=64)),
                ('reference', fields.CharField(null=True, max_length=128)),
                ('dedupe_key', fields.CharField(null=True, unique=True, max_length=255)),
                ('recipient', fields.CharField(db_index=True, max_length=254)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', null=True, db_constraint=True, to_field='id', related_name='outbox_emails', on_delete=OnDelete.SET_NULL)),
                ('sender', fields.CharField(max_length=320)),
                ('subject', fields.CharField(max_length=500)),
                ('text_body', fields.TextField(unique=False)),
                ('html_body', fields.TextField(unique=False)),
                ('headers', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('state', fields.CharEnumField(default=OutboxState.QUEUED, description='QUEUED: queued\nSENDING: sending\nSENT: sent\nFAILED: failed\nBOUNCED: bounced\nSUPPRESSED: suppressed', enum_type=OutboxState, max_length=16)),
                ('attempts', fields.IntField(default=0)),
                ('next_attempt_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('last_error', fields.TextField(default='', unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('sent_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('locked_by', fields.CharField(null=True, max_length=128)),
                ('locked_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'outbox_email', 'app': 'models', 'indexes': [Index(fields=['state', 'next_attempt_at']), Index(fields=['source', 'reference'])], 'pk_attr': 'id', 'table_description': 'One email to one recipient, from queueing to delivery.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='EmailEvent',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('email', fields.ForeignKeyField('models.OutboxEmail', source_field='email_id', db_constraint=True, to_field='id', related_name='events', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharEnumField(description='OPENED: opened\nCLICKED: clicked\nBOUNCED: bounced\nUNSUBSCRIBED: unsubscribed', enum_type=EmailEventKind, max_length=16)),
                ('detail', fields.TextField(default='', unique=False)),
                ('client_address', fields.CharField(default='', max_length=64)),
                ('user_agent', fields.CharField(default='', max_length=300)),
                ('occurred_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'email_event', 'app': 'models', 'indexes': [Index(fields=['email_id', 'kind'])], 'pk_attr': 'id', 'table_description': 'Something that happened to a delivered email: opened, clicked, bounced, unsubscribed.'},
            bases=['Model'],
        ),
    ]

from tortoise import migrations
from tortoise.migrations import operations as ops
from models.webhooks import DeliveryState, WebhookEventType
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0003_session_parent')]

    initial = True

    operations = [
        ops.CreateModel(
            name='WebhookEndpoint',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('url', fields.CharField(max_length=2000)),
                ('description', fields.CharField(default='', max_length=500)),
                ('event_types', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('subscription_query', fields.TextField(default='', unique=False)),
                ('is_active', fields.BooleanField(default=True)),
                ('secret', fields.CharField(max_length=200)),
                ('previous_secret', fields.CharField(default='', max_length=200)),
                ('previous_secret_expires_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('failure_streak', fields.IntField(default=0)),
                ('failing_since', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('disabled_reason', fields.CharField(default='', max_length=500)),
                ('created_by', fields.ForeignKeyField('models.User', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name='webhook_endpoints', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('locked_by', fields.CharField(null=True, max_length=128)),
                ('locked_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'webhook_endpoint', 'app': 'webhooks', 'pk_attr': 'id', 'table_description': 'Where the vendor wants events sent, which ones, and the secret that signs them.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='WebhookEvent',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('endpoint', fields.ForeignKeyField('webhooks.WebhookEndpoint', source_field='endpoint_id', db_constraint=True, to_field='id', related_name='events', on_delete=OnDelete.CASCADE)),
                ('message_id', fields.CharField(db_index=True, max_length=64)),
                ('event_type', fields.CharEnumField(description='LEAD_REGISTRATION_REQUESTED: lead_registration.requested\nLEAD_REGISTRATION_APPROVED: lead_registration.approved\nLEAD_REGISTRATION_DECLINED: lead_registration.declined\nLEAD_REGISTRATION_EXPIRED: lead_registration.expired\nLEAD_REGISTRATION_WITHDRAWN: lead_registration.withdrawn\nLEAD_REGISTRATION_IN_CONFLICT: lead_registration.in_conflict\nLEAD_CREATED: lead.created\nLEAD_UPDATED: lead.updated\nLEAD_DISTRIBUTED: lead.distributed\nLEAD_ACCEPTED: lead.accepted\nLEAD_REJECTED: lead.rejected\nLEAD_RETURNED: lead.returned\nDEAL_REGISTERED: deal.registered\nDEAL_UPDATED: deal.updated\nDEAL_WON: deal.won\nDEAL_LOST: deal.lost\nCUSTOMER_CREATED: customer.created\nCUSTOMER_CONVERTED: customer.converted\nCUSTOMER_CLOSED: customer.closed\nCUSTOMER_RENEWED: customer.renewed\nCOMMISSION_CREATED: commission.created\nCOMMISSION_APPROVED: commission.approved\nCOMMISSION_PAID: commission.paid\nPARTNER_CREATED: partner.created\nPARTNER_UPDATED: partner.updated\nPARTNER_STATUS_CHANGED: partner.status_changed\nPARTNER_TIER_CHANGED: partner.tier_changed\nPARTNER_USER_CREATED: partner_user.created\nPARTNER_USER_DEACTIVATED: partner_user.deactivated\nMESSAGE_SENT: message.sent\nMESSAGE_PUBLISHED: message.published\nWEBHOOK_TEST: webhook.test', enum_type=WebhookEventType, max_length=64)),
                ('payload', fields.TextField(unique=False)),
                ('occurred_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('state', fields.CharEnumField(default=DeliveryState.PENDING, description='PENDING: pending\nDELIVERED: delivered\nFAILED: failed', enum_type=DeliveryState, max_length=16)),
                ('attempts', fields.IntField(default=0)),
                ('next_attempt_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('response_status', fields.IntField(null=True)),
                ('response_body', fields.TextField(default='', unique=False)),
                ('latency_ms', fields.IntField(null=True)),
                ('last_error', fields.TextField(default='', unique=False)),
                ('last_attempt_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('delivered_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('replay_of', fields.ForeignKeyField('webhooks.WebhookEvent', source_field='replay_of_id', null=True, db_constraint=True, to_field='id', related_name='replays', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'webhook_event', 'app': 'webhooks', 'indexes': [Index(fields=['endpoint_id', 'state', 'occurred_at']), Index(fields=['state', 'next_attempt_at'])], 'pk_attr': 'id', 'table_description': 'One event for one endpoint: the outbox row and, once tried, its delivery log entry.'},
            bases=['Model'],
        ),
    ]

from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from models.consent import ConflictResolution, ConflictStatus, ConsentAction, ConsentPurpose, ConsentRequestState, ConsentSource, SubscriberStatus
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('leads', '0001_initial'), ('models', '0001_initial'), ('models', '0002_email_outbox')]

    initial = True

    operations = [
        ops.CreateModel(
            name='ConsentLedgerEntry',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('subject_email', fields.CharField(db_index=True, max_length=254)),
                ('purpose', fields.CharEnumField(description='NEWSLETTER: newsletter\nSUPPLIER_EMAILS: supplier_emails', enum_type=ConsentPurpose, max_length=32)),
                ('action', fields.CharEnumField(description='REQUEST: request\nOPT_IN: opt_in\nOPT_OUT: opt_out\nAPPROVAL: approval\nDECLINE: decline\nRESEND: resend\nEXPIRY: expiry\nWITHDRAWAL: withdrawal', enum_type=ConsentAction, max_length=16)),
                ('source', fields.CharEnumField(description='PARTNER_INVITATION: partner_invitation\nSELF_SERVICE: self_service\nTERMS_ACCEPTANCE: terms_acceptance\nADMIN: admin', enum_type=ConsentSource, max_length=32)),
                ('partner_id', fields.IntField(null=True, db_index=True)),
                ('partner_name', fields.CharField(default='', max_length=200)),
                ('lead_id', fields.IntField(null=True, db_index=True)),
                ('actor_user_id', fields.IntField(null=True)),
                ('occurred_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('client_address', fields.CharField(default='', max_length=64)),
                ('user_agent', fields.CharField(default='', max_length=300)),
                ('consent_text_version', fields.CharField(default='', max_length=32)),
                ('details', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
            ],
            options={'table': 'consent_ledger_entry', 'app': 'consent', 'pk_attr': 'id', 'table_description': 'One consent event about one email address. Rows are only ever inserted.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ConsentRequest',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('lead', fields.ForeignKeyField('leads.Lead', source_field='lead_id', db_constraint=True, to_field='id', related_name='consent_requests', on_delete=OnDelete.CASCADE)),
                ('partner', fields.ForeignKeyField('models.PartnerOrg', source_field='partner_id', db_constraint=True, to_field='id', related_name='consent_requests', on_delete=OnDelete.CASCADE)),
                ('email', fields.CharField(max_length=254)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('state', fields.CharEnumField(default=ConsentRequestState.PENDING, description='PENDING: pending\nAPPROVED: approved\nDECLINED: declined\nEXPIRED: expired\nSUPERSEDED: superseded', enum_type=ConsentRequestState, max_length=16)),
                ('consent_text_version', fields.CharField(max_length=32)),
                ('requested_by', fields.ForeignKeyField('models.User', source_field='requested_by_id', null=True, db_constraint=True, to_field='id', related_name='consent_requests', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('expires_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('answered_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'consent_request', 'app': 'consent', 'indexes': [Index(fields=['lead_id', 'state']), Index(fields=['state', 'expires_at'])], 'pk_attr': 'id', 'table_description': 'One consent link sent to a customer. Only the SHA-256 of its secret part is stored.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='LeadConflict',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('lead', fields.ForeignKeyField('leads.Lead', source_field='lead_id', db_constraint=True, to_field='id', related_name='conflicts', on_delete=OnDelete.CASCADE)),
                ('holder_lead', fields.ForeignKeyField('leads.Lead', source_field='holder_lead_id', null=True, db_constraint=True, to_field='id', related_name='held_conflicts', on_delete=OnDelete.SET_NULL)),
                ('holder_partner', fields.ForeignKeyField('models.PartnerOrg', source_field='holder_partner_id', null=True, db_constraint=True, to_field='id', related_name='held_conflicts', on_delete=OnDelete.SET_NULL)),
                ('email', fields.CharField(db_index=True, max_length=254)),
                ('reason', fields.TextField(unique=False)),
                ('status', fields.CharEnumField(default=ConflictStatus.OPEN, description='OPEN: open\nRESOLVED: resolved', enum_type=ConflictStatus, max_length=16)),
                ('resolution', fields.CharEnumField(null=True, description='KEEP_HOLDER: keep_holder\nASK_CUSTOMER: ask_customer', enum_type=ConflictResolution, max_length=16)),
                ('resolution_note', fields.TextField(default='', unique=False)),
                ('resolved_by', fields.ForeignKeyField('models.User', source_field='resolved_by_id', null=True, db_constraint=True, to_field='id', related_name='resolved_conflicts', on_delete=OnDelete.SET_NULL)),
                ('resolved_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'lead_conflict', 'app': 'consent', 'pk_attr': 'id', 'table_description': 'A registration that would take a customer another partner registered inside the window.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='NewsletterSubscriber',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('email', fields.CharField(unique=True, max_length=254)),
                ('status', fields.CharEnumField(description='SUBSCRIBED: subscribed\nUNSUBSCRIBED: unsubscribed', enum_type=SubscriberStatus, max_length=16)),
                ('locale', fields.CharField(default='en', max_length=16)),
                ('partner', fields.ForeignKeyField('models.PartnerOrg', source_field='partner_id', null=True, db_constraint=True, to_field='id', related_name='newsletter_subscribers', on_delete=OnDelete.SET_NULL)),
                ('lead', fields.ForeignKeyField('leads.Lead', source_field='lead_id', null=True, db_constraint=True, to_field='id', related_name='newsletter_subscribers', on_delete=OnDelete.SET_NULL)),
                ('subscribed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('unsubscribed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'newsletter_subscriber', 'app': 'consent', 'pk_attr': 'id', 'table_description': "An email address on the vendor's newsletter list, and the partner it came through."},
            bases=['Model'],
        ),
    ]

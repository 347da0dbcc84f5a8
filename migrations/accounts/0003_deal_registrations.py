from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from models.deal_registrations import ApprovalRuleScope, CustomFieldKind, DealConflictKind, DealRegistrationStatus, ExtensionState
from models.enums import PartnerTier
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('accounts', '0002_commission_updated_at'), ('models', '0001_initial'), ('models', '0002_email_outbox'), ('models', '0003_session_parent')]

    initial = False

    operations = [
        ops.CreateModel(
            name='DealApprovalRuleVersion',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('scope', fields.CharEnumField(description='TIER: tier\nGROUP: group', enum_type=ApprovalRuleScope, max_length=8)),
                ('tier', fields.CharEnumField(null=True, description='REGISTERED: registered\nSILVER: silver\nGOLD: gold\nPLATINUM: platinum', enum_type=PartnerTier, max_length=16)),
                ('group', fields.ForeignKeyField('models.PartnerGroup', source_field='group_id', null=True, db_constraint=True, to_field='id', related_name='deal_approval_rules', on_delete=OnDelete.CASCADE)),
                ('scope_key', fields.CharField(max_length=64)),
                ('version', fields.IntField()),
                ('groups', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('change', fields.CharField(default='', max_length=200)),
                ('created_by', fields.ForeignKeyField('models.User', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name='deal_approval_rule_versions', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'deal_approval_rule_version', 'app': 'accounts', 'unique_together': (('scope_key', 'version'),), 'pk_attr': 'id', 'table_description': 'A saved version of the auto-approval rules for one partner tier or one partner group.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='DealRegistrationField',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('key', fields.CharField(unique=True, max_length=64)),
                ('label', fields.CharField(max_length=200)),
                ('kind', fields.CharEnumField(description='TEXT: text\nNUMBER: number\nDATE: date\nCHOICE: choice', enum_type=CustomFieldKind, max_length=16)),
                ('choices', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('required', fields.BooleanField(default=False)),
                ('position', fields.IntField(default=0)),
                ('archived', fields.BooleanField(default=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'deal_registration_field', 'app': 'accounts', 'pk_attr': 'id', 'table_description': 'A field the vendor adds to the registration form, validated on every submission.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='DealRegistrationSettings',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('protection_days', fields.IntField(default=90)),
                ('extension_days', fields.IntField(default=30)),
                ('review_target_working_days', fields.IntField(default=2)),
                ('time_zone', fields.CharField(default='Europe/Amsterdam', max_length=64)),
                ('holidays', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('expiry_reminder_offsets', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'deal_registration_settings', 'app': 'accounts', 'pk_attr': 'id', 'table_description': 'Installation-wide deal-registration settings: one row.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='DirectDeal',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('external_id', fields.CharField(null=True, unique=True, max_length=200)),
                ('company_name', fields.CharField(max_length=200)),
                ('normalised_company', fields.CharField(db_index=True, max_length=200)),
                ('company_domain', fields.CharField(default='', db_index=True, max_length=253)),
                ('owner_name', fields.CharField(default='', max_length=200)),
                ('is_open', fields.BooleanField(default=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'direct_deal', 'app': 'accounts', 'pk_attr': 'id', 'table_description': "An open opportunity of the vendor's own sales team (entered by vendor staff or synced"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='DealRegistration',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('partner', fields.ForeignKeyField('models.PartnerOrg', source_field='partner_id', db_constraint=True, to_field='id', related_name='deal_registrations', on_delete=OnDelete.CASCADE)),
                ('submitted_by', fields.ForeignKeyField('models.User', source_field='submitted_by_id', null=True, db_constraint=True, to_field='id', related_name='submitted_deal_registrations', on_delete=OnDelete.SET_NULL)),
                ('customer', fields.ForeignKeyField('models.Customer', source_field='customer_id', null=True, db_constraint=True, to_field='id', related_name='deal_registrations', on_delete=OnDelete.SET_NULL)),
                ('deal', fields.OneToOneField('accounts.Deal', source_field='deal_id', null=True, db_constraint=True, to_field='id', related_name='registration', on_delete=OnDelete.SET_NULL)),
                ('status', fields.CharEnumField(default=DealRegistrationStatus.DRAFT, description='DRAFT: draft\nSUBMITTED: submitted\nINFO_REQUESTED: info_requested\nAPPROVED: approved\nREJECTED: rejected\nEXPIRED: expired\nWON: won\nLOST: lost', enum_type=DealRegistrationStatus, max_length=16)),
                ('company_name', fields.CharField(max_length=200)),
                ('normalised_company', fields.CharField(db_index=True, max_length=200)),
                ('company_domain', fields.CharField(default='', db_index=True, max_length=253)),
                ('contact_name', fields.CharField(default='', max_length=200)),
                ('contact_email', fields.CharField(default='', max_length=254)),
                ('contact_phone', fields.CharField(default='', max_length=50)),
                ('products', fields.CharField(default='', max_length=500)),
                ('amount', fields.DecimalField(null=True, max_digits=14, decimal_places=2)),
                ('currency', fields.CharField(default='EUR', max_length=3)),
                ('expected_close_on', fields.DateField(null=True)),
                ('notes', fields.TextField(default='', unique=False)),
                ('custom_values', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('conflict_kind', fields.CharEnumField(default=DealConflictKind.NONE, description='NONE: none\nPARTNER_REGISTRATION: partner_registration\nDIRECT_DEAL: direct_deal', enum_type=DealConflictKind, max_length=32)),
                ('conflict_registration', fields.ForeignKeyField('accounts.DealRegistration', source_field='conflict_registration_id', null=True, db_constraint=True, to_field='id', related_name='conflicting_registrations', on_delete=OnDelete.SET_NULL)),
                ('conflict_direct_deal', fields.ForeignKeyField('accounts.DirectDeal', source_field='conflict_direct_deal_id', null=True, db_constraint=True, to_field='id', related_name='conflicting_registrations', on_delete=OnDelete.SET_NULL)),
                ('first_submitted_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('submitted_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('review_due_at', fields.DatetimeField(null=True, db_index=True, auto_now=False, auto_now_add=False)),
                ('review_reminded_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('info_request', fields.TextField(default='', unique=False)),
                ('decided_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('decided_by', fields.ForeignKeyField('models.User', source_field='decided_by_id', null=True, db_constraint=True, to_field='id', related_name='decided_deal_registrations', on_delete=OnDelete.SET_NULL)),
                ('rejection_reason', fields.CharField(default='', max_length=1000)),
                ('auto_approved', fields.BooleanField(default=False)),
                ('approval_rule_version', fields.ForeignKeyField('accounts.DealApprovalRuleVersion', source_field='approval_rule_version_id', null=True, db_constraint=True, to_field='id', related_name='approved_registrations', on_delete=OnDelete.SET_NULL)),
                ('approval_rule_group', fields.IntField(null=True)),
                ('protected_until', fields.DatetimeField(null=True, db_index=True, auto_now=False, auto_now_add=False)),
                ('extension_state', fields.CharEnumField(default=ExtensionState.NONE, description='NONE: none\nREQUESTED: requested\nGRANTED: granted\nDECLINED: declined', enum_type=ExtensionState, max_length=16)),
                ('extension_reason', fields.CharField(default='', max_length=1000)),
                ('closed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('lost_reason', fields.CharField(default='', max_length=500)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'deal_registration', 'app': 'accounts', 'indexes': [Index(fields=['partner_id', 'status']), Index(fields=['status', 'updated_at'])], 'pk_attr': 'id', 'table_description': "A partner's claim on an opportunity, from draft to decision to protection's end."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='DealRegistrationEvent',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('registration', fields.ForeignKeyField('accounts.DealRegistration', source_field='registration_id', db_constraint=True, to_field='id', related_name='events', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharField(max_length=32)),
                ('from_status', fields.CharEnumField(null=True, description='DRAFT: draft\nSUBMITTED: submitted\nINFO_REQUESTED: info_requested\nAPPROVED: approved\nREJECTED: rejected\nEXPIRED: expired\nWON: won\nLOST: lost', enum_type=DealRegistrationStatus, max_length=16)),
                ('to_status', fields.CharEnumField(description='DRAFT: draft\nSUBMITTED: submitted\nINFO_REQUESTED: info_requested\nAPPROVED: approved\nREJECTED: rejected\nEXPIRED: expired\nWON: won\nLOST: lost', enum_type=DealRegistrationStatus, max_length=16)),
                ('actor', fields.ForeignKeyField('models.User', source_field='actor_id', null=True, db_constraint=True, to_field='id', related_name='deal_registration_events', on_delete=OnDelete.SET_NULL)),
                ('reason', fields.TextField(default='', unique=False)),
                ('details', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'deal_registration_event', 'app': 'accounts', 'indexes': [Index(fields=['registration_id', 'created_at'])], 'pk_attr': 'id', 'table_description': 'One state change of a registration: who, when, why (its history).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='DealRegistrationReminder',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('registration', fields.ForeignKeyField('accounts.DealRegistration', source_field='registration_id', db_constraint=True, to_field='id', related_name='reminders', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharField(max_length=16)),
                ('offset_days', fields.IntField(default=0)),
                ('for_moment', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('sent_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'deal_registration_reminder', 'app': 'accounts', 'unique_together': (('registration', 'kind', 'offset_days', 'for_moment'),), 'pk_attr': 'id', 'table_description': 'A reminder sent once: `expiry` per offset in days, or `review` when overdue. The unique'},
            bases=['Model'],
        ),
    ]

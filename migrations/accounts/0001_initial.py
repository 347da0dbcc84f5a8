from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from models.accounts import ActivityKind, AttentionKind, CommissionStatus, DealStatus, RenewalOwner, RenewalOwnerChoice, SwitchOutcome
from models.enums import PartnerTier
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0001_initial'), ('models', '0002_email_outbox')]

    initial = True

    operations = [
        ops.CreateModel(
            name='AccountSettings',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('renewal_reminder_offsets', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('switch_token_minutes', fields.IntField(default=15)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'account_settings', 'app': 'accounts', 'pk_attr': 'id', 'table_description': 'Installation-wide settings of this domain: one row.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='AttentionItem',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('customer', fields.ForeignKeyField('models.Customer', source_field='customer_id', db_constraint=True, to_field='id', related_name='attention_items', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharEnumField(description='TRIAL_ENDING: trial_ending\nRENEWAL_OVERDUE: renewal_overdue\nDEAL_PAST_EXPECTED_CLOSE: deal_past_expected_close\nMISSING_RENEWAL_CONTACTS: missing_renewal_contacts\nNO_RECENT_ACTIVITY: no_recent_activity', enum_type=AttentionKind, max_length=32)),
                ('key', fields.CharField(default='', max_length=64)),
                ('message', fields.CharField(max_length=300)),
                ('opened_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('resolved_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'attention_item', 'app': 'accounts', 'unique_together': (('customer', 'kind', 'key'),), 'indexes': [Index(fields=['customer_id', 'resolved_at'])], 'pk_attr': 'id', 'table_description': 'Something in a customer account that needs attention, open until its condition clears.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CustomerActivity',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('customer', fields.ForeignKeyField('models.Customer', source_field='customer_id', db_constraint=True, to_field='id', related_name='activities', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharEnumField(description='ACCOUNT_CREATED: account_created\nUSER_ADDED: user_added\nPRODUCT_USAGE: product_usage\nSUBSCRIPTION_STARTED: subscription_started\nSUBSCRIPTION_RENEWED: subscription_renewed\nTRIAL_ENDED: trial_ended', enum_type=ActivityKind, max_length=32)),
                ('summary', fields.CharField(default='', max_length=300)),
                ('actor', fields.ForeignKeyField('models.User', source_field='actor_id', null=True, db_constraint=True, to_field='id', related_name='customer_activities', on_delete=OnDelete.SET_NULL)),
                ('occurred_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'customer_activity', 'app': 'accounts', 'indexes': [Index(fields=['customer_id', 'occurred_at'])], 'pk_attr': 'id', 'table_description': "One entry of a customer's activity log, appended and never edited."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CustomerRenewalOwner',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('customer', fields.OneToOneField('models.Customer', source_field='customer_id', db_constraint=True, to_field='id', related_name='renewal_owner', on_delete=OnDelete.CASCADE)),
                ('owner', fields.CharEnumField(default=RenewalOwnerChoice.DEFAULT, description='DEFAULT: default\nVENDOR: vendor\nPARTNER: partner', enum_type=RenewalOwnerChoice, max_length=16)),
                ('contact', fields.ForeignKeyField('models.User', source_field='contact_id', null=True, db_constraint=True, to_field='id', related_name='customer_renewal_contact_for', on_delete=OnDelete.SET_NULL)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'customer_renewal_owner', 'app': 'accounts', 'pk_attr': 'id', 'table_description': "A per-customer override of the partner's default renewal owner."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CustomerUser',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('customer', fields.ForeignKeyField('models.Customer', source_field='customer_id', db_constraint=True, to_field='id', related_name='account_users', on_delete=OnDelete.CASCADE)),
                ('email', fields.CharField(max_length=254)),
                ('full_name', fields.CharField(default='', max_length=200)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'customer_user', 'app': 'accounts', 'unique_together': (('customer', 'email'),), 'pk_attr': 'id', 'table_description': "A user of the customer's account in the vendor's product (not a portal login)."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Deal',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('partner', fields.ForeignKeyField('models.PartnerOrg', source_field='partner_id', db_constraint=True, to_field='id', related_name='deals', on_delete=OnDelete.CASCADE)),
                ('customer', fields.ForeignKeyField('models.Customer', source_field='customer_id', db_constraint=True, to_field='id', related_name='deals', on_delete=OnDelete.CASCADE)),
                ('created_by', fields.ForeignKeyField('models.User', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name='registered_deals', on_delete=OnDelete.SET_NULL)),
                ('product', fields.CharField(max_length=200)),
                ('amount', fields.DecimalField(max_digits=14, decimal_places=2)),
                ('currency', fields.CharField(default='EUR', max_length=3)),
                ('expected_close_on', fields.DateField(null=True)),
                ('status', fields.CharEnumField(default=DealStatus.OPEN, description='OPEN: open\nWON: won\nLOST: lost', enum_type=DealStatus, max_length=16)),
                ('lost_reason', fields.CharField(default='', max_length=500)),
                ('closed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'deal', 'app': 'accounts', 'indexes': [Index(fields=['partner_id', 'status']), Index(fields=['customer_id', 'status'])], 'pk_attr': 'id', 'table_description': 'A deal a partner registers for a customer, won when the customer subscribes.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Commission',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('partner', fields.ForeignKeyField('models.PartnerOrg', source_field='partner_id', db_constraint=True, to_field='id', related_name='commissions', on_delete=OnDelete.CASCADE)),
                ('deal', fields.OneToOneField('accounts.Deal', source_field='deal_id', db_constraint=True, to_field='id', related_name='commission', on_delete=OnDelete.CASCADE)),
                ('customer', fields.ForeignKeyField('models.Customer', source_field='customer_id', db_constraint=True, to_field='id', related_name='commissions', on_delete=OnDelete.CASCADE)),
                ('base_amount', fields.DecimalField(max_digits=14, decimal_places=2)),
                ('rate_percent', fields.DecimalField(max_digits=5, decimal_places=2)),
                ('amount', fields.DecimalField(max_digits=14, decimal_places=2)),
                ('currency', fields.CharField(max_length=3)),
                ('status', fields.CharEnumField(default=CommissionStatus.PENDING, description='PENDING: pending\nAPPROVED: approved\nPAID: paid', enum_type=CommissionStatus, max_length=16)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('approved_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('approved_by', fields.ForeignKeyField('models.User', source_field='approved_by_id', null=True, db_constraint=True, to_field='id', related_name='approved_commissions', on_delete=OnDelete.SET_NULL)),
                ('paid_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('paid_by', fields.ForeignKeyField('models.User', source_field='paid_by_id', null=True, db_constraint=True, to_field='id', related_name='paid_commissions', on_delete=OnDelete.SET_NULL)),
            ],
            options={'table': 'commission', 'app': 'accounts', 'indexes': [Index(fields=['partner_id', 'status'])], 'pk_attr': 'id', 'table_description': 'What a partner earns for a won deal: pending, approved by a vendor admin, then paid.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='DealNote',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('deal', fields.ForeignKeyField('accounts.Deal', source_field='deal_id', db_constraint=True, to_field='id', related_name='notes', on_delete=OnDelete.CASCADE)),
                ('author', fields.ForeignKeyField('models.User', source_field='author_id', null=True, db_constraint=True, to_field='id', related_name='deal_notes', on_delete=OnDelete.SET_NULL)),
                ('body', fields.TextField(unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'deal_note', 'app': 'accounts', 'pk_attr': 'id', 'table_description': 'A note on a deal, from the partner to the vendor team (or a reply from the vendor).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PartnerCommissionRate',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('partner', fields.OneToOneField('models.PartnerOrg', source_field='partner_id', db_constraint=True, to_field='id', related_name='commission_rate', on_delete=OnDelete.CASCADE)),
                ('rate_percent', fields.DecimalField(max_digits=5, decimal_places=2)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'partner_commission_rate', 'app': 'accounts', 'pk_attr': 'id', 'table_description': "A partner's own commission rate, which wins over its tier's rate."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PartnerRenewalSettings',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('partner', fields.OneToOneField('models.PartnerOrg', source_field='partner_id', db_constraint=True, to_field='id', related_name='renewal_settings', on_delete=OnDelete.CASCADE)),
                ('default_owner', fields.CharEnumField(default=RenewalOwner.VENDOR, description='VENDOR: vendor\nPARTNER: partner', enum_type=RenewalOwner, max_length=16)),
                ('contact', fields.ForeignKeyField('models.User', source_field='contact_id', null=True, db_constraint=True, to_field='id', related_name='renewal_contact_for', on_delete=OnDelete.SET_NULL)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'partner_renewal_settings', 'app': 'accounts', 'pk_attr': 'id', 'table_description': "A partner's default renewal-communication owner and its point of contact."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RenewalReminder',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('customer', fields.ForeignKeyField('models.Customer', source_field='customer_id', db_constraint=True, to_field='id', related_name='renewal_reminders', on_delete=OnDelete.CASCADE)),
                ('renewal_date', fields.DateField()),
                ('offset_days', fields.IntField()),
                ('owner', fields.CharEnumField(description='VENDOR: vendor\nPARTNER: partner', enum_type=RenewalOwner, max_length=16)),
                ('recipients', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('sent_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'renewal_reminder', 'app': 'accounts', 'unique_together': (('customer', 'renewal_date', 'offset_days'),), 'pk_attr': 'id', 'table_description': 'A renewal reminder that went out: one per customer, renewal date and offset, ever.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Subscription',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('customer', fields.OneToOneField('models.Customer', source_field='customer_id', db_constraint=True, to_field='id', related_name='subscription', on_delete=OnDelete.CASCADE)),
                ('deal', fields.ForeignKeyField('accounts.Deal', source_field='deal_id', null=True, db_constraint=True, to_field='id', related_name='subscriptions', on_delete=OnDelete.SET_NULL)),
                ('plan', fields.CharField(default='', max_length=200)),
                ('term_months', fields.IntField(default=12)),
                ('converted_by', fields.ForeignKeyField('models.User', source_field='converted_by_id', null=True, db_constraint=True, to_field='id', related_name='converted_subscriptions', on_delete=OnDelete.SET_NULL)),
                ('converted_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'subscription', 'app': 'accounts', 'pk_attr': 'id', 'table_description': 'The paid subscription of a converted customer: plan, term and the deal it came from.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SwitchAccountAudit',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', null=True, db_constraint=True, to_field='id', related_name='switch_audits', on_delete=OnDelete.SET_NULL)),
                ('user_email', fields.CharField(max_length=254)),
                ('partner_id', fields.IntField(null=True)),
                ('customer_id', fields.IntField()),
                ('outcome', fields.CharEnumField(description='GRANTED: granted\nREFUSED: refused', enum_type=SwitchOutcome, max_length=16)),
                ('reason', fields.CharField(default='', max_length=300)),
                ('session_id', fields.CharField(null=True, max_length=64)),
                ('client_address', fields.CharField(default='', max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'switch_account_audit', 'app': 'accounts', 'indexes': [Index(fields=['customer_id', 'created_at'])], 'pk_attr': 'id', 'table_description': 'Every attempt to switch into a customer account, granted or refused.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='TierCommissionRate',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('tier', fields.CharEnumField(unique=True, description='REGISTERED: registered\nSILVER: silver\nGOLD: gold\nPLATINUM: platinum', enum_type=PartnerTier, max_length=16)),
                ('rate_percent', fields.DecimalField(max_digits=5, decimal_places=2)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'tier_commission_rate', 'app': 'accounts', 'pk_attr': 'id', 'table_description': 'The commission rate in percent of the deal amount for every partner of a tier.'},
            bases=['Model'],
        ),
    ]

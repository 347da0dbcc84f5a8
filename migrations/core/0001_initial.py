from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from models.enums import ContactRole, CustomerStatus, GroupKind, PartnerStatus, PartnerTier, Role
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='LoginFailure',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('email', fields.CharField(db_index=True, max_length=254)),
                ('client_address', fields.CharField(db_index=True, max_length=64)),
                ('failed_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'login_failure', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A failed login, counted per account and per client address for rate limiting.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PartnerGroup',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(unique=True, max_length=200)),
                ('description', fields.TextField(default='', unique=False)),
                ('kind', fields.CharEnumField(default=GroupKind.STATIC, description='STATIC: static\nDYNAMIC: dynamic', enum_type=GroupKind, max_length=16)),
                ('rule', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'partner_group', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PartnerOrg',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(unique=True, max_length=200)),
                ('status', fields.CharEnumField(default=PartnerStatus.ACTIVE, description='ACTIVE: active\nTEST: test\nINACTIVE: inactive', enum_type=PartnerStatus, max_length=16)),
                ('tier', fields.CharEnumField(default=PartnerTier.REGISTERED, description='REGISTERED: registered\nSILVER: silver\nGOLD: gold\nPLATINUM: platinum', enum_type=PartnerTier, max_length=16)),
                ('country', fields.CharField(default='', max_length=2)),
                ('invoice_company_name', fields.CharField(default='', max_length=200)),
                ('invoice_vat_number', fields.CharField(default='', max_length=50)),
                ('invoice_address', fields.TextField(default='', unique=False)),
                ('invoice_email', fields.CharField(default='', max_length=254)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'partner_org', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Customer',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('partner', fields.ForeignKeyField('models.PartnerOrg', source_field='partner_id', db_constraint=True, to_field='id', related_name='customers', on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=200)),
                ('status', fields.CharEnumField(default=CustomerStatus.TRIAL, description='TRIAL: trial\nACTIVE: active\nCLOSED: closed', enum_type=CustomerStatus, max_length=16)),
                ('main_framework', fields.CharField(default='', max_length=100)),
                ('framework_progress', fields.IntField(default=0)),
                ('trial_ends_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('subscription_started_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('next_renewal_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'customer', 'app': 'models', 'unique_together': (('partner', 'name'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CustomerContact',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('customer', fields.ForeignKeyField('models.Customer', source_field='customer_id', db_constraint=True, to_field='id', related_name='contacts', on_delete=OnDelete.CASCADE)),
                ('role', fields.CharEnumField(description='PRIMARY: primary\nBILLING: billing\nDECISION_MAKER: decision_maker', enum_type=ContactRole, max_length=32)),
                ('full_name', fields.CharField(default='', max_length=200)),
                ('email', fields.CharField(max_length=254)),
            ],
            options={'table': 'customer_contact', 'app': 'models', 'unique_together': (('customer', 'role'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PartnerGroupMember',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('group', fields.ForeignKeyField('models.PartnerGroup', source_field='group_id', db_constraint=True, to_field='id', related_name='memberships', on_delete=OnDelete.CASCADE)),
                ('partner', fields.ForeignKeyField('models.PartnerOrg', source_field='partner_id', db_constraint=True, to_field='id', related_name='group_memberships', on_delete=OnDelete.CASCADE)),
                ('added_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'partner_group_member', 'app': 'models', 'unique_together': (('group', 'partner'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SalesRep',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('partner', fields.ForeignKeyField('models.PartnerOrg', source_field='partner_id', db_constraint=True, to_field='id', related_name='sales_reps', on_delete=OnDelete.CASCADE)),
                ('full_name', fields.CharField(max_length=200)),
                ('email', fields.CharField(max_length=254)),
                ('is_default_lead_recipient', fields.BooleanField(default=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'sales_rep', 'app': 'models', 'unique_together': (('partner', 'email'),), 'pk_attr': 'id', 'table_description': 'An external sales rep of a partner org: no portal login, receives lead notifications only.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='User',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('email', fields.CharField(unique=True, max_length=254)),
                ('full_name', fields.CharField(default='', max_length=200)),
                ('password_hash', fields.CharField(default='', max_length=200)),
                ('role', fields.CharEnumField(description='VENDOR_ADMIN: vendor_admin\nCHANNEL_MANAGER: channel_manager\nPARTNER_ADMIN: partner_admin\nPARTNER_USER: partner_user', enum_type=Role, max_length=32)),
                ('partner', fields.ForeignKeyField('models.PartnerOrg', source_field='partner_id', null=True, db_constraint=True, to_field='id', related_name='users', on_delete=OnDelete.CASCADE)),
                ('locale', fields.CharField(default='en', max_length=16)),
                ('is_active', fields.BooleanField(default=True)),
                ('supplier_emails_opt_in', fields.BooleanField(default=False)),
                ('is_sales_rep', fields.BooleanField(default=False)),
                ('is_default_lead_recipient', fields.BooleanField(default=False)),
                ('is_supplier_default_lead_owner', fields.BooleanField(default=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'portal_user', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='AuthSession',
            fields=[
                ('id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=64)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='sessions', on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('client_address', fields.CharField(default='', max_length=64)),
                ('acting_customer_id', fields.IntField(null=True)),
            ],
            options={'table': 'auth_session', 'app': 'models', 'pk_attr': 'id', 'table_description': 'One issued bearer token. Logging out or expiry ends it, the token itself is signed.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ChannelManagerAssignment',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('manager', fields.ForeignKeyField('models.User', source_field='manager_id', db_constraint=True, to_field='id', related_name='assignments', on_delete=OnDelete.CASCADE)),
                ('partner', fields.ForeignKeyField('models.PartnerOrg', source_field='partner_id', db_constraint=True, to_field='id', related_name='manager_assignments', on_delete=OnDelete.CASCADE)),
            ],
            options={'table': 'channel_manager_assignment', 'app': 'models', 'unique_together': (('manager', 'partner'),), 'pk_attr': 'id', 'table_description': 'A channel manager may read and act on the partners assigned to them, and no others.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='VendorSettings',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('vendor_name', fields.CharField(default='Channelport vendor', max_length=200)),
                ('support_email', fields.CharField(default='', max_length=254)),
                ('trial_length_days', fields.IntField(default=30)),
                ('consent_token_lifetime_days', fields.IntField(default=14)),
                ('lead_protection_window_days', fields.IntField(default=90)),
                ('portal_terms_version', fields.CharField(default='', max_length=50)),
                ('portal_terms_opt_in_supplier_emails', fields.BooleanField(default=False)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'vendor_settings', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]

from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from models.lead_management import AutoRegistrationMode, DistributionState, RuleSetOwner
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('leads', '0001_initial'), ('models', '0001_initial'), ('models', '0002_email_outbox')]

    initial = True

    operations = [
        ops.CreateModel(
            name='IgnoredCompany',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('partner', fields.ForeignKeyField('models.PartnerOrg', source_field='partner_id', db_constraint=True, to_field='id', related_name='ignored_companies', on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=200)),
                ('normalised_name', fields.CharField(max_length=200)),
                ('created_by', fields.ForeignKeyField('models.User', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name='ignored_companies_added', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'lead_ignored_company', 'app': 'lead_management', 'unique_together': (('partner', 'normalised_name'),), 'pk_attr': 'id', 'table_description': 'A company the partner ignores: its leads are never auto-registered.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='LeadDistribution',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('lead', fields.ForeignKeyField('leads.Lead', source_field='lead_id', db_constraint=True, to_field='id', related_name='distributions', on_delete=OnDelete.CASCADE)),
                ('partner', fields.ForeignKeyField('models.PartnerOrg', source_field='partner_id', db_constraint=True, to_field='id', related_name='lead_distributions', on_delete=OnDelete.CASCADE)),
                ('state', fields.CharEnumField(default=DistributionState.PENDING, db_index=True, description='PENDING: pending\nACCEPTED: accepted\nREJECTED: rejected\nRETURNED: returned', enum_type=DistributionState, max_length=16)),
                ('auto_accepted', fields.BooleanField(default=False)),
                ('accept_by', fields.DatetimeField(null=True, db_index=True, auto_now=False, auto_now_add=False)),
                ('reject_reason', fields.TextField(default='', unique=False)),
                ('distributed_by', fields.ForeignKeyField('models.User', source_field='distributed_by_id', null=True, db_constraint=True, to_field='id', related_name='leads_distributed', on_delete=OnDelete.SET_NULL)),
                ('distributed_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('answered_by', fields.ForeignKeyField('models.User', source_field='answered_by_id', null=True, db_constraint=True, to_field='id', related_name='lead_distributions_answered', on_delete=OnDelete.SET_NULL)),
                ('answered_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'lead_distribution', 'app': 'lead_management', 'pk_attr': 'id', 'table_description': "One hand-out of a vendor lead to a partner and the partner's answer."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='LeadManagementSettings',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('partner', fields.OneToOneField('models.PartnerOrg', source_field='partner_id', db_constraint=True, to_field='id', related_name='lead_management_settings', on_delete=OnDelete.CASCADE)),
                ('auto_registration_enabled', fields.BooleanField(default=False)),
                ('mode', fields.CharEnumField(default=AutoRegistrationMode.SUPPLIER_MANAGED, description='SUPPLIER_MANAGED: supplier_managed\nPARTNER_DEFINED: partner_defined', enum_type=AutoRegistrationMode, max_length=32)),
                ('auto_accept', fields.BooleanField(default=False)),
                ('updated_by', fields.ForeignKeyField('models.User', source_field='updated_by_id', null=True, db_constraint=True, to_field='id', related_name='lead_settings_updates', on_delete=OnDelete.SET_NULL)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'lead_management_settings', 'app': 'lead_management', 'pk_attr': 'id', 'table_description': "A partner's lead management switches. A partner without a row has everything off."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='LeadSettingsChange',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('partner', fields.ForeignKeyField('models.PartnerOrg', source_field='partner_id', db_constraint=True, to_field='id', related_name='lead_settings_changes', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharField(max_length=64)),
                ('details', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('actor', fields.ForeignKeyField('models.User', source_field='actor_id', null=True, db_constraint=True, to_field='id', related_name='lead_settings_changes_made', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'lead_settings_change', 'app': 'lead_management', 'pk_attr': 'id', 'table_description': 'An audit entry for a change of lead management settings other than the rules.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RuleSetVersion',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('partner', fields.ForeignKeyField('models.PartnerOrg', source_field='partner_id', db_constraint=True, to_field='id', related_name='rule_set_versions', on_delete=OnDelete.CASCADE)),
                ('owner', fields.CharEnumField(description='SUPPLIER: supplier\nPARTNER: partner', enum_type=RuleSetOwner, max_length=16)),
                ('version', fields.IntField()),
                ('groups', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('change', fields.CharField(default='', max_length=200)),
                ('created_by', fields.ForeignKeyField('models.User', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name='rule_set_versions_created', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'lead_rule_set_version', 'app': 'lead_management', 'unique_together': (('partner', 'owner', 'version'),), 'pk_attr': 'id', 'table_description': "One saved version of a partner's supplier-managed or partner-defined rule set."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='AutoRegistrationMatch',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('lead', fields.OneToOneField('leads.Lead', source_field='lead_id', db_constraint=True, to_field='id', related_name='auto_registration', on_delete=OnDelete.CASCADE)),
                ('partner', fields.ForeignKeyField('models.PartnerOrg', source_field='partner_id', db_constraint=True, to_field='id', related_name='auto_registration_matches', on_delete=OnDelete.CASCADE)),
                ('owner', fields.CharEnumField(description='SUPPLIER: supplier\nPARTNER: partner', enum_type=RuleSetOwner, max_length=16)),
                ('rule_set_version', fields.ForeignKeyField('lead_management.RuleSetVersion', source_field='rule_set_version_id', db_constraint=True, to_field='id', related_name='matches', on_delete=OnDelete.CASCADE)),
                ('group_index', fields.IntField()),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'lead_auto_registration_match', 'app': 'lead_management', 'pk_attr': 'id', 'table_description': 'Which rule set version and group registered a lead automatically.'},
            bases=['Model'],
        ),
    ]

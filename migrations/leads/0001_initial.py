from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from models.leads import DistributionStatus, LeadSource, RegistrationStatus
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0002_email_outbox')]

    initial = True

    operations = [
        ops.CreateModel(
            name='Lead',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('partner', fields.ForeignKeyField('models.PartnerOrg', source_field='partner_id', null=True, db_constraint=True, to_field='id', related_name='leads', on_delete=OnDelete.CASCADE)),
                ('source', fields.CharEnumField(default=LeadSource.PARTNER, description='PARTNER: partner\nVENDOR_DISTRIBUTION: vendor_distribution', enum_type=LeadSource, max_length=32)),
                ('email', fields.CharField(db_index=True, max_length=254)),
                ('company', fields.CharField(default='', max_length=200)),
                ('first_name', fields.CharField(default='', max_length=100)),
                ('last_name', fields.CharField(default='', max_length=100)),
                ('phone', fields.CharField(default='', max_length=50)),
                ('country', fields.CharField(default='', max_length=2)),
                ('industry', fields.CharField(default='', max_length=100)),
                ('employees', fields.IntField(null=True)),
                ('estimated_value', fields.DecimalField(null=True, max_digits=14, decimal_places=2)),
                ('notes', fields.TextField(default='', unique=False)),
                ('locale', fields.CharField(default='en', max_length=16)),
                ('registration_status', fields.CharEnumField(default=RegistrationStatus.NOT_REGISTERED, description='NOT_REGISTERED: not_registered\nPENDING_CONSENT: pending_consent\nREGISTERED: registered\nDECLINED: declined\nEXPIRED: expired\nCONFLICT: conflict', enum_type=RegistrationStatus, max_length=32)),
                ('registered_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('distribution_status', fields.CharEnumField(default=DistributionStatus.NOT_DISTRIBUTED, description='NOT_DISTRIBUTED: not_distributed\nPENDING: pending\nACCEPTED: accepted\nREJECTED: rejected\nRETURNED: returned', enum_type=DistributionStatus, max_length=32)),
                ('created_by', fields.ForeignKeyField('models.User', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name='created_leads', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'lead', 'app': 'leads', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='LeadEvent',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('lead', fields.ForeignKeyField('leads.Lead', source_field='lead_id', db_constraint=True, to_field='id', related_name='events', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharField(max_length=64)),
                ('actor', fields.ForeignKeyField('models.User', source_field='actor_id', null=True, db_constraint=True, to_field='id', related_name='lead_events', on_delete=OnDelete.SET_NULL)),
                ('partner', fields.ForeignKeyField('models.PartnerOrg', source_field='partner_id', null=True, db_constraint=True, to_field='id', related_name='lead_events', on_delete=OnDelete.SET_NULL)),
                ('details', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'lead_event', 'app': 'leads', 'pk_attr': 'id', 'table_description': "One entry of a lead's history: what happened, who did it, and the details."},
            bases=['Model'],
        ),
    ]

from tortoise import migrations
from tortoise.migrations import operations as ops
from models.audit import AuditAction, AuditOutcome
import functools
from json import dumps, loads
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='AuditEntry',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('occurred_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True)),
                ('call_id', fields.CharField(db_index=True, max_length=32)),
                ('operation', fields.CharField(db_index=True, max_length=100)),
                ('outcome', fields.CharEnumField(description='DONE: done\nREFUSED: refused\nFAILED: failed', enum_type=AuditOutcome, max_length=16)),
                ('error_code', fields.CharField(default='', max_length=40)),
                ('actor_user_id', fields.IntField(null=True, db_index=True)),
                ('actor_email', fields.CharField(default='', max_length=254)),
                ('actor_role', fields.CharField(default='', max_length=32)),
                ('acting_as_customer_id', fields.IntField(null=True)),
                ('actor_partner_id', fields.IntField(null=True)),
                ('partner_id', fields.IntField(null=True, db_index=True)),
                ('action', fields.CharEnumField(description='CREATED: created\nUPDATED: updated\nDELETED: deleted\nCALLED: called', enum_type=AuditAction, max_length=16)),
                ('object_type', fields.CharField(default='', max_length=64)),
                ('object_id', fields.CharField(default='', max_length=64)),
                ('changes', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('arguments', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('client_address', fields.CharField(default='', max_length=64)),
                ('user_agent', fields.CharField(default='', max_length=300)),
            ],
            options={'table': 'audit_entry', 'app': 'audit', 'indexes': [Index(fields=['object_type', 'object_id'])], 'pk_attr': 'id', 'table_description': 'One audited change (or call). Actor, partner and target are plain ids, no foreign keys,'},
            bases=['Model'],
        ),
    ]

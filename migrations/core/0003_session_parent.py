from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0002_email_outbox')]

    initial = False

    operations = [
        ops.AddField(
            model_name='AuthSession',
            name='parent_session_id',
            field=fields.CharField(null=True, db_index=True, max_length=64),
        ),
    ]

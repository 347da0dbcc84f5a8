from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('messaging', '0001_initial'), ('models', '0001_initial'), ('models', '0002_email_outbox')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Message',
            name='not_sent_reason',
            field=fields.CharField(default='', max_length=500),
        ),
    ]

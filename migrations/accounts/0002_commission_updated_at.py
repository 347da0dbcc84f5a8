from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('accounts', '0001_initial')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Commission',
            name='updated_at',
            field=fields.DatetimeField(null=True, auto_now=True, auto_now_add=False),
        ),
        # Rows from before the column: their last change is their latest event.
        ops.RunSQL(
            'UPDATE "commission" SET "updated_at" = COALESCE("paid_at", "approved_at", "created_at") '
            'WHERE "updated_at" IS NULL'
        ),
    ]

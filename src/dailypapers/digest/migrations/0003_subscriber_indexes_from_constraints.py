"""Drop the subscriber indexes that duplicate the unique constraints' (both start with subscriber).

Dropped by name rather than by AlterField, which on SQLite copies both tables (the sent papers
grow by a digest's length per mail); the names are Django's own for these columns on both databases.
"""

import django.db.models.deletion
from django.db import migrations, models

# model: (table, its subscriber index, the foreign key's related_name)
SUBSCRIBER_KEYS = {
    "delivery": ("digest_delivery", "digest_delivery_subscriber_id_84b88784", "deliveries"),
    "sentpaper": ("digest_sentpaper", "digest_sentpaper_subscriber_id_4ce3533e", "sent_papers"),
}


class Migration(migrations.Migration):
    dependencies = [
        ("digest", "0002_outbox"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    f'DROP INDEX IF EXISTS "{index}"',
                    reverse_sql=f'CREATE INDEX "{index}" ON "{table}" ("subscriber_id")',
                )
                for table, index, _ in SUBSCRIBER_KEYS.values()
            ],
            state_operations=[
                migrations.AlterField(
                    model_name=model,
                    name="subscriber",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name=related_name,
                        to="digest.subscriber",
                    ),
                )
                for model, (_, _, related_name) in SUBSCRIBER_KEYS.items()
            ],
        ),
    ]

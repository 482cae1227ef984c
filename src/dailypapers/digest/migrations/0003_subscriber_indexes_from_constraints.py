"""Drop the subscriber indexes that duplicate the unique constraints' (both start with subscriber).

Dropped by name rather than by AlterField, which on SQLite copies both tables (the sent papers
grow by a digest's length per mail); the names are Django's own for these columns on both databases.
"""

import django.db.models.deletion
from django.db import migrations, models

INDEXES = {
    "digest_delivery": "digest_delivery_subscriber_id_84b88784",
    "digest_sentpaper": "digest_sentpaper_subscriber_id_4ce3533e",
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
                for table, index in INDEXES.items()
            ],
            state_operations=[
                migrations.AlterField(
                    model_name="delivery",
                    name="subscriber",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="deliveries",
                        to="digest.subscriber",
                    ),
                ),
                migrations.AlterField(
                    model_name="sentpaper",
                    name="subscriber",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="sent_papers",
                        to="digest.subscriber",
                    ),
                ),
            ],
        ),
    ]

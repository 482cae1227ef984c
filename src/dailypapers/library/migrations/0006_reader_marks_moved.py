"""The reader's per-paper marks now live in dailypapers.community (ReaderMark): taken out of the
library's state only; the table stays where it is, owned by community's 0002 (which follows this)."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('library', '0005_saved_search_filters'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(
                    name='PaperSignal',
                ),
            ],
            database_operations=[],
        ),
    ]

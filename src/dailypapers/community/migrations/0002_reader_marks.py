"""The reader's per-paper marks (not interested, read) move here from the library, beside votes,
as ReaderMark, without moving any data.

The table keeps its name (library_papersignal): this migration only adds the model to community's
state (library's 0006 takes PaperSignal out of its own), and moves the model's content type so its
permissions and admin log entries follow the model.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def move_content_type(apps, schema_editor, source=("library", "papersignal"), target=("community", "readermark")):
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    # A content type already made for the target would clash on the unique (app_label, model):
    # keep the old one, which holds the permissions and log entries.
    ContentType.objects.using(db).filter(app_label=target[0], model=target[1]).delete()
    ContentType.objects.using(db).filter(app_label=source[0], model=source[1]).update(
        app_label=target[0], model=target[1]
    )


def move_content_type_back(apps, schema_editor):
    move_content_type(apps, schema_editor, source=("community", "readermark"), target=("library", "papersignal"))


class Migration(migrations.Migration):

    dependencies = [
        ('community', '0001_initial'),
        ('library', '0006_reader_marks_moved'),
        ('store', '0001_initial'),
        ('contenttypes', '0002_remove_content_type_name'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='ReaderMark',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('not_interested', models.BooleanField(default=False)),
                        ('read_at', models.DateTimeField(blank=True, null=True)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('paper', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='reader_marks', to='store.paper')),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='reader_marks', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'library_papersignal',
                        'indexes': [models.Index(fields=['user', 'not_interested'], name='signal_user_not_interested')],
                        'constraints': [models.UniqueConstraint(fields=('user', 'paper'), name='unique_paper_signal')],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(move_content_type, move_content_type_back),
    ]

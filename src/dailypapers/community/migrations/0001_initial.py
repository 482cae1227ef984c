"""The community models move here from the web app without moving any data.

The tables keep their names (web_vote, web_comment, ...): this migration only adds the models to
community's state (web's 0005 takes them out of web's), and renames the models' content types from
web to community so their permissions ("moderate" among them), admin log entries and any user's
granted permissions follow the models instead of being orphaned and recreated empty.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


MODELS = ["profile", "vote", "comment", "papermoderation", "submission", "apitoken", "pendingsubmission"]


def move_content_types(apps, schema_editor, source="web", target="community"):
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    for model in MODELS:
        # A content type already made for the target (none normally exist) would clash on the
        # unique (app_label, model): keep the old one, which holds the permissions and log entries.
        ContentType.objects.using(db).filter(app_label=target, model=model).delete()
        ContentType.objects.using(db).filter(app_label=source, model=model).update(app_label=target)


def move_content_types_back(apps, schema_editor):
    move_content_types(apps, schema_editor, source="community", target="web")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('store', '0001_initial'),
        ('web', '0004_pending_submission'),  # the tables exist (a fresh database gets them there)
        ('contenttypes', '0002_remove_content_type_name'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='PaperModeration',
                    fields=[
                        ('paper', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='moderation', serialize=False, to='store.paper')),
                        ('hidden', models.BooleanField(default=True)),
                        ('reason', models.CharField(blank=True, default='', max_length=500)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                    ],
                    options={
                        'db_table': 'web_papermoderation',
                    },
                ),
                migrations.CreateModel(
                    name='ApiToken',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(max_length=100)),
                        ('digest', models.CharField(max_length=64, unique=True)),
                        ('prefix', models.CharField(max_length=8)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('last_used_at', models.DateTimeField(blank=True, null=True)),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='api_tokens', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'web_apitoken',
                    },
                ),
                migrations.CreateModel(
                    name='Profile',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('email_confirmed', models.BooleanField(default=False)),
                        ('banned', models.BooleanField(default=False)),
                        ('banned_reason', models.CharField(blank=True, default='', max_length=500)),
                        ('user', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='profile', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'web_profile',
                    },
                ),
                migrations.CreateModel(
                    name='Comment',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('body', models.TextField()),
                        ('body_html', models.TextField()),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('edited_at', models.DateTimeField(blank=True, null=True)),
                        ('hidden', models.BooleanField(default=False)),
                        ('deleted', models.BooleanField(default=False)),
                        ('paper', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='community_comments', to='store.paper')),
                        ('parent', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='replies', to='community.comment')),
                        ('user', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='comments', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'web_comment',
                        'ordering': ['created_at', 'id'],
                        'permissions': [('moderate', 'Can hide papers and comments and ban users')],
                        'indexes': [models.Index(fields=['paper', 'created_at'], name='comment_paper_time')],
                    },
                ),
                migrations.CreateModel(
                    name='PendingSubmission',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('submitted_by', models.CharField(max_length=150)),
                        ('arxiv_id', models.CharField(max_length=64)),
                        ('date', models.DateField()),
                        ('state', models.CharField(choices=[('waiting', 'waiting'), ('done', 'done'), ('failed', 'failed')], default='waiting', max_length=16)),
                        ('attempts', models.PositiveIntegerField(default=0)),
                        ('next_attempt_at', models.DateTimeField(blank=True, null=True)),
                        ('last_error', models.TextField(blank=True, default='')),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('done_at', models.DateTimeField(blank=True, null=True)),
                        ('paper', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='store.paper')),
                        ('user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='pending_submissions', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'web_pendingsubmission',
                        'indexes': [models.Index(fields=['state', 'next_attempt_at'], name='pending_submission_due')],
                        'constraints': [models.UniqueConstraint(condition=models.Q(('state', 'waiting')), fields=('arxiv_id', 'date'), name='one_waiting_submission_per_paper_day')],
                    },
                ),
                migrations.CreateModel(
                    name='Submission',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('date', models.DateField()),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('paper', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='submissions', to='store.paper')),
                        ('user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='submissions', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'web_submission',
                        'constraints': [models.UniqueConstraint(fields=('paper', 'date'), name='one_submission_per_paper_day')],
                    },
                ),
                migrations.CreateModel(
                    name='Vote',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('paper', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='votes', to='store.paper')),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='votes', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'web_vote',
                        'indexes': [models.Index(fields=['paper', 'created_at'], name='vote_paper_time')],
                        'constraints': [models.UniqueConstraint(fields=('user', 'paper'), name='one_vote_per_user_paper')],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(move_content_types, move_content_types_back),
    ]

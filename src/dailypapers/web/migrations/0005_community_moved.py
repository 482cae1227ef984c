"""The community models now live in dailypapers.community: taken out of web's state
only; their tables stay where they are, owned by community's 0001 (which this follows)."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('web', '0004_pending_submission'),
        ('community', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name='comment',
                    name='paper',
                ),
                migrations.RemoveField(
                    model_name='comment',
                    name='parent',
                ),
                migrations.RemoveField(
                    model_name='comment',
                    name='user',
                ),
                migrations.RemoveField(
                    model_name='papermoderation',
                    name='paper',
                ),
                migrations.RemoveField(
                    model_name='pendingsubmission',
                    name='paper',
                ),
                migrations.RemoveField(
                    model_name='pendingsubmission',
                    name='user',
                ),
                migrations.RemoveField(
                    model_name='profile',
                    name='user',
                ),
                migrations.RemoveField(
                    model_name='submission',
                    name='paper',
                ),
                migrations.RemoveField(
                    model_name='submission',
                    name='user',
                ),
                migrations.RemoveField(
                    model_name='vote',
                    name='paper',
                ),
                migrations.RemoveField(
                    model_name='vote',
                    name='user',
                ),
                migrations.DeleteModel(
                    name='ApiToken',
                ),
                migrations.DeleteModel(
                    name='Comment',
                ),
                migrations.DeleteModel(
                    name='PaperModeration',
                ),
                migrations.DeleteModel(
                    name='PendingSubmission',
                ),
                migrations.DeleteModel(
                    name='Profile',
                ),
                migrations.DeleteModel(
                    name='Submission',
                ),
                migrations.DeleteModel(
                    name='Vote',
                ),
            ],
            database_operations=[],
        ),
    ]

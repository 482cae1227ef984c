from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('library', '0004_import_jobs_limits'),
    ]

    operations = [
        migrations.AlterField(
            model_name='savedsearch',
            name='category',
            field=models.CharField(blank=True, default='', max_length=200),
        ),
        migrations.AddField(
            model_name='savedsearch',
            name='author',
            field=models.CharField(blank=True, default='', max_length=200),
        ),
        migrations.AddField(
            model_name='savedsearch',
            name='mode',
            field=models.CharField(default='auto', max_length=16),
        ),
    ]

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("store", "0004_hf_list_position"),
    ]

    operations = [
        migrations.CreateModel(
            name="MediaItem",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("key", models.CharField(max_length=64, unique=True)),
                ("url", models.TextField()),
                ("kind", models.CharField(max_length=16)),
                ("status", models.CharField(choices=[("queued", "queued"), ("fetched", "fetched"), ("failed", "failed"), ("refused", "refused")], db_index=True, default="queued", max_length=16)),
                ("attempts", models.PositiveIntegerField(default=0)),
                ("content_type", models.CharField(blank=True, default="", max_length=64)),
                ("size", models.PositiveIntegerField(blank=True, null=True)),
                ("error", models.TextField(blank=True, default="")),
                ("queued_at", models.DateTimeField()),
                ("fetched_at", models.DateTimeField(blank=True, null=True)),
            ],
        ),
    ]

from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = []

    operations = [
        migrations.CreateModel(
            name="RateCounter",
            fields=[
                (
                    "slot",
                    models.CharField(
                        help_text="Hash of scope and client.", max_length=64, primary_key=True, serialize=False
                    ),
                ),
                ("started", models.FloatField(help_text="Unix time of the window's first request.")),
                ("expires", models.FloatField(db_index=True, help_text="Unix time the window ends.")),
                ("count", models.PositiveIntegerField(default=0)),
            ],
            options={"db_table": "ratelimit_counter"},
        ),
    ]

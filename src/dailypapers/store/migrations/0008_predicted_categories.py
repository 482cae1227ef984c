from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("store", "0007_work_claim"),
    ]

    operations = [
        migrations.AddField(
            model_name="paper",
            name="categories_predicted",
            field=models.BooleanField(default=False),
        ),
    ]

"""The change feed (PaperChange), seeded with one change per existing paper so an index
rebuilt from the feed holds every paper; moderator-hidden moves onto Paper; the community
part of the trending score gets its own column (web's 0003 fills it from the votes)."""

from django.db import migrations, models


def seed_feed(apps, schema_editor):
    # One INSERT ... SELECT: seconds for millions of papers, in the order papers were last written.
    quote = schema_editor.connection.ops.quote_name
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote('store_paperchange')} ({quote('paper_id')}, {quote('arxiv_id')}, {quote('kind')}, {quote('at')}) "
            f"SELECT {quote('id')}, {quote('arxiv_id')}, "
            f"CASE WHEN {quote('deleted')} THEN 'deleted' ELSE 'metadata' END, {quote('created_at')} "
            f"FROM {quote('store_paper')} ORDER BY {quote('change_seq')}, {quote('id')}")


class Migration(migrations.Migration):
    dependencies = [("store", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="paper", name="hidden", field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name="paperstats", name="community_score", field=models.FloatField(default=0.0),
        ),
        migrations.CreateModel(
            name="PaperChange",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("paper_id", models.BigIntegerField()),
                ("arxiv_id", models.CharField(max_length=64)),
                ("kind", models.CharField(choices=[("metadata", "metadata"), ("deleted", "deleted"), ("hidden", "hidden"),
                                                   ("votes", "votes"), ("embedding", "embedding")], max_length=16)),
                ("at", models.DateTimeField()),
            ],
            options={
                "ordering": ["id"],
                "indexes": [models.Index(fields=["paper_id", "id"], name="paperchange_paper")],
            },
        ),
        migrations.RunPython(seed_feed, migrations.RunPython.noop),
    ]

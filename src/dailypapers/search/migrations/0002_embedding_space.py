"""Stored vectors were tagged with the model file ("all-MiniLM-L6-v2:<file>:<hash>"); they
are now tagged with the vector space every backend writes ("all-MiniLM-L6-v2"), so GPU-
and CPU-computed vectors mix. The vectors themselves are unchanged."""

from django.db import migrations

SPACE = "all-MiniLM-L6-v2"


def tag_by_space(apps, schema_editor):
    PaperEmbedding = apps.get_model("search", "PaperEmbedding")
    PaperEmbedding.objects.filter(model_id__startswith=f"{SPACE}:").update(model_id=SPACE)


class Migration(migrations.Migration):
    dependencies = [("search", "0001_initial")]
    operations = [migrations.RunPython(tag_by_space, migrations.RunPython.noop)]

"""Papers' change_seq becomes the feed id of their last change (store 0002 seeded the feed),
(metadata and deleted changes: what a text version is), so stamps taken from the feed from now on keep growing; each embedding's seq follows its
paper's when it was current, and drops to 0 (re-embedded on the next `embed`) when stale."""

from django.db import migrations

STEPS = [
    # Mark current embeddings (-1) apart from stale ones (0) while the old numbers still compare.
    "UPDATE search_paperembedding SET seq = CASE WHEN seq >= (SELECT p.change_seq FROM store_paper p "
    "WHERE p.id = search_paperembedding.paper_id) THEN -1 ELSE 0 END",
    "UPDATE store_paper SET change_seq = COALESCE((SELECT MAX(c.id) FROM store_paperchange c "
    "WHERE c.paper_id = store_paper.id AND c.kind IN ('metadata', 'deleted')), 0)",
    "UPDATE search_paperembedding SET seq = (SELECT p.change_seq FROM store_paper p "
    "WHERE p.id = search_paperembedding.paper_id) WHERE seq = -1",
]


class Migration(migrations.Migration):
    dependencies = [("search", "0001_initial"), ("store", "0002_change_feed")]
    operations = [migrations.RunSQL(sql, migrations.RunSQL.noop) for sql in STEPS]

"""Helpers for the search tests: papers through the real upsert, the index's ids.
(The ``search_index`` fixture lives in tests/conftest.py.)"""

from __future__ import annotations

from django.utils import timezone

from dailypapers.ingest.records import PaperRecord
from dailypapers.search import indexer
from dailypapers.store.models import Paper
from dailypapers.store.upsert import write_batch
from tests.web_fixtures import paper_record


def write_papers(*records: PaperRecord) -> list[Paper]:
    write_batch(list(records), fetched_at=timezone.now())
    found = {p.arxiv_id: p for p in Paper.objects.filter(arxiv_id__in=[r.arxiv_id for r in records])}
    return [found[r.arxiv_id] for r in records]


def write_paper(**fields) -> Paper:
    return write_papers(paper_record(**fields))[0]


def indexed_ids() -> set[str]:
    """Every id in this machine's keyword index (read back through the index, not the state file)."""
    state = indexer.read_state()
    from dailypapers.search.keyword import KeywordIndex

    index = KeywordIndex(indexer.generation_dir(indexer.index_dir(), state) / "keyword")
    return set(index.ids_matching(None, 1_000_000))

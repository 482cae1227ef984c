"""Test data for the web tests: papers written through the real upsert.

The fixtures (users, logged-in clients, the loopback arXiv API) live in tests/conftest.py:
a test names them as arguments, never imports them."""

from __future__ import annotations

import datetime as dt
import itertools

from django.utils import timezone

from dailypapers.community.community_stats import refresh_papers
from dailypapers.ingest.records import DailyEntryRecord, PaperRecord
from dailypapers.store.models import Paper
from dailypapers.store.upsert import write_batch

_ids = itertools.count(1)


def paper_record(arxiv_id: str | None = None, **fields) -> PaperRecord:
    number = next(_ids)
    values = dict(
        arxiv_id=arxiv_id or f"2501.{number:05d}",
        title=f"Paper number {number}",
        source="test",
        abstract=f"Abstract of paper {number} about transformers.",
        authors=["Ada Lovelace", "Alan Turing"],
        categories=["cs.LG", "cs.AI"],
        first_submitted=dt.datetime(2025, 1, 2, tzinfo=dt.timezone.utc),
    )
    values.update(fields)
    return PaperRecord(**values)


def feature(day: dt.date, count: int = 1, upvotes: int = 0, **fields) -> list[Paper]:
    """Write ``count`` new papers featured on ``day`` by Hugging Face, and score them."""
    records = [
        DailyEntryRecord(paper=paper_record(**fields), date=day, upvotes=upvotes + i, submitted_by="hf-user")
        for i in range(count)
    ]
    write_batch(records, fetched_at=timezone.now())
    papers = list(Paper.objects.filter(arxiv_id__in=[r.paper.arxiv_id for r in records]))
    refresh_papers([p.pk for p in papers])
    return papers

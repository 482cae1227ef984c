"""Test data for the web tests: papers written through the real upsert.

The fixtures (users, logged-in clients, the loopback arXiv API) live in tests/conftest.py:
a test names them as arguments, never imports them."""

from __future__ import annotations

import datetime as dt
import gzip
import io
import itertools
import json

from django.core.management import call_command
from django.utils import timezone

from dailypapers.community.community_stats import refresh_papers
from dailypapers.ingest.records import DailyEntryRecord, PaperRecord
from dailypapers.store.models import Paper
from dailypapers.store.upsert import write_batch
from tests.conftest import DATA

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


def import_real_days(tmp_path, first: str, last: str) -> None:
    """Hugging Face's real daily lists from ``first`` to ``last`` and those papers' arXiv metadata
    (categories, comments) from the arXiv file, through the real `import`."""
    ids: set[str] = set()
    folder = tmp_path / f"{first}_{last}"
    folder.mkdir()
    with (
        gzip.open(DATA / "hf-daily-papers" / "daily_papers_raw.jsonl.gz", "rt") as lists,
        gzip.open(folder / "hf.jsonl.gz", "wt") as out,
    ):
        for line in lists:
            if first <= line[10:20] <= last:  # {"date": "YYYY-MM-DD", ...
                out.write(line)
                ids.update(item["paper"]["id"] for item in json.loads(line)["response"] if isinstance(item, dict))
    found = 0
    with (
        gzip.open(DATA / "arxiv-cs-daily-2025-2026" / "papers.jsonl.gz", "rt") as papers,
        gzip.open(folder / "papers.jsonl.gz", "wt") as out,
    ):
        for line in papers:
            if line[8:18] in ids:  # {"id": "2605.01234", ...
                out.write(line)
                found += 1
    paths = [folder / "papers.jsonl.gz"] if found else []  # the arXiv file ends on 2026-07-01
    call_command(
        "import", *map(str, paths + [folder / "hf.jsonl.gz"]), no_index=True, stdout=io.StringIO(), stderr=io.StringIO()
    )

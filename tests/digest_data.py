"""Test data for digest tests: papers written through the real upsert, and subscribers."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import uuid
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DAY = dt.date(2026, 6, 30)  # a Tuesday listing
PERIOD = "daily:2026-06-30"
TOPICS = [
    ("cs.CL", "Large language model agents for tool use"),
    ("cs.CV", "Diffusion models for video generation"),
    ("cs.LG", "Graph neural networks at scale"),
    ("cs.CL", "Retrieval augmented generation with long context"),
    ("cs.CV", "Open vocabulary object detection"),
]


def make_papers(count: int = 30, day: dt.date = DAY) -> list[str]:
    """``count`` papers announced on ``day`` with Hugging Face upvotes and a trending score."""
    from dailypapers.ingest.records import DailyEntryRecord, PaperRecord
    from dailypapers.store.models import Paper, PaperStats
    from dailypapers.store.upsert import write_batch

    records = []
    ids = []
    for i in range(count):
        category, topic = TOPICS[i % len(TOPICS)]
        arxiv_id = f"{day:%y%m}.{10000 + i:05d}"
        ids.append(arxiv_id)
        paper = PaperRecord(
            arxiv_id=arxiv_id,
            title=f"{topic}, part {i}",
            source="test",
            abstract=f"We study {topic.lower()} in setting {i}. Results improve on prior work. More text follows.",
            authors=["A. Author", "B. Author"],
            categories=[category, "cs.AI"],
            announced=day,
        )
        records.append(paper)
        records.append(DailyEntryRecord(paper=paper, date=day, upvotes=count - i))
    write_batch(records, dt.datetime(2026, 6, 30, 12, tzinfo=dt.timezone.utc))
    papers = Paper.objects.in_bulk(ids, field_name="arxiv_id")
    PaperStats.objects.bulk_create(
        [
            PaperStats(paper=papers[a], hf_votes=count - i, community_votes=i % 3, trending_score=float(count - i))
            for i, a in enumerate(ids)
        ],
        ignore_conflicts=True,
    )
    return ids


def make_subscriber(email: str, status: str = "active", **prefs):
    from dailypapers.digest.models import Subscriber

    return Subscriber.objects.create(email=email, status=status, **prefs)


def seed(subscribers: int, papers: int = 30) -> None:
    """Papers plus ``subscribers`` active daily subscribers s0@example.org ... (for subprocess tests)."""
    from dailypapers.digest.models import Subscriber

    make_papers(papers)
    Subscriber.objects.bulk_create(
        [Subscriber(email=f"s{i}@example.org", status="active", top_n=3) for i in range(subscribers)]
    )


@contextmanager
def external_database(tmp_path: Path):
    """A fresh, migrated database other processes can open; yields their environment.

    SQLite: a file in a fresh DAILYPAPERS_HOME. PostgreSQL (DATABASE_URL set): a new
    database on the same server, dropped afterwards.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("DAILYPAPERS_") and k != "DATABASE_URL"}
    env["DAILYPAPERS_HOME"] = str(tmp_path / "home")
    env["DAILYPAPERS_DIGEST_RATE"] = "0"
    url = os.environ.get("DATABASE_URL", "")
    name = None
    if url.startswith("postgres"):
        import psycopg

        name = f"dp_digest_{uuid.uuid4().hex[:10]}"
        base, _, _ = url.rpartition("/")
        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        env["DATABASE_URL"] = f"{base}/{name}"
    try:
        run_cli(env, "migrate", "-v0")
        yield env
    finally:
        if name:
            import psycopg

            with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "dailypapers.cli.main", *args]


def run_cli(env: dict, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(cli(*args), env=env, cwd=ROOT, capture_output=True, text=True, check=check, timeout=300)


def run_python(env: dict, code: str) -> subprocess.CompletedProcess:
    """Run ``code`` with Django set up against ``env``'s database."""
    prelude = (
        f"import sys, django, os; sys.path.insert(0, {str(ROOT / 'tests')!r}); "
        "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'dailypapers.settings'); django.setup()\n"
    )
    return subprocess.run(
        [sys.executable, "-c", prelude + code],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )

"""Fixtures for the web tests: papers written through the real upsert, users, logged-in clients."""

from __future__ import annotations

import datetime as dt
import http.server
import itertools
import threading

import pytest
from django.utils import timezone

from dailypapers.ingest.records import DailyEntryRecord, PaperRecord
from dailypapers.web.services.community_stats import refresh_papers
from dailypapers.store.models import Paper
from dailypapers.store.upsert import write_batch
from tests.conftest import DATA

RECORDED = DATA / "arxiv-raw-formats" / "api-atom" / "search_deep_dream_start0.atom"

_ids = itertools.count(1)


def paper_record(arxiv_id: str | None = None, **fields) -> PaperRecord:
    number = next(_ids)
    values = dict(
        arxiv_id=arxiv_id or f"2501.{number:05d}", title=f"Paper number {number}", source="test",
        abstract=f"Abstract of paper {number} about transformers.", authors=["Ada Lovelace", "Alan Turing"],
        categories=["cs.LG", "cs.AI"], first_submitted=dt.datetime(2025, 1, 2, tzinfo=dt.timezone.utc),
    )
    values.update(fields)
    return PaperRecord(**values)


def feature(day: dt.date, count: int = 1, upvotes: int = 0, **fields) -> list[Paper]:
    """Write ``count`` new papers featured on ``day`` by Hugging Face, and score them."""
    records = [DailyEntryRecord(paper=paper_record(**fields), date=day, upvotes=upvotes + i,
                                submitted_by="hf-user") for i in range(count)]
    write_batch(records, fetched_at=timezone.now())
    papers = list(Paper.objects.filter(arxiv_id__in=[r.paper.arxiv_id for r in records]))
    refresh_papers([p.pk for p in papers])
    return papers


@pytest.fixture
def make_user(django_user_model):
    def make(name: str = "alice", password: str = "correct horse battery", **extra):
        return django_user_model.objects.create_user(username=name, email=f"{name}@example.org",
                                                     password=password, **extra)
    return make


@pytest.fixture
def alice(make_user):
    return make_user("alice")


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


@pytest.fixture
def arxiv_api(settings):
    """A loopback HTTP server answering every query with a recorded arXiv API response."""
    body = RECORDED.read_bytes()
    requests: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            requests.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "application/atom+xml")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.CONFIG = {**settings.CONFIG, "DAILYPAPERS_ARXIV_DELAY": 0.0,
                       "DAILYPAPERS_ARXIV_API_URL": f"http://127.0.0.1:{server.server_port}/api/query"}
    yield requests
    server.shutdown()


@pytest.fixture(autouse=True)
def no_page_cache(settings):
    """Pages are rendered fresh in tests (autouse wherever this module's fixtures are imported)."""
    settings.PAGE_CACHE_SECONDS = 0
    from django.core.cache import caches

    caches["pages"].clear()

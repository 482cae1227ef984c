"""Every shared fixture lives here: the real data, fresh data directories and search indexes,
the CLI, users and logged-in clients, a loopback arXiv API, a loopback SMTP server.

tests/web_fixtures.py, tests/search_fixtures.py and tests/digest_data.py hold test data and
helpers (and re-export these fixtures' names for modules that import them from there)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
RECORDED = DATA / "arxiv-raw-formats" / "api-atom" / "search_deep_dream_start0.atom"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    if not DATA.is_dir():
        pytest.fail(f"the shared data folder is missing: {DATA}")
    return DATA


@pytest.fixture(autouse=True)
def fresh_search_index(tmp_path_factory, monkeypatch):
    """Each test gets a fresh database, so it gets its own search index directory too
    (an index left by another test's rolled-back papers would answer for this one)."""
    from django.conf import settings

    if settings.configured:
        monkeypatch.setattr(settings, "SEARCH_INDEX_DIR", tmp_path_factory.mktemp("index"))


def dailypapers_env(home: Path, **extra: str) -> dict[str, str]:
    """Environment for a `dailypapers` subprocess with its own data directory (SQLite unless DATABASE_URL)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DAILYPAPERS_")}
    env.pop("DATABASE_URL", None)
    env["DAILYPAPERS_HOME"] = str(home)
    env.update(extra)
    return env


def run_cli(*args: str, env: dict[str, str], timeout: float = 300, check: bool = True) -> subprocess.CompletedProcess:
    """Run the real console entry point in a subprocess."""
    result = subprocess.run(
        [sys.executable, "-m", "dailypapers.cli.main", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"dailypapers {' '.join(args)} exited {result.returncode}\n{result.stdout}\n{result.stderr}"
        )
    return result


@pytest.fixture
def scratch_databases(tmp_path):
    """Factory of fresh, empty databases for subprocesses: SQLite files, or new PostgreSQL
    databases when the suite runs on PostgreSQL (dropped afterwards)."""
    url = os.environ.get("DATABASE_URL", "")
    created: list[str] = []
    base = url.rsplit("/", 1)[0]

    def make(label: str = "scratch") -> str:
        if not url.startswith(("postgres://", "postgresql://")):
            return f"sqlite:///{tmp_path / (label + '.sqlite3')}"
        import psycopg

        name = f"dp_{label}_{os.getpid()}_{len(created)}"
        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        created.append(name)
        return f"{base}/{name}"

    yield make
    if created:
        import psycopg

        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            for name in created:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def sql_rows(database_url: str, query: str) -> list[tuple]:
    """Run one read query against a scratch database (outside Django's connection)."""
    if database_url.startswith("sqlite:///"):
        import sqlite3

        with sqlite3.connect(database_url[len("sqlite:///") :], timeout=30) as conn:
            return conn.execute(query).fetchall()
    import psycopg

    with psycopg.connect(database_url) as conn:
        return conn.execute(query).fetchall()


@pytest.fixture
def search_index(settings, tmp_path):
    """This test's own index directory (the database is fresh per test, so must the index be).
    Searches never write the index: a test brings it up to date with indexer.catch_up()."""
    settings.SEARCH_INDEX_DIR = tmp_path / "index"
    return settings.SEARCH_INDEX_DIR


@pytest.fixture
def make_user(django_user_model):
    def make(name: str = "alice", password: str = "correct horse battery", **extra):
        return django_user_model.objects.create_user(
            username=name, email=f"{name}@example.org", password=password, **extra
        )

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
    import http.server
    import threading

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
    settings.CONFIG = {
        **settings.CONFIG,
        "DAILYPAPERS_ARXIV_DELAY": 0.0,
        "DAILYPAPERS_ARXIV_API_URL": f"http://127.0.0.1:{server.server_port}/api/query",
    }
    yield requests
    server.shutdown()


@pytest.fixture(autouse=True)
def no_page_cache(settings):
    """Pages are rendered fresh in tests (a test that measures the cache turns it on itself)."""
    settings.PAGE_CACHE_SECONDS = 0
    from django.core.cache import caches

    caches["pages"].clear()


@pytest.fixture
def sink(settings):
    """A live aiosmtpd server on loopback, with Django's email settings pointing at it."""
    from smtp_sink import SmtpSink

    server = SmtpSink().start()
    for name, value in server.settings().items():
        setattr(settings, name, value)
    settings.BASE_URL = "http://testserver"
    yield server
    server.stop()

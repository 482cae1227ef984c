"""Every shared fixture lives here: the real data, fresh data directories and search indexes,
the CLI, users and logged-in clients, a loopback arXiv API, a loopback SMTP server.

Test modules use these fixtures by naming them as arguments, never by importing them.
tests/web_fixtures.py, tests/search_fixtures.py and tests/digest_data.py hold test data and
helpers only. How to run the suite and keep a test parallel-safe: docs/testing.md."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
RECORDED = DATA / "arxiv-raw-formats" / "api-atom" / "search_deep_dream_start0.atom"
SETTINGS_MODULE = "dailypapers.settings"


def _private_home() -> Path:
    """A fresh DAILYPAPERS_HOME for this process (the main one, or one xdist worker), set before
    Django's settings read it: a plain `pytest` must never open the user's data folder, and two
    workers must never share a SQLite file, a search index or collected static files.

    This is why pyproject's pytest section names no DJANGO_SETTINGS_MODULE: pytest-django would
    load the settings before this file is imported. The variable is dropped again once they are
    loaded, so that the xdist workers this process starts load theirs here too, each with its own
    home (every subprocess a test starts names the settings module itself)."""
    from django.conf import settings

    if settings.configured and getattr(settings, "TESTS_PRIVATE_HOME", None):
        return settings.TESTS_PRIVATE_HOME  # this file imported again, as tests.conftest
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    home = Path(tempfile.mkdtemp(prefix=f"dailypapers-test-{worker}-"))
    if settings.configured:
        shutil.rmtree(home)
        pytest.exit(
            f"Django settings were loaded before tests/conftest.py (DJANGO_SETTINGS_MODULE or --ds given),"
            f" so this run would use the data folder {settings.HOME}: unset DJANGO_SETTINGS_MODULE",
            returncode=4,
        )
    os.environ["DAILYPAPERS_HOME"] = str(home)
    os.environ.pop("DAILYPAPERS_CONFIG", None)  # a user's config file may name their real database
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS_MODULE
    try:
        settings.DATABASES  # noqa: B018  (loads them now; pytest-django then sets Django up from them)
    finally:
        del os.environ["DJANGO_SETTINGS_MODULE"]
    settings.TESTS_PRIVATE_HOME = home
    return home


HOME = _private_home()


def pytest_unconfigure(config):
    shutil.rmtree(HOME, ignore_errors=True)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Node ids pytest-xdist can schedule by, in its workers (it tells items apart by node id):
    - schemathesis gives every operation's item the test's node id (only the names differ), so
      one operation of 22 ran;
    - xdist 3.8 puts an xdist_group's "@name" into `item._nodeid`, which pytest 9.2's nodes no
      longer read (they keep a NodeId in `item._id`), so `--dist loadgroup` split the group."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return
    for item in items:
        nodeid = item.nodeid
        if getattr(item, "operation_label", None) and "[" not in nodeid:
            nodeid = f"{item.parent.nodeid}::{item.name}"
        group = item.get_closest_marker("xdist_group")
        if group and config.getoption("loadgroup", False):
            nodeid += "@" + (group.args[0] if group.args else group.kwargs.get("name", "default"))
        if nodeid != item.nodeid:
            _set_node_id(item, nodeid)


def _set_node_id(item, nodeid: str) -> None:
    try:
        from _pytest.nodeid import NodeId
    except ImportError:  # before pytest 9.2 the id is a plain string
        item._nodeid = nodeid
    else:
        item._id = NodeId.parse(nodeid)


def _fast_password_hasher() -> list[str]:
    """Argon2 costs most of a second per password on a loaded 2-core machine, and a hundred tests
    make users: MD5 hashes the passwords tests set. Argon2 stays second so its hashes still verify;
    a test of Argon2 itself asks for the ``argon2_hasher`` fixture. Returns the production list."""
    from django.conf import settings

    fast = "django.contrib.auth.hashers.MD5PasswordHasher"
    production = [name for name in settings.PASSWORD_HASHERS if name != fast]
    settings.PASSWORD_HASHERS = [fast, *production]
    return production


PRODUCTION_PASSWORD_HASHERS = _fast_password_hasher()


@pytest.fixture
def argon2_hasher(settings):
    """The production password hashers (Argon2 first), for tests of the hashing itself."""
    settings.PASSWORD_HASHERS = PRODUCTION_PASSWORD_HASHERS


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

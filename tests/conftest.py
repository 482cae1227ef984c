"""Shared fixtures: where the real data lives, fresh data directories, the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"


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
        env=env, capture_output=True, text=True, timeout=timeout,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"dailypapers {' '.join(args)} exited {result.returncode}\n{result.stdout}\n{result.stderr}")
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

        with sqlite3.connect(database_url[len("sqlite:///"):], timeout=30) as conn:
            return conn.execute(query).fetchall()
    import psycopg

    with psycopg.connect(database_url) as conn:
        return conn.execute(query).fetchall()

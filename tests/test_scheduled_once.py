"""Scheduled work runs once however many workers run: sync under one lock (an advisory lock on
PostgreSQL, a file lock on SQLite); a second worker that finds it taken leaves the round alone."""

from __future__ import annotations

import os

import pytest

from dailypapers.cli.jobs import SyncRound
from dailypapers.store import locks


def hold_elsewhere(name: str):
    """Take lock ``name`` the way another worker would: its own connection, or its own open file."""
    from django.conf import settings
    from django.db import connection

    if connection.vendor == "postgresql":
        import psycopg

        db = settings.DATABASES["default"]
        other = psycopg.connect(
            host=db["HOST"] or None, port=db["PORT"] or None, user=db["USER"], dbname=connection.settings_dict["NAME"]
        )
        other.execute("SELECT pg_advisory_lock(%s)", [locks._key(name)])
        return other.close
    import fcntl

    path = settings.HOME / "locks" / f"{name}.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "a+")  # noqa: SIM115 - held until release
    fcntl.flock(handle, fcntl.LOCK_EX)
    return handle.close


@pytest.mark.django_db(transaction=True)
def test_a_second_worker_leaves_sync_to_the_one_holding_it(settings, tmp_path):
    settings.HOME = tmp_path
    said: list[str] = []
    release = hold_elsewhere("sync")
    try:
        with locks.exclusive("sync") as mine:
            assert mine is False
        SyncRound(said.append)()
    finally:
        release()
    assert said == ["sync: another worker is syncing now; this one leaves it to that one"]
    with locks.exclusive("sync") as mine:
        assert mine is True, "free again once the other worker let go"
        with locks.exclusive("sync") as nested_elsewhere:
            # Held: a second holder in the same process is refused as well on SQLite (per open
            # file) and allowed on PostgreSQL only for the same session, which never syncs twice.
            assert nested_elsewhere is (os.environ.get("DATABASE_URL", "").startswith("postgres"))

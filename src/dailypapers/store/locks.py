"""One holder at a time for a scheduled job, however many workers run (sync, on every machine).

PostgreSQL: a session advisory lock (``pg_try_advisory_lock``), held by the worker's connection
and released when the job ends or the connection dies, so a killed worker never leaves it
taken. SQLite (one machine): an exclusive ``flock`` on a file in the data folder, released by
the kernel when the process ends. Digests and saved-search mail need neither: each mail is
claimed by a conditional update of its own row (the exactly-once ledger and ``alerts._claim``).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings
from django.db import connection


def _key(name: str) -> int:
    return int.from_bytes(hashlib.sha256(f"dailypapers:{name}".encode()).digest()[:8], "big", signed=True)


@contextlib.contextmanager
def exclusive(name: str) -> Iterator[bool]:
    """Yield True when this process now holds lock ``name``, False when another holds it (skip)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [_key(name)])
            held = bool(cursor.fetchone()[0])
        try:
            yield held
        finally:
            if held:
                with contextlib.suppress(Exception), connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s)", [_key(name)])
        return
    with file_lock(settings.HOME / "locks" / f"{name}.lock", wait=False) as held:
        yield held


@contextlib.contextmanager
def file_lock(path: Path, wait: bool) -> Iterator[bool]:
    """An exclusive ``flock`` on ``path`` (created with its folder): yield True when held, False when
    another open file holds it and ``wait`` is off. The kernel releases it when the process ends."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)

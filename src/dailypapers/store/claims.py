"""Leases on shared work, so several workers on several machines split it through the database.

`dailypapers embed` and `dailypapers media fetch` read the work still to do, then claim a chunk
of it here before doing it: one ``INSERT ... ON CONFLICT DO UPDATE ... WHERE ... RETURNING``
statement, which both SQLite and PostgreSQL run atomically, returns exactly the items this worker
won. An item is free when no row names it, when its lease has run out, or when its worker was a
process on this host that is gone (``kill -9``: taken over at once, not after the lease). The
worker stores its results and deletes its rows in one transaction (:func:`release`), keeping only
the items it still held, so an item whose lease was taken over is stored once, by its new holder.

A claim table rather than ``SELECT ... FOR UPDATE SKIP LOCKED`` on the work's own rows: a row lock
lives only as long as a transaction, and holding one open while a model embeds a chunk (seconds
to minutes) would block every import writing those papers; a lease also works on SQLite.
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from collections.abc import Sequence

from django.db import connection

from dailypapers.store.models import WorkClaim

HOST = socket.gethostname()
_TABLE = WorkClaim._meta.db_table
_BATCH = 2000  # rows per statement: 4 parameters each stays under SQLite's variable limit


def worker_id() -> str:
    """'host:pid:random' — the host and pid let a worker on the same host see a dead claimant."""
    return f"{HOST}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _dead_local_workers(kind: str, now: float) -> list[str]:
    dead = []
    for worker in WorkClaim.objects.filter(kind=kind, expires__gte=now).values_list("worker", flat=True).distinct():
        host, _, rest = worker.partition(":")
        pid = rest.partition(":")[0]
        if host != HOST or not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            dead.append(worker)
        except PermissionError:
            pass  # alive, another user's process
    return dead


def claim(kind: str, items: Sequence[str], worker: str, lease: float) -> set[str]:
    """Claim ``items`` of ``kind`` for ``lease`` seconds; return those this worker now holds
    (free ones, and ones it already held). Runs in its own short transaction unless inside one."""
    if not items:
        return set()
    now = time.time()
    dead = _dead_local_workers(kind, now)
    won: set[str] = set()
    taken_over = f"{_TABLE}.expires < %s OR {_TABLE}.worker = %s"
    if dead:
        taken_over += f" OR {_TABLE}.worker IN ({', '.join(['%s'] * len(dead))})"
    with connection.cursor() as cursor:
        for start in range(0, len(items), _BATCH):
            batch = items[start : start + _BATCH]
            cursor.execute(
                f"INSERT INTO {_TABLE} (kind, item, worker, expires) VALUES "
                + ", ".join(["(%s, %s, %s, %s)"] * len(batch))
                + " ON CONFLICT (kind, item) DO UPDATE SET worker = excluded.worker, expires = excluded.expires"
                + f" WHERE {taken_over} RETURNING item",
                [v for item in batch for v in (kind, item, worker, now + lease)] + [now, worker, *dead],
            )
            won.update(row[0] for row in cursor.fetchall())
    return won


def release(kind: str, items: Sequence[str], worker: str) -> set[str]:
    """Delete this worker's claims on ``items``; return the items it still held. Call it in the
    transaction that stores the work, and store only what it returns."""
    held: set[str] = set()
    with connection.cursor() as cursor:
        for start in range(0, len(items), _BATCH):
            batch = items[start : start + _BATCH]
            cursor.execute(
                f"DELETE FROM {_TABLE} WHERE kind = %s AND worker = %s AND item IN ({', '.join(['%s'] * len(batch))})"
                " RETURNING item",
                [kind, worker, *batch],
            )
            held.update(row[0] for row in cursor.fetchall())
    return held

"""Reads that tolerate lag go to the PostgreSQL hot standby (DATABASE_REPLICA_URL); all else to the primary.

Only what a web request marks as lag-tolerant is read from the standby (see
web/replica.py: safe requests from a browser that has not written in the last few seconds).
Commands, the worker, writes and everything inside a transaction read the primary, so a
read-modify-write never mixes a stale read with a fresh write.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar

from django.db import connections

REPLICA = "replica"
_replica_reads: ContextVar[bool] = ContextVar("dailypapers_replica_reads", default=False)


@contextlib.contextmanager
def replica_reads() -> Iterator[None]:
    """Within this block, reads outside a transaction may be served by the standby."""
    token = _replica_reads.set(True)
    try:
        yield
    finally:
        _replica_reads.reset(token)


class PrimaryReplicaRouter:
    """Django database router: the standby for marked reads, the primary for everything else."""

    def db_for_read(self, model, **hints):
        if _replica_reads.get() and not connections["default"].in_atomic_block:
            return REPLICA
        return "default"

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True  # one database, two copies of it

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == "default"  # the standby follows by streaming replication

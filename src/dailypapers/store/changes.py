"""The change feed derived indexes follow (PaperChange), and the write lock that orders it.

Every store function that writes a paper (or something an index shows of it: visibility,
vote totals, its embedding) first calls :func:`begin_write`, then appends its changes with
:func:`record`, all in one transaction.

Ordering rule: feed ids are allocated while holding the paper write lock, which is held
until the transaction ends. So when a reader sees feed id N committed, every id below N is
either committed too or was rolled back (a gap, never filled later): a reader that
remembers the highest id it applied never skips a change, even on PostgreSQL where
concurrent transactions could otherwise commit sequence values out of order. Dialect
differences live here: SQLite's write lock is the IMMEDIATE transaction itself (settings);
PostgreSQL takes an advisory lock held to the end of the transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import NamedTuple

from django.db import connection
from django.db.models import Max
from django.utils import timezone

from dailypapers.store.bulk import insert_values
from dailypapers.store.guard import paper_writes
from dailypapers.store.models import PaperChange

__all__ = ["Change", "begin_write", "changes_after", "last_change_id", "paper_writes", "record"]

# Arbitrary constant naming the advisory lock that serialises paper writers on PostgreSQL.
_PG_WRITE_LOCK = 0x6461696C79  # "daily"


class Change(NamedTuple):
    id: int
    paper_id: int
    arxiv_id: str
    kind: str


def begin_write() -> int:
    """Take the paper write lock (until the current transaction ends); return the stamp for
    ``Paper.change_seq`` of papers whose metadata this transaction changes (grows per writer).

    Must be called inside ``transaction.atomic()``; calling it again in the same transaction is harmless.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("begin_write() needs an open transaction")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_PG_WRITE_LOCK])
    return last_change_id() + 1


def record(papers: Iterable[tuple[int, str]], kind: str, at: dt.datetime | None = None) -> int:
    """Append one ``kind`` change per (paper pk, arxiv id); return how many. Needs begin_write() first."""
    if kind not in dict(PaperChange.KINDS):
        raise ValueError(f"unknown change kind {kind!r}")
    at = at or timezone.now()
    rows = [(pk, arxiv_id, kind, at) for pk, arxiv_id in papers]
    insert_values(PaperChange, ["paper_id", "arxiv_id", "kind", "at"], rows)
    return len(rows)


def last_change_id() -> int:
    """The highest feed id committed so far (0 for an empty feed)."""
    return PaperChange.objects.aggregate(top=Max("id"))["top"] or 0


def changes_after(cursor: int, limit: int) -> list[Change]:
    """At most ``limit`` changes past ``cursor``, oldest first."""
    rows = PaperChange.objects.filter(id__gt=cursor).order_by("id").values_list("id", "paper_id", "arxiv_id", "kind")
    return [Change(*row) for row in rows[:limit]]

"""The change log derived indexes follow.

Every write to a Paper row stamps it with a ``change_seq`` taken under the database's
write lock, so sequence numbers commit in order: an indexer that remembers the highest
number it has applied never misses a row, and after a crash it simply continues.
Dialect differences live here: SQLite's write lock is the IMMEDIATE transaction itself;
PostgreSQL needs an advisory lock held to the end of the transaction.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import Max, Q

# Arbitrary constant naming the advisory lock that serialises Paper writers on PostgreSQL.
_PG_WRITE_LOCK = 0x6461696C79  # "daily"


def next_change_seq() -> int:
    """Take the paper write lock (until the current transaction ends) and return the next sequence number.

    Must be called inside ``transaction.atomic()``.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("next_change_seq() needs an open transaction")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_PG_WRITE_LOCK])
    return current_change_seq() + 1


def current_change_seq() -> int:
    """The highest change sequence number committed so far (0 for an empty store)."""
    from dailypapers.store.models import Paper

    return Paper.objects.aggregate(top=Max("change_seq"))["top"] or 0


def changed_after(seq: int, last_id: int = 0):
    """Papers written after position (seq, last_id), in (change_seq, id) order: the log indexers follow.

    One import batch shares a sequence number, so the id breaks ties for a reader that
    stopped part-way through a batch."""
    from dailypapers.store.models import Paper

    return Paper.objects.filter(Q(change_seq__gt=seq) | Q(change_seq=seq, id__gt=last_id)).order_by("change_seq", "id")

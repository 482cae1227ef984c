"""Where the limiter keeps its counters (settings.RATELIMIT_STORE names the class).

A store counts one request in a window and says where the window stands, atomically: two
workers counting the same client at once must both be seen. The database store is the
default (every gunicorn worker shares it, nothing evicts it early); with DAILYPAPERS_CACHE_URL
the Redis store counts in Redis and falls back to the database while Redis is away.
"""

from __future__ import annotations

import random
from typing import Protocol

import redis
from django.conf import settings
from django.db import connection, transaction

from dailypapers.cache import SOCKET_TIMEOUTS, RedisPause
from dailypapers.ratelimit.models import RateCounter

# Rows whose window is over are deleted by one new window in PRUNE_EVERY (chosen at random, so
# no client can steer clear of it), at most PRUNE_BATCH of them: 1,000 / 16, about 60 rows per
# new window, far more than the two or three one request adds, so the table stays near the
# number of live windows, and no request does unbounded work.
PRUNE_BATCH = 1000
PRUNE_EVERY = 16


class CounterStore(Protocol):
    def count(self, slot: str, seconds: int, now: float) -> tuple[float, int]:
        """Count one request in ``slot``'s window (a new window of ``seconds`` if none is open
        at ``now``); return the window's end (unix time) and its count including this one."""
        ...

    def clear(self) -> None:
        """Forget every counter (an operator unlocking everyone; tests)."""
        ...


class DatabaseStore:
    """One row per window in ``ratelimit_counter``, counted by one upsert statement.

    ``INSERT … ON CONFLICT DO UPDATE … RETURNING`` is atomic on PostgreSQL (the row is locked
    while it is updated) and on SQLite (one writer at a time), and both spell it the same, so
    no request is lost under concurrency and no dialect code is needed.
    """

    _table = RateCounter._meta.db_table
    _upsert = (
        f"INSERT INTO {_table} (slot, started, expires, count) VALUES (%s, %s, %s, 1) "
        "ON CONFLICT (slot) DO UPDATE SET "
        f"count = CASE WHEN {_table}.expires <= excluded.started THEN 1 ELSE {_table}.count + 1 END, "
        f"started = CASE WHEN {_table}.expires <= excluded.started THEN excluded.started ELSE {_table}.started END, "
        f"expires = CASE WHEN {_table}.expires <= excluded.started THEN excluded.expires ELSE {_table}.expires END "
        "RETURNING expires, count"
    )
    _prune = (
        f"DELETE FROM {_table} WHERE slot IN "
        f"(SELECT slot FROM {_table} WHERE expires < %s ORDER BY expires LIMIT {PRUNE_BATCH})"
    )

    def count(self, slot: str, seconds: int, now: float) -> tuple[float, int]:
        if connection.vendor == "postgresql" and not connection.in_atomic_block:
            # A count on its own need not wait for the WAL flush, which every API read would pay
            # (on a loaded 2-core machine 9-17 ms a count, 4-9 ms without the wait): a crash may
            # lose the last few counts, never corrupt them. Inside a caller's transaction the
            # caller's durability is kept.
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
                expires, count = self._count(cursor, slot, seconds, now)
        else:
            with connection.cursor() as cursor:
                expires, count = self._count(cursor, slot, seconds, now)
        if count == 1 and random.randrange(PRUNE_EVERY) == 0:
            self.prune(now)
        return float(expires), int(count)

    def _count(self, cursor, slot: str, seconds: int, now: float) -> tuple[float, int]:
        cursor.execute(self._upsert, [slot, now, now + seconds])
        expires, count = cursor.fetchone()
        return expires, count

    def prune(self, now: float) -> int:
        """Delete up to PRUNE_BATCH counters whose window ended before ``now``; return how many."""
        with connection.cursor() as cursor:
            cursor.execute(self._prune, [now])
            return cursor.rowcount

    def clear(self) -> None:
        RateCounter.objects.all().delete()


class RedisStore:
    """Counters in Redis (DAILYPAPERS_CACHE_URL), shared by every web host without a database write.

    One pipeline per count: ``SET slot 0 EX seconds NX`` opens a window, ``INCR`` counts in it
    and ``PTTL`` says when it ends; Redis expires the window itself, and nothing evicts a key
    with a TTL before it while memory lasts (Redis's default policy evicts nothing). While Redis
    is unreachable the limits keep holding: counts go to the database table instead (for a
    few seconds after each failure), so an attacker gains nothing by taking Redis down.
    """

    def __init__(self) -> None:
        self._clients: dict[str, object] = {}
        self._pause = RedisPause("rate limits count in the database")
        self.fallback = DatabaseStore()

    def _client(self):
        url = settings.RATELIMIT_REDIS_URL
        if url not in self._clients:
            self._clients[url] = redis.Redis.from_url(url, **SOCKET_TIMEOUTS)
        return self._clients[url]

    def count(self, slot: str, seconds: int, now: float) -> tuple[float, int]:
        if self._pause.available:
            try:
                key = f"dp-rate:{slot}"
                pipe = self._client().pipeline(transaction=True)
                pipe.set(key, 0, ex=seconds, nx=True)
                pipe.incr(key)
                pipe.pttl(key)
                _, count, ttl_ms = pipe.execute()
                return now + max(ttl_ms, 0) / 1000, int(count)
            except redis.RedisError as exc:
                self._pause.failed("count", exc)
        return self.fallback.count(slot, seconds, now)

    def clear(self) -> None:
        try:
            client = self._client()
            keys = list(client.scan_iter("dp-rate:*"))
            if keys:
                client.delete(*keys)
        except redis.RedisError:
            pass
        self.fallback.clear()

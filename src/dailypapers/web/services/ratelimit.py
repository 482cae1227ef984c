"""Fixed-window rate limits counted in Django's cache.

The cache is a database table (settings.CACHES) so every gunicorn worker shares the
counters. Counting is read-then-write, so under a burst a few extra
requests may slip through; the limit is a brake on abuse, not an exact quota.
"""

from __future__ import annotations

import hashlib
import time

from django.core.cache import cache


class RateLimited(Exception):
    """Too many requests in the current window."""

    def __init__(self, retry_after: int):
        super().__init__(f"too many requests; try again in {retry_after} s")
        self.retry_after = retry_after


def parse_rate(rate: str) -> tuple[int, int]:
    """'10/300' -> (10 requests, 300 seconds)."""
    count, _, seconds = rate.partition("/")
    return int(count), int(seconds or 60)


def hit(scope: str, ident: str, rate: str) -> None:
    """Count one request by ``ident`` in ``scope``; raise RateLimited when over ``rate``.

    The window starts at the first request (not at a clock boundary), so a burst cannot
    straddle two windows and get twice the limit.
    """
    limit, window = parse_rate(rate)
    now = time.time()
    key = "rl:" + hashlib.sha256(f"{scope}:{ident}".encode()).hexdigest()[:32]
    started, count = cache.get(key) or (now, 0)
    if now - started >= window:
        started, count = now, 0
    count += 1
    cache.set(key, (started, count), int(started + window - now) + 1)
    if count > limit:
        raise RateLimited(retry_after=int(started + window - now) + 1)


def client_address(request) -> str:
    # REMOTE_ADDR: `dailypapers serve` is reached directly (or through a proxy that the
    # operator configures to rewrite it); X-Forwarded-For from clients is not trusted.
    return request.META.get("REMOTE_ADDR", "")

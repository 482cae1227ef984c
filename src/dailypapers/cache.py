"""Django's Redis cache, made to fail soft: Redis down costs speed, never an error page.

The cache only ever holds what can be rebuilt (rendered anonymous pages, copies of sessions whose
truth is the database), so a lost Redis turns every read into a miss and every write into a no-op.
After a failure the backend stops trying for a few seconds, so a dead Redis costs one short
connect timeout per process and pause, not one per request.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from django.core.cache.backends.redis import RedisCache

log = logging.getLogger(__name__)

# Seconds a process leaves Redis alone after an error (one warning per pause).
PAUSE_SECONDS = 5.0
# Short socket timeouts: a Redis call that waits longer than this costs more than going without.
SOCKET_TIMEOUTS = {"socket_connect_timeout": 0.25, "socket_timeout": 0.5}
DEFAULT_OPTIONS = {**SOCKET_TIMEOUTS, "retry_on_timeout": False}


class RedisPause:
    """After a failed Redis call, leave Redis alone for PAUSE_SECONDS, with one warning per pause."""

    def __init__(self, what: str) -> None:
        self.what = what
        self._until = 0.0
        self._lock = threading.Lock()

    @property
    def available(self) -> bool:
        return time.monotonic() >= self._until

    def failed(self, operation: str, exc: Exception) -> None:
        with self._lock:
            first = self.available
            self._until = time.monotonic() + PAUSE_SECONDS
        if first:
            log.warning("Redis is unreachable (%s: %s); %s for %.0f s", operation, exc, self.what, PAUSE_SECONDS)


class FailSoftRedisCache(RedisCache):
    """RedisCache whose every operation answers as a miss (or a no-op) while Redis is away."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        params = dict(params)
        params["OPTIONS"] = {**DEFAULT_OPTIONS, **params.get("OPTIONS", {})}
        super().__init__(server, params)
        self._pause = RedisPause("serving without the cache")

    @property
    def available(self) -> bool:
        return self._pause.available

    def _soft(self, operation: str, fallback: Any, call, *args, **kwargs) -> Any:
        if not self.available:
            return fallback
        try:
            return call(*args, **kwargs)
        except Exception as exc:  # redis.exceptions.RedisError and socket errors alike
            if isinstance(exc, (TypeError, ValueError)) and "redis" not in type(exc).__module__:
                raise  # our own mistake (e.g. an unpicklable value), not Redis being away
            self._pause.failed(operation, exc)
            return fallback

    def get(self, key, default=None, version=None):
        return self._soft("get", default, super().get, key, default, version)

    def get_many(self, keys, version=None):
        return self._soft("get_many", {}, super().get_many, keys, version)

    def has_key(self, key, version=None):
        return self._soft("has_key", False, super().has_key, key, version)

    def add(self, key, value, timeout=None, version=None):
        return self._soft("add", False, super().add, key, value, timeout, version)

    def set(self, key, value, timeout=None, version=None):
        self._soft("set", None, super().set, key, value, timeout, version)

    def set_many(self, data, timeout=None, version=None):
        return self._soft("set_many", list(data), super().set_many, data, timeout, version)

    def touch(self, key, timeout=None, version=None):
        return self._soft("touch", False, super().touch, key, timeout, version)

    def delete(self, key, version=None):
        return self._soft("delete", False, super().delete, key, version)

    def delete_many(self, keys, version=None):
        self._soft("delete_many", None, super().delete_many, keys, version)

    def incr(self, key, delta=1, version=None):
        # A counter that cannot be read is not a miss to be treated as zero: let the caller decide.
        return super().incr(key, delta, version)

    def clear(self):
        return self._soft("clear", False, super().clear)

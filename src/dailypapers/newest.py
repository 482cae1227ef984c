"""A per-process map that keeps only its newest entries: the shape both of the list pages'
in-process stores need (web/services/cards.py's card bodies, web/context.py).

Reads take no lock (a dict read is atomic in CPython); writes do. Every such map is emptied
when a setting changes, so tests that override settings never see entries made under others.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Hashable, Mapping
from typing import Any

from django.core.signals import setting_changed

_every: weakref.WeakSet[Newest] = weakref.WeakSet()


class Newest:
    """Up to ``size`` entries; past that, the oldest written goes first."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()
        _every.add(self)

    def get(self, key: Hashable) -> Any:
        """The value kept under ``key``, or None."""
        return self._entries.get(key)

    def put(self, entries: Mapping[Hashable, Any]) -> None:
        with self._lock:
            self._entries.update(entries)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def _forget_all(**kwargs) -> None:
    for kept in list(_every):
        kept.clear()


setting_changed.connect(_forget_all)

"""The flag that lets the store's own write functions write Paper rows (and nothing else can).

Kept in its own module so models.py can check it without importing the write functions.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_writing: ContextVar[bool] = ContextVar("dailypapers_paper_writes", default=False)


class BarePaperWrite(RuntimeError):
    """A Paper row was written outside the store's write functions (it would never reach the feed)."""


@contextmanager
def paper_writes() -> Iterator[None]:
    """Allow Paper writes for the block; only dailypapers.store's write functions use this."""
    token = _writing.set(True)
    try:
        yield
    finally:
        _writing.reset(token)


def require_paper_writes(what: str) -> None:
    if not _writing.get():
        raise BarePaperWrite(
            f"{what} outside the store's write functions: use dailypapers.store (upsert.write_batch, "
            "papers.save_paper, moderation.set_paper_hidden) so the change reaches the change feed."
        )

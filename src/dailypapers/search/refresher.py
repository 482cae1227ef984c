"""Keeps this machine's search indexes fresh from inside a long-running process.

The web server starts one :class:`Refresher` thread per worker process (`dailypapers serve`
wires it through gunicorn's ``post_worker_init``; nothing starts at import). Every
``DAILYPAPERS_SEARCH_REFRESH_SECONDS`` it asks the feed whether changes are pending (one
cheap query) and, if so, catches up; the indexer's writer lock lets one process of the
machine do the work while the others skip. Searches themselves never write. While
`dailypapers embed` runs on this machine, a backlog of new vectors alone is left to it: it
indexes them itself between chunks, at its low priority, instead of a web process saving
vector files between two requests.
"""

from __future__ import annotations

import logging
import threading

from django.conf import settings
from django.db import close_old_connections, connection

from dailypapers.search import indexer

log = logging.getLogger(__name__)


def refresh_once() -> indexer.CatchUpResult | None:
    """Catch up if the feed holds changes past this machine's cursor; None when nothing was pending."""
    if not indexer.pending():
        return None
    if indexer.embedder_running() and indexer.only_embeddings_pending():
        return None  # the embedder indexes its own vectors, at its own low priority
    return indexer.catch_up()


class Refresher(threading.Thread):
    def __init__(self, interval: float):
        super().__init__(name="search-refresher", daemon=True)
        self.interval = interval
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(self.interval):
            try:
                close_old_connections()
                refresh_once()
            except Exception:  # a failed pass must not end the thread: the next one retries
                log.exception("search index refresh failed")
            finally:
                connection.close()

    def stop(self) -> None:
        self.stopped.set()


def start() -> Refresher | None:
    """Start the refresher thread (None when DAILYPAPERS_SEARCH_REFRESH_SECONDS is 0)."""
    interval = settings.SEARCH_REFRESH_SECONDS
    if interval <= 0:
        return None
    thread = Refresher(interval)
    thread.start()
    return thread

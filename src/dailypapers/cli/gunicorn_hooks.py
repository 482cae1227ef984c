"""gunicorn hooks for `dailypapers serve` (loaded with ``--config python:dailypapers.cli.gunicorn_hooks``)."""

from __future__ import annotations

import logging


def post_worker_init(worker) -> None:
    """Each worker keeps this machine's search indexes fresh from a background thread, so a
    search request never writes them (the indexer's writer lock lets one worker work at a time)."""
    import django

    django.setup()
    from dailypapers.search.refresher import start

    worker.search_refresher = start()
    # uvicorn's worker writes the access log through gunicorn's handlers, without a time: add it.
    for handler in logging.getLogger("uvicorn.access").handlers:
        handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))

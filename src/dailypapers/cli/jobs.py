"""The worker's small jobs from every part, run every DAILYPAPERS worker wake-up (cli may import
all parts; digest/worker.py only knows its own outbox)."""

from __future__ import annotations

from dailypapers.digest import outbox, worker


def run_jobs() -> dict[str, object]:
    from dailypapers.community import submissions  # waiting submissions go through the site's ingest path

    return worker.run_jobs((("outbox", outbox.send_due), ("submissions", submissions.fetch_pending)))

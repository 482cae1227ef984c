"""The worker's small jobs from every part, run every DAILYPAPERS worker wake-up (cli may import
all parts; digest/worker.py only knows its own outbox)."""

from __future__ import annotations

from dailypapers.digest import outbox, worker


def run_jobs() -> dict[str, object]:
    from dailypapers.community import submissions  # waiting submissions go through the site's ingest path
    from dailypapers.library import (
        alerts,  # saved searches mailed on their own daily/weekly period
        imports,  # collection imports too large for a web request
    )

    return worker.run_jobs(
        (
            ("outbox", outbox.send_due),
            ("submissions", submissions.fetch_pending),
            ("searches", alerts.send_due),
            ("imports", imports.run_pending),
        )
    )

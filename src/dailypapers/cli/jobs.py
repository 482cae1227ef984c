"""The worker's small jobs from every part, run every DAILYPAPERS worker wake-up (cli may import
all parts; digest/worker.py only knows its own outbox), and the image fetching beside them."""

from __future__ import annotations

import logging
import threading

from dailypapers.digest import outbox, worker

log = logging.getLogger("dailypapers.worker")

MEDIA_PER_ROUND = 200  # images tried per round at most (a first import queues ~20,000)


def run_jobs() -> dict[str, object]:
    from dailypapers.community import submissions  # waiting submissions go through the site's ingest path
    from dailypapers.library import alerts  # saved searches mailed on their own daily/weekly period

    return worker.run_jobs(
        (("outbox", outbox.send_due), ("submissions", submissions.fetch_pending), ("searches", alerts.send_due))
    )


class MediaThread(threading.Thread):
    """Fetches the queued images round after round in a thread of its own, so sync, digests and mails
    never wait on an image host, and a failed sync does not stop it. Each round is bounded by
    DAILYPAPERS_MEDIA_ROUND_DEADLINE (and MEDIA_PER_ROUND images); ``rounds`` None runs until stop()."""

    def __init__(self, rounds: int | None = None, interval: float = worker.JOBS_INTERVAL) -> None:
        super().__init__(name="media", daemon=True)
        self.rounds, self.interval = rounds, interval
        self.summaries: list = []
        self._stopping = threading.Event()

    def run(self) -> None:
        from django.conf import settings
        from django.db import connections

        from dailypapers.ingest.media import fetch_queued

        done = 0
        while not self._stopping.is_set():
            try:
                self.summaries.append(fetch_queued(settings.CONFIG, limit=MEDIA_PER_ROUND))
            except Exception:
                log.exception("media round failed; the next round tries again")
            finally:
                connections.close_all()  # this thread's own connections: none left open between rounds
            done += 1
            if self.rounds is not None and done >= self.rounds:
                return
            self._stopping.wait(self.interval)

    def stop(self) -> None:
        self._stopping.set()

    @staticmethod
    def longest_round() -> float:
        """Seconds a round can take at most: its deadline, plus one fetch's per-read timeout to notice it."""
        from django.conf import settings

        config = settings.CONFIG
        return float(config["DAILYPAPERS_MEDIA_ROUND_DEADLINE"]) + float(config["DAILYPAPERS_HTTP_TIMEOUT"])


def media_pending() -> bool:
    from django.conf import settings

    from dailypapers.store import media

    return media.pending_count(int(settings.CONFIG["DAILYPAPERS_MEDIA_MAX_ATTEMPTS"])) > 0

"""The worker's small jobs from every part, run every DAILYPAPERS worker wake-up (cli may import
all parts; digest/worker.py only knows its own outbox), its sync round, and the image fetching beside them."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from django.conf import settings
from django.db import connections

from dailypapers.cli.categories import fill_categories
from dailypapers.cli.progress import RejectionReport
from dailypapers.community import submissions
from dailypapers.digest import mailer, outbox, worker
from dailypapers.groups import digests, meetings
from dailypapers.ingest.media import fetch_queued
from dailypapers.ingest.sync import sync
from dailypapers.library import alerts, imports
from dailypapers.notify import feed as notify_feed
from dailypapers.notify import mail as notify_mail
from dailypapers.search.indexer import catch_up
from dailypapers.store import locks, media

log = logging.getLogger("dailypapers.worker")

MEDIA_PER_ROUND = 200  # images tried per round at most (a first import queues ~20,000)
NETWORK_RETRY = 600.0  # while the network is down, sync is tried again this often (between digests)


def run_jobs() -> dict[str, object]:
    jobs: list[tuple[str, Callable[[], object]]] = [
        ("meeting reminders", meetings.send_reminders),
        ("group digests", digests.send_due),
        ("outbox", outbox.send_due),
        ("submissions", submissions.fetch_pending),
        ("imports", imports.run_pending),
        ("notify-papers", notify_feed.catch_up),  # new papers by what readers follow, from the change feed
    ]
    if mailer.has_mail_server():  # without one, saved-search mail waits (the worker said so once)
        jobs.append(("searches", alerts.send_due))
        jobs.append(("notify-mail", notify_mail.send_summaries))  # into the outbox: sent next round
    return worker.run_jobs(tuple(jobs))


class SyncRound:
    """Sync every source; the network's state said once.

    Offline, each source fails at once (SourceUnreachable): the first failure says so in one
    line, later ones while it stays down say nothing, and the media thread skips its rounds
    (each failed try would count towards giving an image up). The rest of the service runs on."""

    def __init__(self, say: Callable[[str], None], clock: Callable[[], float] = time.monotonic) -> None:
        self.say = say
        self.clock = clock
        self.network_down = False
        self.last_try = 0.0

    def __call__(self) -> None:
        self.last_try = self.clock()
        with locks.exclusive("sync") as mine:
            if not mine:
                self.say("sync: another worker is syncing now; this one leaves it to that one")
                return
            results = sync(
                settings.CONFIG,
                on_reject=RejectionReport(self.say, limit=10),
                on_note=RejectionReport(self.say, label="dropped", limit=10),
            )
            unreachable = [r for r in results if r.unreachable]
            offline = bool(unreachable) and len(unreachable) == len(results)
            # Papers known only from Hugging Face: arXiv's categories when online, predicted ones meanwhile.
            categories = fill_categories(
                settings.CONFIG, fetch=not offline and "arxiv" in settings.CONFIG["DAILYPAPERS_SYNC_SOURCES"]
            )
        if offline:
            if not self.network_down:
                self.network_down = True
                self.say(
                    f"worker: the network is down ({unreachable[0].error.split(';')[0]}); the site keeps serving "
                    f"what is stored, and sync is tried again every {NETWORK_RETRY / 60:.0f} min (said once)"
                )
            return
        if self.network_down:
            self.network_down = False
            self.say("worker: the network is back")
        catch_up(wait=True)  # new papers become searchable now
        for result in results:
            self.say(f"sync: {result.summary()}")
        if categories.summary():
            self.say(categories.summary())

    def retry_due(self) -> bool:
        """Whether sync should be tried again now: only while the network is down."""
        return self.network_down and self.clock() - self.last_try >= NETWORK_RETRY


class MediaThread(threading.Thread):
    """Fetches the queued images round after round in a thread of its own, so sync, digests and mails
    never wait on an image host, and a failed sync does not stop it. Each round is bounded by
    DAILYPAPERS_MEDIA_ROUND_DEADLINE (and MEDIA_PER_ROUND images); ``rounds`` None runs until stop()."""

    def __init__(
        self,
        rounds: int | None = None,
        interval: float = worker.JOBS_INTERVAL,
        skip: Callable[[], bool] = lambda: False,
    ) -> None:
        super().__init__(name="media", daemon=True)
        self.rounds, self.interval, self.skip = rounds, interval, skip
        self.summaries: list = []
        self._stopping = threading.Event()

    def run(self) -> None:
        done = 0
        while not self._stopping.is_set():
            try:
                if not self.skip():  # offline: tries would only use up the images' attempts
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
        config = settings.CONFIG
        return float(config["DAILYPAPERS_MEDIA_ROUND_DEADLINE"]) + float(config["DAILYPAPERS_HTTP_TIMEOUT"])


def media_pending() -> bool:
    return media.pending_count(int(settings.CONFIG["DAILYPAPERS_MEDIA_MAX_ATTEMPTS"])) > 0

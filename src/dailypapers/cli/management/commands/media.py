"""`dailypapers media fetch|status`: the thumbnails and avatars the site serves from its own URL."""

from __future__ import annotations

import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from dailypapers.ingest.media import fetch_queued
from dailypapers.store import media as store
from dailypapers.store.models import MediaItem


class Command(BaseCommand):
    help = (
        "Fetch the images that imports and syncs queued (paper thumbnails, organization and submitter "
        "avatars) politely, from public addresses only, within DAILYPAPERS_MEDIA_ROUND_DEADLINE; keep only real images up to DAILYPAPERS_MEDIA_MAX_BYTES under "
        "$DAILYPAPERS_HOME/media, and report; `status` counts the queue."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["fetch", "status"])
        parser.add_argument("--limit", type=int, help="fetch at most this many images in this run")
        parser.add_argument("--progress", action="store_true", help="show a progress bar even when not on a terminal")

    def handle(self, *args, **options):
        config = settings.CONFIG
        if options["action"] == "status":
            counts = {status: MediaItem.objects.filter(status=status).count() for status, _ in MediaItem.STATUSES}
            self.stdout.write("media: " + ", ".join(f"{n} {status}" for status, n in counts.items()))
            return
        if options["limit"] is not None and options["limit"] < 1:
            raise CommandError("--limit must be at least 1")
        total = store.pending_count(int(config["DAILYPAPERS_MEDIA_MAX_ATTEMPTS"]))
        if options["limit"]:
            total = min(total, options["limit"])
        stream = getattr(self.stderr, "_out", sys.stderr)  # the bar redraws itself: no added line endings
        bar = tqdm(
            total=total,
            unit="image",
            desc="media",
            file=stream,
            disable=not (options["progress"] or stream.isatty()) or total == 0,
        )
        notify = lambda message: self.stderr.write(message)
        with bar:
            summary = fetch_queued(
                config, limit=options["limit"], notify=notify, progress=lambda done, _total: bar.update(done - bar.n)
            )
        for reason in summary.errors[:20]:
            self.stderr.write(reason)
        if len(summary.errors) > 20:
            self.stderr.write(f"... and {len(summary.errors) - 20} more")
        self.stdout.write(summary.line())

"""dailypapers index — bring this machine's search indexes up to date (or rebuild them)."""

from __future__ import annotations

import json
import sys

from django.core.management.base import BaseCommand
from tqdm import tqdm

from dailypapers.search import indexer


class Command(BaseCommand):
    requires_system_checks = []
    help = "Apply new paper changes (and stored embeddings) to this machine's keyword and vector indexes."

    def add_arguments(self, parser):
        parser.add_argument(
            "--rebuild",
            action="store_true",
            help="Build both indexes from scratch (readers keep the old ones until done).",
        )
        parser.add_argument("--json", action="store_true", help="Print the result as one JSON object.")
        parser.add_argument(
            "--progress", action="store_true", default=None, help="Show a progress bar even when not on a terminal."
        )

    def handle(self, *args, **options):
        show = sys.stderr.isatty() if options["progress"] is None else options["progress"]
        bar = tqdm(unit="change", file=sys.stderr, disable=not show, desc="index")

        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        try:
            result = indexer.rebuild(progress) if options["rebuild"] else indexer.catch_up(progress=progress, wait=True)
        finally:
            bar.close()
        if options["json"]:
            self.stdout.write(json.dumps(result.as_dict()))
            return
        s = result.state
        self.stdout.write(
            f"applied {result.applied} change(s); index at feed change {s.feed}: "
            f"{s.keyword_docs} papers searchable, {s.vectors} with vectors"
        )

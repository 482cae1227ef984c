"""dailypapers sync — pull the latest papers from arXiv and Hugging Face, continuing where the last sync stopped."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from dailypapers.cli.progress import RejectionReport
from dailypapers.ingest.sync import METHODS, SOURCES, SyncError, sync
from dailypapers.search.indexer import catch_up


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date (YYYY-MM-DD)") from None


class Command(BaseCommand):
    help = (
        "Pull the latest papers from arXiv (OAI-PMH or the API, for the configured sets and categories) "
        "and from Hugging Face daily papers. Each source continues where the last sync stopped; an "
        "interrupted harvest resumes. Exit status 1 when a source failed or a record was rejected."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--source",
            action="extend",
            nargs="+",
            choices=SOURCES,
            dest="sources",
            help="Sources to pull (default: DAILYPAPERS_SYNC_SOURCES).",
        )
        parser.add_argument(
            "--method",
            choices=METHODS,
            help="How to harvest arXiv: oai (OAI-PMH ListRecords) or api (Atom search). "
            "Default: DAILYPAPERS_SYNC_METHOD.",
        )
        parser.add_argument(
            "--from",
            dest="since",
            type=_date,
            metavar="YYYY-MM-DD",
            help="Start from this day instead of where the last sync stopped.",
        )
        parser.add_argument(
            "--until",
            type=_date,
            metavar="YYYY-MM-DD",
            help="Stop at this day (a window: the stored position is left as it was).",
        )
        parser.add_argument("--json", action="store_true", help="Print the per-source summary as JSON.")
        parser.add_argument(
            "--no-index", action="store_true", help="Do not update this machine's search index afterwards."
        )

    def handle(self, *args, **options):
        report = RejectionReport(self.stderr.write)

        try:
            results = sync(
                settings.CONFIG,
                options["sources"],
                method=options["method"],
                since=options["since"],
                until=options["until"],
                progress=self.stderr.write,
                on_reject=report,
                on_note=RejectionReport(self.stderr.write, label="dropped"),
            )
        except SyncError as exc:
            raise CommandError(str(exc)) from exc
        if not options["no_index"]:
            catch_up(wait=True)  # new papers become searchable now, not at the first search
        if options["json"]:
            self.stdout.write(json.dumps({r.source: r.as_dict() for r in results}))
        else:
            for result in results:
                self.stdout.write(result.summary())
        failed = [r for r in results if r.error]
        if failed:
            raise CommandError(
                " ".join(f"{r.source} sync failed: {r.error}." for r in failed)
                + " What was fetched before is saved; run sync again to continue."
            )
        if any(r.rejected for r in results):
            sys.exit(1)

"""dailypapers import PATH... — import papers from files of any supported format."""

from __future__ import annotations

import json
import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from dailypapers.cli.progress import FileProgress, RejectionReport
from dailypapers.ingest import parsers
from dailypapers.ingest.importer import FileImportError, import_paths
from dailypapers.search.indexer import catch_up


class Command(BaseCommand):
    requires_system_checks = []  # a data command: no need to load the whole site first
    help = "Import papers from files or folders; the format of each file is sniffed (or given with --format)."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", help="Files (plain or .gz) or folders to import.")
        parser.add_argument(
            "--format", choices=sorted(parsers.FORMATS), help="Force the format instead of sniffing it."
        )
        parser.add_argument("--strict", action="store_true", help="Stop at the first rejected record.")
        parser.add_argument(
            "--batch", type=int, default=None, help="Records per transaction (default: DAILYPAPERS_IMPORT_BATCH)."
        )
        parser.add_argument("--json", action="store_true", help="Print the summary as JSON.")
        parser.add_argument(
            "--progress", action="store_true", default=None, help="Show a progress bar even when not on a terminal."
        )
        parser.add_argument(
            "--no-index", action="store_true", help="Do not update this machine's search index afterwards."
        )

    def handle(self, *args, **options):
        bar = FileProgress(options["progress"])
        report = RejectionReport(self.stderr.write)
        # A dropped field (an unsafe link, an unknown category) leaves its record imported: it is
        # counted in the summary, and listed, uncoloured, only at -v 2. A rejected record stays red.
        verbose = options["verbosity"] >= 2
        notes = RejectionReport(lambda line: self.stderr.write(line, style_func=str), label="dropped")

        try:
            summary = import_paths(
                options["paths"],
                fmt=options["format"],
                strict=options["strict"],
                batch_size=options["batch"] or settings.CONFIG["DAILYPAPERS_IMPORT_BATCH"],
                progress=bar,
                on_reject=report,
                on_note=notes if verbose else None,
            )
        except FileImportError as exc:
            raise CommandError(str(exc)) from exc
        finally:
            bar.close()
        if not options["no_index"]:
            catch_up(wait=True)  # new papers become searchable now, not at the first search
        for note in summary.skipped_files:
            self.stderr.write(note)
        counts = summary.as_dict()
        if options["json"]:
            self.stdout.write(json.dumps(counts))
        else:
            resumed = f" (resumed: {summary.skipped} already imported)" if summary.skipped else ""
            self.stdout.write(
                f"{summary.files} file(s): read {summary.read}, new {summary.new}, updated {summary.updated}, "
                f"unchanged {summary.unchanged}, rejected {summary.rejected}{resumed}"
                + (
                    f"; {summary.fields_dropped} field(s) dropped" + ("" if verbose else " (-v 2 lists them)")
                    if summary.fields_dropped
                    else ""
                )
            )
        if summary.rejected:
            sys.exit(1)

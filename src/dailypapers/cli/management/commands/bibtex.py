"""`dailypapers bibtex ID...`: print BibTeX for stored papers."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from dailypapers.ingest.records import RecordError, split_arxiv_id
from dailypapers.library import transfer
from dailypapers.store.models import Paper


class Command(BaseCommand):
    help = "Print BibTeX entries for papers by arXiv id (or abs/pdf URL), keys unique across the output."

    def add_arguments(self, parser):
        parser.add_argument("ids", nargs="+", metavar="ID")
        parser.add_argument("--output", "-o", help="write to this file instead of standard output")

    def handle(self, *args, ids, output=None, **options):
        wanted = []
        for raw in ids:
            try:
                wanted.append(split_arxiv_id(raw)[0])
            except RecordError:
                raise CommandError(f"{raw!r} is not an arXiv id or arXiv URL.") from None
        found = Paper.objects.filter(deleted=False).in_bulk(wanted, field_name="arxiv_id")
        missing = [i for i in wanted if i not in found]
        if missing:
            raise CommandError(f"We have no paper {', '.join(missing)} (import or sync it first).")
        text = transfer.export_papers(found[i] for i in dict.fromkeys(wanted))
        if output:
            with open(output, "w", encoding="utf-8") as handle:
                handle.write(text)
        else:
            self.stdout.write(text, ending="")

"""`dailypapers rank --rebuild`: recompute every paper's stored counters and trending score."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from dailypapers.community.community_stats import rebuild


class Command(BaseCommand):
    help = (
        "Recompute PaperStats (community votes, Hugging Face votes, comments, trending score) "
        "for every paper that has any. Votes and imports keep them current on their own; a rebuild is "
        "only needed after changing the trending settings (DAILYPAPERS_TRENDING_*)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--rebuild", action="store_true", help="recompute every paper (the only mode)")

    def handle(self, *args, **options):
        if not options["rebuild"]:
            self.stderr.write("nothing to do: pass --rebuild")
            return
        written = rebuild()
        self.stdout.write(f"trending: {written} paper(s) rescored")

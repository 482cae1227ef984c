"""`dailypapers categories`: arXiv categories for papers known only from Hugging Face."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand

from dailypapers.cli.categories import fill_categories
from dailypapers.search.indexer import catch_up


class Command(BaseCommand):
    help = (
        "Fetch arXiv's metadata for papers known only from Hugging Face (by id, politely, resumable), then "
        "predict categories from title and abstract for those still without (shown as predicted until "
        "arXiv's arrive). The worker does both after each sync."
    )

    def add_arguments(self, parser):
        parser.add_argument("--offline", action="store_true", help="only predict; ask arXiv nothing")
        parser.add_argument("--limit", type=int, default=None, help="ask arXiv for at most N papers")

    def handle(self, *args, **options):
        result = fill_categories(
            settings.CONFIG, fetch=not options["offline"], limit=options["limit"], progress=self.stderr.write
        )
        catch_up(wait=True)
        self.stdout.write(result.summary() or "categories: nothing to do (every paper has categories)")

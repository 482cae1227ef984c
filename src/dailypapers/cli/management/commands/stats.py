"""dailypapers stats — what the store holds."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand

from dailypapers.store.stats import store_stats


class Command(BaseCommand):
    requires_system_checks = []  # a data command: no need to load the whole site first
    help = "Print counts of papers, versions and daily entries."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="Print one JSON object.")

    def handle(self, *args, **options):
        stats = store_stats()
        # Semantic search's reach: papers with a stored vector in the current embedding space.
        from dailypapers.search.backfill import remaining
        from dailypapers.search.embed import EMBEDDING_SPACE
        from dailypapers.search.models import PaperEmbedding

        stats["embedded"] = PaperEmbedding.objects.filter(model_id=EMBEDDING_SPACE, paper__deleted=False).count()
        stats["to_embed"] = remaining(EMBEDDING_SPACE)
        if options["json"]:
            self.stdout.write(json.dumps(stats))
            return
        width = max(len(k) for k in stats)
        for key, value in stats.items():
            self.stdout.write(f"{key.ljust(width)}  {value}")

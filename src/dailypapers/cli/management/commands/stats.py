"""dailypapers stats — what the store holds."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand

from dailypapers.search.backfill import remaining
from dailypapers.search.embed import EMBEDDING_SPACE
from dailypapers.search.models import PaperEmbedding
from dailypapers.store.stats import store_stats


class Command(BaseCommand):
    requires_system_checks = []  # a data command: no need to load the whole site first
    help = "Print what the store holds: papers, their arXiv versions, daily-list entries and search coverage."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="Print one JSON object (the same counts, by key).")

    def handle(self, *args, **options):
        stats = store_stats()
        # Semantic search's reach: papers with a stored vector in the current embedding space.
        stats["embedded"] = PaperEmbedding.objects.filter(model_id=EMBEDDING_SPACE, paper__deleted=False).count()
        stats["to_embed"] = remaining(EMBEDDING_SPACE)
        if options["json"]:
            self.stdout.write(json.dumps(stats))
            return
        for line in readable(stats):
            self.stdout.write(line)


def _span(first: str | None, last: str | None) -> str:
    return f"{first} to {last}" if first else "none yet"


def readable(stats: dict) -> list[str]:
    """The counts as sentences a newcomer can read, each term explained once."""
    by_source = ", ".join(f"{n:,} from {source}" for source, n in sorted(stats["daily_entries_by_source"].items()))
    return [
        f"Papers: {stats['papers']:,} (withdrawn by their authors {stats['withdrawn']:,}; "
        f"deleted from arXiv {stats['deleted']:,}), announced {_span(stats['first_announced'], stats['last_announced'])}.",
        f"Versions: {stats['versions']:,} arXiv versions with dates (v1, v2, ...; listing files carry none, "
        "the arXiv API, OAI-PMH and `sync` do).",
        f"Daily-list entries: {stats['daily_entries']:,}"
        + (f" ({by_source})" if by_source else "")
        + ", one per paper featured on a day's list (Hugging Face Daily Papers), days "
        + f"{_span(stats['first_daily_date'], stats['last_daily_date'])}.",
        f"Semantic search: {stats['embedded']:,} papers embedded (searchable by meaning), "
        f"{stats['to_embed']:,} still to embed"
        + (" (`dailypapers embed` computes them)." if stats["to_embed"] else "."),
    ]

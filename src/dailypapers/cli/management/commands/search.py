"""dailypapers search QUERY — search papers from the command line."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from dailypapers.search import indexer, rules, service
from dailypapers.search.text import QueryError
from dailypapers.store.models import Paper


class Command(BaseCommand):
    requires_system_checks = []
    help = "Search papers: hybrid (keyword + semantic) when embeddings exist, keyword otherwise."

    def create_parser(self, prog_name, subcommand, **kwargs):
        parser = super().create_parser(prog_name, subcommand, **kwargs)

        # A query may start with "-" ("-gene"): words argparse does not know are part of it.
        def parse_args(args=None, namespace=None):
            known, rest = parser.parse_known_args(args, namespace)
            known.query = " ".join([known.query, *rest]).strip() if rest else known.query
            return known

        parser.parse_args = parse_args
        return parser

    def add_arguments(self, parser):
        parser.add_argument(
            "query", nargs="?", default="", help='Words to search for; "quoted phrases" must appear as written.'
        )
        parser.add_argument("--json", action="store_true", help="Print a JSON list of results (id, title, score, ...).")
        parser.add_argument("--limit", type=int, default=10, help="Results to show (default 10).")
        parser.add_argument("--offset", type=int, default=0, help="Results to skip (for paging).")
        parser.add_argument(
            "--mode",
            choices=rules.MODES,
            default="auto",
            help="auto: hybrid once most papers are embedded, keyword before.",
        )
        parser.add_argument(
            "--category", action="append", default=[], help="Only papers in this category (repeat for any of several)."
        )
        parser.add_argument(
            "--author", action="append", default=[], help="Only papers by this author (repeat: all of them)."
        )
        parser.add_argument("--from", dest="date_from", help="Announced (else submitted) on or after YYYY-MM-DD.")
        parser.add_argument("--until", dest="date_to", help="Announced (else submitted) on or before YYYY-MM-DD.")
        parser.add_argument("--sort", choices=rules.SORTS, default="relevance")

    def handle(self, *args, **options):
        if indexer.pending():  # a command, not a web request: it may bring this machine's index up to date
            indexer.catch_up()
        try:
            filters = service.clean_filters(
                options["category"], options["date_from"], options["date_to"], options["author"]
            )
            results = service.search(
                options["query"], filters, options["sort"], options["limit"], options["offset"], mode=options["mode"]
            )
        except QueryError as exc:
            raise CommandError(str(exc), returncode=2) from exc
        papers = {p.arxiv_id: p for p in Paper.objects.filter(arxiv_id__in=results.ids)}
        rows = [
            {
                "id": i,
                "title": papers[i].title,
                "score": round(score, 6),
                "authors": papers[i].authors,
                "categories": papers[i].category_list,
                "announced": papers[i].announced.isoformat() if papers[i].announced else None,
                "url": papers[i].abs_url,
            }
            for i, score in zip(results.ids, results.scores)
            if i in papers
        ]
        if options["json"]:
            self.stdout.write(json.dumps(rows, ensure_ascii=False))
            return
        if results.identifier is not None and not results.found_id:
            self.stdout.write(
                f"{results.identifier} is not here yet: `dailypapers sync` or submit it on the site (/submit)."
            )
        for rank, row in enumerate(rows, start=1 + options["offset"]):
            self.stdout.write(f"{rank:3}. {row['id']}  {row['title']}  ({row['score']:.3f})")
        every = ""
        if results.all_words is not None and results.total and results.all_words != results.total:
            every = f"; {results.all_words} contain every word" if results.all_words else "; none contains every word"
        note = f"; {results.note}" if results.note else ""
        self.stdout.write(
            f"{results.total:,} result(s){every} ({results.mode} search; {results.coverage.describe()}{note})"
        )

"""dailypapers list today|week|month|trending|PERIOD — a list as the site shows it.

The same read layer (dailypapers.lists.listings) as the pages, feeds and JSON API: the same
papers in the same order as the page it names, page by page.
"""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from dailypapers import periods
from dailypapers.lists import listings, paging
from dailypapers.store import listing_days

NEWEST = ("today", "week", "month")


class Command(BaseCommand):
    requires_system_checks = []  # a data command: no need to load the whole site first
    help = (
        "Print a list as the site shows it: today (the home page), week or month (the newest), trending, "
        "or a period (2026-05-14, 2026-W20, 2026-05)."
    )

    def add_arguments(self, parser):
        parser.add_argument("which", help="today, week, month, trending, or a day, ISO week or month.")
        parser.add_argument("--category", default="", help="Only papers in this category (cs.CV).")
        parser.add_argument("--sort", choices=listings.SORTS, default="votes", help="Day, week and month lists only.")
        parser.add_argument("--page", default="0", help="The page (0 is the first), as ?p= on the site.")
        parser.add_argument("--json", action="store_true", help="Print one JSON object (the period and its papers).")

    def handle(self, *args, **options):
        which, category = options["which"].strip(), listings.clean_category(options["category"])
        if options["category"].strip() and not category:
            raise CommandError(f"{options['category'].strip()!r} is not a category (like cs.CV or stat.ML).")
        size = listings.TRENDING_PAGE_SIZE if which == "trending" else listings.PAGE_SIZE
        try:
            page = paging.page_number(options["page"], size)
        except paging.PageOutOfRange as exc:
            raise CommandError(str(exc)) from None
        if which == "trending":
            as_of = listings.trending_as_of()
            shown = listings.trending_page(category, page, now=as_of)
            title, papers = "trending papers", shown.papers
        else:
            kind, anchor = self._period(which)
            listing = listings.period_listing(kind, anchor, category, options["sort"], page, entries=False)
            title, papers = f"papers of {listing.period.label}", listing.page.papers
            if listing.notice:
                self.stderr.write(listing.notice)
        if category:
            title += f" in {category}"
        rows = [
            {
                "arxiv_id": p.arxiv_id,
                "title": p.title,
                "authors": p.authors,
                "categories": p.category_list,
                "votes": p.total_votes,
                **({"why": p.why} if which == "trending" else {}),
            }
            for p in papers
        ]
        if options["json"]:
            self.stdout.write(json.dumps({"title": title, "page": page, "papers": rows}, ensure_ascii=False))
            return
        self.stdout.write(title)
        if not rows:
            self.stdout.write("No papers.")
        for number, row in enumerate(rows, page * size + 1):
            self.stdout.write(f"{number:>4}. {row['arxiv_id']:<12} {row['votes']:>5} votes  {row['title']}")

    def _period(self, which: str):
        """The kind of list and its anchor day, as the page that ``which`` names asks for them."""
        if which == "today":
            return "day", None  # the home page: the newest list
        if which in NEWEST:
            return which, listing_days.last_listing_day()  # the newest week or month that has a list
        kind = periods.kind_of(which)
        if kind is None:
            raise CommandError(
                f"{which!r} is not a list: say today, week, month, trending, or a day (2026-05-14), "
                "an ISO week (2026-W20) or a month (2026-05)."
            )
        try:
            return kind, periods.parse(kind, which).start
        except periods.PeriodError as exc:
            raise CommandError(str(exc)) from None

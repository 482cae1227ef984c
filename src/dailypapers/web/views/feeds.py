"""RSS 2.0 and Atom feeds (``?format=atom``) for day, week and month lists, trending, categories and searches.

Every list's ``?category=`` filter applies to its feed too, which gives each category a feed.
Every absolute URL in a feed starts with DAILYPAPERS_BASE_URL, never the request's Host, and
every text passes through the XML-safe generators of the feeds' base (dailypapers/lists/feeds.py).
"""

from __future__ import annotations

from django.http import Http404, HttpRequest
from django.urls import reverse

from dailypapers import periods
from dailypapers.lists import listings, search_requests
from dailypapers.lists.feeds import FEED_SIZE, PaperFeed
from dailypapers.search.rules import QueryError
from dailypapers.store import listing_days
from dailypapers.web.views.common import category
from dailypapers.web.views.lists import search_request


class DayFeed(PaperFeed):
    """The papers of a day, a week or a month, most voted first (without a period: the newest)."""

    kind = "day"
    page = "web:day"

    def get_object(self, request: HttpRequest, period: str | None = None, **named: str) -> dict:
        text = period or named.get("date")
        try:
            anchor = periods.parse(self.kind, text).start if text else None
        except ValueError as exc:
            raise Http404(str(exc)) from exc
        if anchor is None and self.kind != "day":  # the newest week or month that has a list
            anchor = listing_days.last_listing_day()
        cat = category(request)
        listing = listings.period_listing(self.kind, anchor, cat, "votes", 0, FEED_SIZE)
        return {
            "title": f"papers of {listing.period.label}",
            "category": cat,
            "papers": listing.page.papers,
            "link": reverse(self.page, args=[listing.period.slug]),
        }


class WeekFeed(DayFeed):
    kind = "week"
    page = "web:week"


class MonthFeed(DayFeed):
    kind = "month"
    page = "web:month"


class TrendingFeed(PaperFeed):
    def get_object(self, request: HttpRequest) -> dict:
        cat = category(request)
        return {
            "title": "trending papers",
            "category": cat,
            "link": reverse("web:trending"),
            "papers": listings.trending_page(cat, 0, FEED_SIZE).papers,
        }


class SearchFeed(PaperFeed):
    def get_object(self, request: HttpRequest) -> dict:
        wanted = search_request(request)
        try:
            papers = search_requests.run(wanted, FEED_SIZE, 0, highlight=False).papers
        except QueryError:
            papers = []
        return {
            "title": f"search for “{wanted.query}”",
            "category": "",
            "papers": papers,
            "link": reverse("web:search") + "?" + request.GET.urlencode(),
        }

"""RSS 2.0 and Atom feeds (``?format=atom``) for day, week and month lists, trending, categories and searches.

Every list's ``?category=`` filter applies to its feed too, which gives each category a feed.
Every absolute URL in a feed starts with DAILYPAPERS_BASE_URL, never the request's Host, and
every text passes through the XML-safe generators below.
"""

from __future__ import annotations

import datetime as dt
import re

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed

from dailypapers import latex
from dailypapers.store.models import Paper
from dailypapers.web import search_adapter
from dailypapers.web.services import listings
from dailypapers.web.views.common import category
from dailypapers.web.views.lists import search_request

FEED_SIZE = 50
# Characters XML 1.0 cannot carry at all (escaping does not help): C0 controls but tab, LF and
# CR, lone surrogates, U+FFFE/U+FFFF. One such character in a title made every feed listing
# it a 500 (UnserializableContentError).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_safe(value):
    """``value`` with every string in it stripped of what XML cannot carry (lists and dicts walked)."""
    if isinstance(value, str):
        return _NOT_XML.sub("", value)
    if isinstance(value, (list, tuple)):
        return type(value)(xml_safe(v) for v in value)
    if isinstance(value, dict):
        return {k: xml_safe(v) for k, v in value.items()}
    return value


class _XmlSafe:
    """Cleans the feed's and every item's fields on their way in, whichever field they are."""

    def __init__(self, *args, **kwargs):
        super().__init__(*xml_safe(args), **xml_safe(kwargs))

    def add_item(self, *args, **kwargs):
        super().add_item(*xml_safe(args), **xml_safe(kwargs))


class SafeRssFeed(_XmlSafe, Rss201rev2Feed):
    pass


class SafeAtomFeed(_XmlSafe, Atom1Feed):
    pass


def absolute(path: str) -> str:
    """A URL on this site as its public address (DAILYPAPERS_BASE_URL) names it."""
    return settings.BASE_URL + path


class _PaperFeed(Feed):
    """Items are papers; subclasses say which and what the feed is called."""

    def __call__(self, request, *args, **kwargs):
        self.feed_type = SafeAtomFeed if request.GET.get("format") == "atom" else SafeRssFeed
        return super().__call__(request, *args, **kwargs)

    def get_feed(self, obj, request):
        obj["feed_url"] = absolute(request.get_full_path())  # per request, not on the shared instance
        return super().get_feed(obj, request)

    def link(self, obj) -> str:
        return absolute(obj["link"])

    def feed_url(self, obj) -> str:
        return obj["feed_url"]

    def title(self, obj) -> str:
        suffix = f" in {obj['category']}" if obj.get("category") else ""
        return f"dailypapers: {obj['title']}{suffix}"

    def description(self, obj) -> str:
        return obj["title"]

    def items(self, obj) -> list[Paper]:
        return obj["papers"]

    def item_title(self, item: Paper) -> str:
        return latex.plain(item.title)  # feed readers show titles as text

    def item_description(self, item: Paper) -> str:
        return item.abstract

    def item_link(self, item: Paper) -> str:
        return absolute(reverse("web:paper", args=[item.arxiv_id]))

    def item_author_name(self, item: Paper) -> str:
        return ", ".join(item.authors[:10]) + (" et al." if len(item.authors) > 10 else "")

    def item_pubdate(self, item: Paper):
        # Most stored papers carry only arXiv's announcement day (a listing has no submission time):
        # that day, rather than no date at all.
        if item.first_submitted is not None:
            return item.first_submitted
        if item.announced is not None:
            return dt.datetime.combine(item.announced, dt.time(), tzinfo=dt.timezone.utc)
        return None

    def item_categories(self, item: Paper) -> list[str]:
        return item.category_list


class DayFeed(_PaperFeed):
    """The papers of a day, a week or a month, most voted first (without a period: the newest)."""

    kind = "day"
    page = "web:day"

    def get_object(self, request: HttpRequest, period: str | None = None, **named: str) -> dict:
        text = period or named.get("date")
        try:
            anchor = listings.parse_period(self.kind, text).start if text else None
        except ValueError as exc:
            raise Http404(str(exc)) from exc
        if anchor is None and self.kind != "day":  # the newest week or month that has a list
            anchor = listings.last_listing_day()
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


class TrendingFeed(_PaperFeed):
    def get_object(self, request: HttpRequest) -> dict:
        cat = category(request)
        return {
            "title": "trending papers",
            "category": cat,
            "link": reverse("web:trending"),
            "papers": listings.trending_page(cat, 0, FEED_SIZE).papers,
        }


class SearchFeed(_PaperFeed):
    def get_object(self, request: HttpRequest) -> dict:
        wanted = search_request(request)
        try:
            papers = search_adapter.run(wanted, FEED_SIZE, 0, highlight=False).papers
        except search_adapter.SearchError:
            papers = []
        return {
            "title": f"search for “{wanted.query}”",
            "category": "",
            "papers": papers,
            "link": reverse("web:search") + "?" + request.GET.urlencode(),
        }

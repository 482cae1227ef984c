"""RSS 2.0 and Atom feeds (``?format=atom``) for day lists, trending, categories and searches.

Every list's ``?category=`` filter applies to its feed too, which gives each category a feed.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed

from dailypapers.store.models import Paper
from dailypapers.web import search_adapter
from dailypapers.web.services import listings
from dailypapers.web.views.common import category
from dailypapers.web.views.lists import search_request

FEED_SIZE = 50


class _PaperFeed(Feed):
    """Items are papers; subclasses say which and what the feed is called."""

    def __call__(self, request, *args, **kwargs):
        self.feed_type = Atom1Feed if request.GET.get("format") == "atom" else Rss201rev2Feed
        return super().__call__(request, *args, **kwargs)

    def link(self, obj) -> str:
        return obj["link"]

    def title(self, obj) -> str:
        suffix = f" in {obj['category']}" if obj.get("category") else ""
        return f"dailypapers: {obj['title']}{suffix}"

    def description(self, obj) -> str:
        return obj["title"]

    def items(self, obj) -> list[Paper]:
        return obj["papers"]

    def item_title(self, item: Paper) -> str:
        return item.title

    def item_description(self, item: Paper) -> str:
        return item.abstract

    def item_link(self, item: Paper) -> str:
        return settings.BASE_URL + reverse("web:paper", args=[item.arxiv_id])

    def item_author_name(self, item: Paper) -> str:
        return ", ".join(item.authors[:10]) + (" et al." if len(item.authors) > 10 else "")

    def item_pubdate(self, item: Paper):
        return item.first_submitted

    def item_categories(self, item: Paper) -> list[str]:
        return item.category_list


class DayFeed(_PaperFeed):
    def get_object(self, request: HttpRequest, date: str | None = None) -> dict:
        try:
            anchor = listings.parse_period("day", date).start if date else None
        except ValueError as exc:
            raise Http404(str(exc)) from exc
        cat = category(request)
        listing = listings.period_listing("day", anchor, cat, "votes", 0, FEED_SIZE)
        return {"title": f"papers of {listing.period.label}", "category": cat, "papers": listing.page.papers,
                "link": reverse("web:day", args=[listing.period.slug])}


class TrendingFeed(_PaperFeed):
    def get_object(self, request: HttpRequest) -> dict:
        cat = category(request)
        return {"title": "trending papers", "category": cat, "link": reverse("web:trending"),
                "papers": listings.trending_page(cat, 0, FEED_SIZE).papers}


class SearchFeed(_PaperFeed):
    def get_object(self, request: HttpRequest) -> dict:
        wanted = search_request(request)
        try:
            papers = search_adapter.run(wanted, FEED_SIZE, 0, highlight=False).papers
        except search_adapter.SearchError:
            papers = []
        return {"title": f"search for “{wanted.query}”", "category": "", "papers": papers,
                "link": reverse("web:search") + "?" + request.GET.urlencode()}

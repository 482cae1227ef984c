"""Day, week and month lists, trending, search."""

from __future__ import annotations

import datetime as dt

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from dailypapers.library.signals import without_not_interested
from dailypapers.web import search_adapter
from dailypapers.web.services import listings
from dailypapers.web.services.cards import paper_cards
from dailypapers.web.views.common import category, page_number, voted_ids
from dailypapers.web.views.pagecache import anonymous_cache

SEARCH_PAGE_SIZE = 20


def _period_page(request: HttpRequest, kind: str, text: str | None) -> HttpResponse:
    try:
        anchor = listings.parse_period(kind, text).start if text else None
    except ValueError as exc:
        raise Http404(str(exc)) from exc
    sort = request.GET.get("sort") if request.GET.get("sort") in listings.SORTS else "votes"
    cat = category(request)
    listing = listings.period_listing(kind, anchor, cat, sort, page_number(request))
    papers = without_not_interested(request.user, listing.page.papers)
    return render(request, "web/period.html", {
        "listing": listing, "kind": kind, "sort": sort, "category": cat, "sorts": listings.SORTS,
        "slugs": {k: listings.Period.containing(k, listing.period.start).slug for k in ("day", "week", "month")},
        "papers": papers, "cards": paper_cards(papers, voted_ids(request, papers)),
        "feed_path": f"/papers/date/{listing.period.slug}/feed" if kind == "day" else "",
    })


@anonymous_cache
def home(request: HttpRequest) -> HttpResponse:
    return _period_page(request, "day", None)


@anonymous_cache
def day(request: HttpRequest, date: str) -> HttpResponse:
    return _period_page(request, "day", date)


@anonymous_cache
def week(request: HttpRequest, week: str) -> HttpResponse:
    return _period_page(request, "week", week)


@anonymous_cache
def month(request: HttpRequest, month: str) -> HttpResponse:
    return _period_page(request, "month", month)


@anonymous_cache
def trending(request: HttpRequest) -> HttpResponse:
    cat = category(request)
    page = listings.trending_page(cat, page_number(request))
    return render(request, "web/trending.html", {
        "page": page, "papers": page.papers, "category": cat,
        "cards": paper_cards(shown := without_not_interested(request.user, page.papers), voted_ids(request, shown),
                             why=True),
    })


def _date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def search_request(request: HttpRequest) -> tuple[str, search_adapter.SearchFilters, str]:
    query = (request.GET.get("q") or "").strip()[:500]
    cat = category(request)
    filters = search_adapter.SearchFilters(categories=(cat,) if cat else (), date_from=_date(request.GET.get("from")),
                                           date_to=_date(request.GET.get("to")))
    sort = request.GET.get("sort") if request.GET.get("sort") in search_adapter.SORTS else "relevance"
    return query, filters, sort


@anonymous_cache
def search(request: HttpRequest) -> HttpResponse:
    query, filters, sort = search_request(request)
    number = page_number(request)
    try:
        papers, total = search_adapter.search_papers(query, filters, sort, SEARCH_PAGE_SIZE, number * SEARCH_PAGE_SIZE)
        papers, error = without_not_interested(request.user, papers), ""
    except search_adapter.SearchError as exc:
        papers, total, error = [], 0, str(exc)
    return render(request, "web/search.html", {
        "error": error, "query": query, "filters": filters, "sort": sort, "papers": papers, "total": total,
        "category": filters.categories[0] if filters.categories else "",
        "page": listings.Page(papers, number, (number + 1) * SEARCH_PAGE_SIZE < total, total),
        "cards": paper_cards(papers, voted_ids(request, papers), snippet=True),
    })

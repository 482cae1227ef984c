"""Day, week and month lists, trending, search."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from dailypapers import periods
from dailypapers.community.markup import has_math
from dailypapers.lists import listings, paging, search_requests
from dailypapers.search.rules import QueryError
from dailypapers.store.ranking import params as trending_params
from dailypapers.web.services.cards import paper_cards
from dailypapers.web.views.common import category, saved_ids, voted_ids
from dailypapers.web.views.pagecache import anonymous_cache

SEARCH_PAGE_SIZE = 20


def cards_have_math(cards, snippets: bool = False) -> bool:
    """Whether a list page needs KaTeX: a title (or snippet) on it has TeX."""
    return any(has_math(card.title, card.snippet if snippets else "") for card in cards)


def _period_page(request: HttpRequest, kind: str, text: str | None) -> HttpResponse:
    try:
        anchor = periods.parse(kind, text).start if text else None
    except ValueError as exc:
        raise Http404(str(exc)) from exc
    sort = request.GET.get("sort") if request.GET.get("sort") in listings.SORTS else "votes"
    cat = category(request)
    listing = listings.period_listing(
        kind,
        anchor,
        cat,
        sort,
        paging.page_number(request.GET.get("p"), listings.PAGE_SIZE),
        entries=False,
        reader=request.user,
    )
    papers = listing.page.papers
    cards = paper_cards(
        papers,
        voted_ids(request, papers),
        saved=saved_ids(request, papers),
        period=(listing.period.start, listing.period.end),
    )
    return render(
        request,
        "web/period.html",
        {
            "listing": listing,
            "kind": kind,
            "sort": sort,
            "category": cat,
            "sorts": listings.SORTS,
            "slugs": {k: periods.Period.containing(k, listing.period.start).slug for k in ("day", "week", "month")},
            "papers": papers,
            "cards": cards,
            "math": cards_have_math(cards),
            "feed_path": reverse(f"web:{kind}_feed", args=[listing.period.slug]),
        },
    )


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


def _hours(hours: float) -> str:
    return "day" if hours == 24 else f"{hours:g} hours"


@anonymous_cache
def trending(request: HttpRequest) -> HttpResponse:
    cat = category(request)
    as_of = listings.trending_as_of()
    page = listings.trending_page(
        cat, paging.page_number(request.GET.get("p"), listings.TRENDING_PAGE_SIZE), now=as_of, reader=request.user
    )
    shown = page.papers
    cards = paper_cards(shown, voted_ids(request, shown), why=True, saved=saved_ids(request, shown))
    return render(
        request,
        "web/trending.html",
        {
            "page": page,
            "papers": page.papers,
            "category": cat,
            "hf_weight": f"{trending_params().hf_weight:g}",
            "half_life": _hours(trending_params().half_life_hours),
            "as_of": as_of,
            "cards": cards,
            "math": cards_have_math(cards),
        },
    )


def search_request(request: HttpRequest) -> search_requests.SearchRequest:
    return search_requests.parse_request(request.GET)


def _search_url(request: HttpRequest, **changes: str) -> str:
    params = request.GET.copy()
    for key, value in changes.items():
        params[key] = value
    params.pop("p", None)
    return reverse("web:search") + "?" + params.urlencode()


@anonymous_cache
def search(request: HttpRequest) -> HttpResponse:
    wanted = search_request(request)
    number = paging.page_number(request.GET.get("p"), SEARCH_PAGE_SIZE)
    page, error = search_requests.SearchPage([], 0), wanted.error
    if not error:
        try:
            # ?hidden=show: the reader asked to see what they marked not interested too.
            reader = None if request.GET.get("hidden") == "show" else request.user
            page = search_requests.run(wanted, SEARCH_PAGE_SIZE, number * SEARCH_PAGE_SIZE, reader=reader)
        except QueryError as exc:
            error = str(exc)
    results = page.results
    if results is not None and results.found_id and number == 0:
        # The query was exactly an id, an arXiv URL or a DOI of a paper we have: go to it.
        version = results.identifier.version if results.identifier else None
        return redirect(reverse("web:paper", args=[results.found_id + (f"v{version}" if version else "")]))
    papers, total = page.papers, page.total
    cards = paper_cards(papers, voted_ids(request, papers), snippet=True, saved=saved_ids(request, papers))
    modes = [(m, _search_url(request, mode=m)) for m in ("keyword", "semantic", "hybrid")]
    return render(
        request,
        "web/search.html",
        {
            "error": error,
            "query": wanted.query,
            "filters": wanted.filters,
            "sort": wanted.sort,
            "papers": papers,
            "total": total,
            "raw": wanted.raw,
            "mode": wanted.mode,
            "results": results,
            "modes": modes,
            "coverage": results.coverage if results is not None else None,
            "missing_id": str(results.identifier)
            if results is not None and results.identifier and not results.found_id
            else "",
            "page": listings.Page(papers, number, (number + 1) * SEARCH_PAGE_SIZE < total, total),
            "cards": cards,
            "math": cards_have_math(cards, snippets=True),
            "hidden": page.hidden,
            "named_hidden": page.named_hidden,
            "show_hidden_url": _search_url(request, hidden="show"),
        },
    )

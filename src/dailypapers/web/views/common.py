"""Small helpers the views share: query parameters, the user's votes, safe redirects, 429s."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme

from dailypapers.community.models import Vote
from dailypapers.library.collections import in_default
from dailypapers.ratelimit import RateLimited
from dailypapers.web.services import paging
from dailypapers.web.services.listings import clean_category


def page_number(request: HttpRequest, page_size: int) -> int:
    """``?p=`` by the one paging rule; out of range raises PageOutOfRange (a 400 page)."""
    return paging.page_number(request.GET.get("p"), page_size)


def category(request: HttpRequest) -> str:
    return clean_category(request.GET.get("category"))


def voted_ids(request: HttpRequest, papers) -> set[int]:
    """Which of these papers the user voted for: one query for the page."""
    if not request.user.is_authenticated or not papers:
        return set()
    return set(
        Vote.objects.filter(user=request.user, paper_id__in=[p.pk for p in papers]).values_list("paper_id", flat=True)
    )


def saved_ids(request: HttpRequest, papers) -> set[int]:
    """Which of these papers are in the user's default collection (the cards' save button): one query."""
    if not request.user.is_authenticated or not papers:
        return set()

    return in_default(request.user, [p.pk for p in papers])


def safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return fallback


def wants_json(request: HttpRequest) -> bool:
    return request.headers.get("Accept", "").startswith("application/json")


def too_many(request: HttpRequest, exc: RateLimited) -> HttpResponse:
    response = render(request, "web/error.html", {"title": "Slow down", "message": str(exc)}, status=429)
    response["Retry-After"] = str(exc.retry_after)
    return response

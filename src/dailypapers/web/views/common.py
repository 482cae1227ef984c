"""Small helpers the views share: the category asked for, the user's votes and saves, 429s."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from dailypapers.community.models import Vote
from dailypapers.library.paper_collections import in_default
from dailypapers.lists.listings import clean_category
from dailypapers.ratelimit import RateLimited


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


def wants_json(request: HttpRequest) -> bool:
    return request.headers.get("Accept", "").startswith("application/json")


def too_many(request: HttpRequest, exc: RateLimited) -> HttpResponse:
    response = render(request, "web/error.html", {"title": "Slow down", "message": str(exc)}, status=429)
    response["Retry-After"] = str(exc.retry_after)
    return response

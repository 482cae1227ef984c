"""The one door from the site to search: the search engine plugs in behind these two functions.

Until the search issue's engine lands, ``search_papers`` is a plain keyword match over
titles and abstracts and ``similar_papers`` returns nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q

from dailypapers.store.models import Paper
from dailypapers.web.services.listings import in_category, visible_papers, with_stats

SORTS = ("relevance", "newest", "votes")
MAX_TERMS = 8


@dataclass(frozen=True)
class SearchFilters:
    categories: tuple[str, ...] = ()  # any of these
    date_from: dt.date | None = None  # first submission, inclusive
    date_to: dt.date | None = None


def search_papers(query: str, filters: SearchFilters, sort: str = "relevance", limit: int = 20,
                  offset: int = 0) -> tuple[list[Paper], int]:
    """Papers matching every word of ``query`` (title or abstract), and how many match in all."""
    terms = query.split()[:MAX_TERMS]
    if not terms:
        return [], 0
    qs = visible_papers()
    for term in terms:
        qs = qs.filter(Q(title__icontains=term) | Q(abstract__icontains=term))
    if filters.categories:
        union = Q()
        for category in filters.categories:
            union |= Q(pk__in=in_category(Paper.objects.all(), category).values("pk"))
        qs = qs.filter(union)
    if filters.date_from:
        qs = qs.filter(first_submitted__date__gte=filters.date_from)
    if filters.date_to:
        qs = qs.filter(first_submitted__date__lte=filters.date_to)
    qs = with_stats(qs)
    if sort == "newest":
        qs = qs.order_by("-first_submitted", "-arxiv_id")
    else:  # "votes", and "relevance" until a real ranking exists
        qs = qs.order_by("-total_votes", "-first_submitted", "-arxiv_id")
    total = qs.count()
    return list(qs[offset:offset + limit]), total


def similar_papers(paper: Paper, limit: int = 5) -> list[Paper]:
    """Papers like ``paper`` (the search engine's nearest neighbours); none until it exists."""
    return []

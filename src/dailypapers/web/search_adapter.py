"""The one door from the site to search (dailypapers.search.service behind it).

Results come back as Paper objects in rank order, loaded in one query with their stats;
on the results page each carries ``snippet_html``, the abstract snippet with the query's
words in <b> (escaped by the engine). A query the engine cannot run raises SearchError,
whose message is meant for the user.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils.safestring import mark_safe

from dailypapers.search import service
from dailypapers.search.keyword import Filters
from dailypapers.search.text import QueryError
from dailypapers.store.models import Paper
from dailypapers.web.services.listings import visible_papers, with_stats

SORTS = ("relevance", "newest", "votes")
SearchError = QueryError


@dataclass(frozen=True)
class SearchFilters:
    categories: tuple[str, ...] = ()  # any of these
    date_from: dt.date | None = None  # announcement (else first submission) date, inclusive
    date_to: dt.date | None = None


def _papers(ids: list[str]) -> list[Paper]:
    found = {p.arxiv_id: p for p in with_stats(visible_papers()).filter(arxiv_id__in=ids)}
    return [found[i] for i in ids if i in found]


def search_papers(query: str, filters: SearchFilters, sort: str = "relevance", limit: int = 20,
                  offset: int = 0) -> tuple[list[Paper], int]:
    """Papers for ``query`` (hybrid when embeddings exist, else keyword) and how many match in all.

    A blank query lists nothing; raises SearchError for a query that cannot run.
    """
    if not query.strip():
        return [], 0
    engine_filters = Filters(date_from=filters.date_from, date_to=filters.date_to, categories=filters.categories)
    results = service.search(query, engine_filters, sort, limit, offset, highlight=True)
    papers = _papers(results.ids)
    for paper in papers:
        mark = results.highlights.get(paper.arxiv_id)
        if mark is not None:
            paper.snippet_html = mark_safe(mark.abstract)  # the engine escapes the text, then adds <b>
    return papers, results.total


def similar_papers(paper: Paper, limit: int = 5) -> list[Paper]:
    """Nearest neighbours of ``paper`` (by embedding, else by its abstract's terms), itself excluded."""
    return _papers(service.similar(paper.arxiv_id, paper.pk, paper.abstract, limit))

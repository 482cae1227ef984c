"""The one door from the site (pages, feeds, the JSON API) to search (dailypapers.search.service).

``parse_request`` reads the query parameters by the one set of rules (search/rules.py) the
CLI also applies, and raises SearchError with one sentence naming what is wrong. Results
come back as Paper objects in rank order, loaded in one query with their stats; on the
results page each carries ``snippet_html``, the abstract snippet with the query's words in
<b> (escaped by the engine).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from django.utils.safestring import mark_safe

from dailypapers import latex
from dailypapers.library.signals import not_interested_rows
from dailypapers.search import rules, service
from dailypapers.search.keyword import Filters
from dailypapers.search.text import QueryError
from dailypapers.store.models import Paper
from dailypapers.web.services import paging
from dailypapers.web.services.listings import visible_papers, with_stats

SORTS = rules.SORTS
MODES = rules.MODES
MAX_LIMIT = 100  # results in one page, web or API
SearchError = QueryError


@dataclass(frozen=True)
class SearchFilters:
    categories: tuple[str, ...] = ()  # any of these
    date_from: dt.date | None = None  # announcement (else first submission) date, inclusive
    date_to: dt.date | None = None
    authors: tuple[str, ...] = ()  # every one of these (full names)
    ids: tuple[str, ...] = ()  # only these papers (arXiv ids), set by code, never by a request


@dataclass(frozen=True)
class SearchRequest:
    query: str = ""
    filters: SearchFilters = SearchFilters()
    sort: str = "relevance"
    mode: str = "auto"
    error: str = ""  # set when a parameter was refused (the rest keep their defaults)
    raw: dict = field(default_factory=dict)  # the parameters as given, to refill the form


def parse_request(params: Mapping[str, str]) -> SearchRequest:
    """The search a request asks for; a bad parameter gives ``error`` (one sentence), never a silent default."""
    raw = {k: (params.get(k) or "") for k in ("q", "category", "author", "from", "to", "sort", "mode")}
    query = raw["q"].strip()
    try:
        rules.check_query_length(query)
        sort = rules.check_sort(raw["sort"])
        mode = rules.check_mode(raw["mode"])
        engine = service.clean_filters(
            categories=[c for c in raw["category"].replace(",", " ").split()],
            date_from=raw["from"],
            date_to=raw["to"],
            authors=[raw["author"]] if raw["author"].strip() else [],
        )
    except QueryError as exc:
        return SearchRequest(query=query[: rules.MAX_QUERY_CHARS], error=str(exc), raw=raw)
    filters = SearchFilters(
        categories=engine.categories, date_from=engine.date_from, date_to=engine.date_to, authors=engine.authors
    )
    return SearchRequest(query=query, filters=filters, sort=sort, mode=mode, raw=raw)


@dataclass
class SearchPage:
    papers: list[Paper]
    total: int
    results: service.Results | None = None  # None for a blank query


def _papers(ids: list[str]) -> list[Paper]:
    found = {p.arxiv_id: p for p in with_stats(visible_papers()).filter(arxiv_id__in=ids)}
    return [found[i] for i in ids if i in found]


def run(request: SearchRequest, limit: int = 20, offset: int = 0, highlight: bool = True, reader=None) -> SearchPage:
    """Papers for a parsed request; raises SearchError for a query that cannot run. Without what
    ``reader`` (a signed-in user) marked not interested: the lists' one rule (listings.without_hidden)."""
    if request.error:
        raise SearchError(request.error)
    if not request.query.strip():
        return SearchPage([], 0)
    # The door's own check of the paging rule: no offset-sized allocation ever reaches tantivy.
    if offset < 0 or limit < 1 or offset + limit > paging.MAX_OFFSET + MAX_LIMIT:
        raise SearchError(f"At most {paging.MAX_OFFSET:,} results can be paged through; narrow the search instead.")
    f = request.filters
    engine_filters = Filters(
        date_from=f.date_from, date_to=f.date_to, categories=f.categories, authors=f.authors, ids=f.ids
    )
    hidden = _hidden_ids(reader)
    if not hidden:
        results = service.search(
            request.query, engine_filters, request.sort, limit, offset, mode=request.mode, highlight=highlight
        )
        papers = _papers(results.ids)
    else:
        # Left out before paging, so pages stay full and none is skipped: the papers marked not
        # interested can push at most len(hidden) results past any point of the ranking.
        results = service.search(
            request.query,
            engine_filters,
            request.sort,
            offset + limit + len(hidden),
            0,
            mode=request.mode,
            highlight=highlight,
        )
        kept = [(i, score) for i, score in zip(results.ids, results.scores, strict=False) if i not in hidden]
        dropped = len(results.ids) - len(kept)
        results.ids = [i for i, _ in kept[offset : offset + limit]]
        results.scores = [score for _, score in kept[offset : offset + limit]]
        results.total = max(0, results.total - dropped)
        papers = _papers(results.ids)
    for paper in papers:
        mark = results.highlights.get(paper.arxiv_id)
        if mark is not None:
            # The engine escapes the text, then adds <b>; LaTeX outside math becomes text (KaTeX typesets the math).
            paper.snippet_html = mark_safe(latex.snippet_html(mark.abstract))
    return SearchPage(papers, results.total, results)


def _hidden_ids(reader) -> set[str]:
    """The arXiv ids ``reader`` marked not interested (none for anonymous readers): one query."""
    if reader is None or not reader.is_authenticated:
        return set()
    return set(visible_papers().filter(id__in=not_interested_rows(reader)).values_list("arxiv_id", flat=True))


ID_BATCH = 1000  # papers named in one engine query (a term set on the id field)


def matches_among(request: SearchRequest, arxiv_ids: list[str], limit: int, reader=None) -> SearchPage:
    """The papers among ``arxiv_ids`` that match ``request``, however low they rank among all its
    matches (a saved search's new papers): the best ``limit`` by the request's sort, and all counted.

    Keyword matching (the papers holding the query's words under its filters): by meaning every
    paper matches a little, so "new matches" would be every new paper.
    """
    if request.error:
        raise SearchError(request.error)
    if not request.query.strip() or not arxiv_ids:
        return SearchPage([], 0)
    f = request.filters
    base = Filters(date_from=f.date_from, date_to=f.date_to, categories=f.categories, authors=f.authors)
    matches = service.search(request.query, base, request.sort, 1, 0, mode="keyword").total
    hits: list[tuple[float, str]] = []
    if not matches:
        return SearchPage([], 0)
    if matches * 3 < len(arxiv_ids) * 2:
        # Fewer matches than candidates (a mark from before a bulk import): every match, kept if a
        # candidate, costs less than naming the candidates (measured: ~0.15 ms a match, ~0.1 ms an id).
        wanted = set(arxiv_ids)
        found = service.search(request.query, base, request.sort, matches, 0, mode="keyword")
        hits = [(score, doc_id) for score, doc_id in zip(found.scores, found.ids) if doc_id in wanted]
    else:
        for start in range(0, len(arxiv_ids), ID_BATCH):
            batch = tuple(arxiv_ids[start : start + ID_BATCH])
            engine_filters = Filters(
                date_from=f.date_from, date_to=f.date_to, categories=f.categories, authors=f.authors, ids=batch
            )
            # Every match of the batch: at most its size, so none is cut off by rank.
            found = service.search(request.query, engine_filters, request.sort, len(batch), 0, mode="keyword")
            hits += zip(found.scores, found.ids)
    hits.sort(key=lambda hit: -hit[0])  # scores are the sort's values: higher is better for every sort
    ids = [doc_id for _, doc_id in hits]
    if reader is not None and reader.is_authenticated:
        # The reader's own marks (few), not an IN list of every match.
        hidden = set(Paper.objects.filter(id__in=not_interested_rows(reader)).values_list("arxiv_id", flat=True))
        ids = [i for i in ids if i not in hidden]
    return SearchPage(_papers(ids[:limit]), len(ids))


def similar_papers(paper: Paper, limit: int = 5) -> list[Paper]:
    """Nearest neighbours of ``paper`` (by embedding, else by its abstract's terms), itself excluded."""
    return _papers(service.similar(paper.arxiv_id, paper.pk, paper.abstract, limit))

"""The one door from pages, feeds, the JSON API and the library to search (dailypapers.search.service).

``parse_request`` reads the query parameters by the one set of rules (search/rules.py) the
CLI also applies; ``run`` raises QueryError with one sentence naming what is wrong. Results
come back as Paper objects in rank order, loaded in one query with their stats; on the
results page each carries ``snippet_html``, the abstract snippet with the query's words in
<b> (escaped by the engine).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from django.utils.safestring import mark_safe

from dailypapers import latex
from dailypapers.community.marks import not_interested_rows
from dailypapers.lists import paging
from dailypapers.lists.listings import with_stats
from dailypapers.search import rules, service
from dailypapers.search.keyword import Filters
from dailypapers.search.text import QueryError
from dailypapers.store.models import Paper
from dailypapers.store.visibility import shown_papers

MAX_LIMIT = 100  # results in one page, web or API


@dataclass(frozen=True)
class SearchRequest:
    query: str = ""
    filters: Filters = Filters()  # the engine's own; a request never sets ``ids``
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
        filters = service.clean_filters(
            categories=[c for c in raw["category"].replace(",", " ").split()],
            date_from=raw["from"],
            date_to=raw["to"],
            authors=[raw["author"]] if raw["author"].strip() else [],
        )
    except QueryError as exc:
        return SearchRequest(query=query[: rules.MAX_QUERY_CHARS], error=str(exc), raw=raw)
    return SearchRequest(query=query, filters=filters, sort=sort, mode=mode, raw=raw)


@dataclass
class SearchPage:
    papers: list[Paper]
    total: int
    results: service.Results | None = None  # None for a blank query
    hidden: int = 0  # matches left out because the reader marked them not interested
    named_hidden: list[str] = field(default_factory=list)  # marked, but shown: the query named them (title, id)


def _papers(ids: list[str]) -> list[Paper]:
    found = {p.arxiv_id: p for p in with_stats(shown_papers()).filter(arxiv_id__in=ids)}
    return [found[i] for i in ids if i in found]


def run(request: SearchRequest, limit: int = 20, offset: int = 0, highlight: bool = True, reader=None) -> SearchPage:
    """Papers for a parsed request; raises QueryError for a query that cannot run. Without what
    ``reader`` (a signed-in user) marked not interested: the lists' one rule (listings.without_hidden)."""
    if request.error:
        raise QueryError(request.error)
    if not request.query.strip():
        return SearchPage([], 0)
    # The door's own check of the paging rule: no offset-sized allocation ever reaches tantivy.
    if offset < 0 or limit < 1 or offset + limit > paging.MAX_OFFSET + MAX_LIMIT:
        raise QueryError(f"At most {paging.MAX_OFFSET:,} results can be paged through; narrow the search instead.")
    engine_filters = request.filters
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
        # A paper the query names exactly (its title, id or DOI) is shown all the same: the reader
        # asked for that one paper, and an empty answer would give no hint why.
        named = set(results.known) & hidden
        hidden -= named
        kept = [(i, score) for i, score in zip(results.ids, results.scores, strict=False) if i not in hidden]
        dropped = len(results.ids) - len(kept)
        results.ids = [i for i, _ in kept[offset : offset + limit]]
        results.scores = [score for _, score in kept[offset : offset + limit]]
        results.total = max(0, results.total - dropped)
        papers = _papers(results.ids)
        page = SearchPage(papers, results.total, results, dropped, [i for i in results.ids if i in named])
        _snippets(page)
        return page
    page = SearchPage(papers, results.total, results)
    _snippets(page)
    return page


def _snippets(page: SearchPage) -> None:
    assert page.results is not None
    for paper in page.papers:
        mark = page.results.highlights.get(paper.arxiv_id)
        if mark is not None:
            # The engine escapes the text, then adds <b>; LaTeX outside math becomes text (KaTeX typesets the math).
            paper.snippet_html = mark_safe(latex.snippet_html(mark.abstract))


def _hidden_ids(reader) -> set[str]:
    """The arXiv ids ``reader`` marked not interested (none for anonymous readers): one query."""
    if reader is None or not reader.is_authenticated:
        return set()
    return set(shown_papers().filter(id__in=not_interested_rows(reader)).values_list("arxiv_id", flat=True))


ID_BATCH = 1000  # papers named in one engine query (a term set on the id field)


def matches_among(request: SearchRequest, arxiv_ids: list[str], limit: int, reader=None) -> SearchPage:
    """The papers among ``arxiv_ids`` that match ``request``, however low they rank among all its
    matches (a saved search's new papers): the best ``limit`` by the request's sort, and all counted.

    Keyword matching (the papers holding the query's words under its filters): by meaning every
    paper matches a little, so "new matches" would be every new paper.
    """
    if request.error:
        raise QueryError(request.error)
    if not request.query.strip() or not arxiv_ids:
        return SearchPage([], 0)
    base = replace(request.filters, ids=())
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
            engine_filters = replace(base, ids=batch)
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

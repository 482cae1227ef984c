"""Searching this machine's indexes from a Django process (web, API, CLI).

Each process keeps its open indexes and, once needed, the query embedder; a cheap stat of
state.json per query notices a writer's commit, and only then the keyword reader reloads
(and the vectors, when their version moved). A search never writes the index: the web
server's background refresher (search/refresher.py), `dailypapers index`, and the end of
every import, sync and embed bring it up to date.
"""

from __future__ import annotations

import os
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

from dailypapers.search import indexer, rules
from dailypapers.search.embed import Embedder, EmbedderError
from dailypapers.search.hybrid import HybridSearch
from dailypapers.search.keyword import Filters, Highlight, KeywordIndex, Sort
from dailypapers.search.known import Identifier, identify
from dailypapers.search.models import PaperEmbedding
from dailypapers.search.static import STATIC_SPACE, StaticEmbedder
from dailypapers.search.text import QueryError, parse_query
from dailypapers.search.tiers import Tier, TieredVectors
from dailypapers.search.vectors import VectorIndex
from dailypapers.store import taxonomy
from dailypapers.store.models import Paper

Mode = rules.Mode
_VERSION = re.compile(r"v\d+$")
# Below this share of papers embedded, "auto" runs keyword search rather than hybrid.
# bench/scifact.py, random subsets embedded, hybrid nDCG@10 with the stand-in fusion (naive
# fusion in brackets) against keyword 0.691: 10% 0.689 (0.622), 25% 0.693 (0.611),
# 50% 0.699 (0.651), 75% 0.714 (0.672), 100% 0.731.
AUTO_HYBRID_MIN_COVERAGE = 0.25
# Known categories are read from the papers at most this often per process.
CATEGORIES_TTL_SECONDS = 300.0


@dataclass(frozen=True)
class Coverage:
    """How much of the collection semantic search can see."""

    embedded: int  # papers with a vector in this machine's index (either tier)
    papers: int  # papers in the keyword index
    static: int = 0  # of embedded, papers searched through the fast static tier so far

    @property
    def share(self) -> float:
        return self.embedded / self.papers if self.papers else 0.0

    def describe(self) -> str:
        text = f"semantic: {self.embedded:,} of {self.papers:,} papers"
        if self.static:
            text += f" ({self.static:,} by the fast first tier while the full model runs)"
        return text


@dataclass
class Results:
    ids: list[str]
    scores: list[float]
    total: int
    mode: str  # what actually ran: hybrid, keyword or semantic
    highlights: dict[str, Highlight] = field(default_factory=dict)
    coverage: Coverage = Coverage(0, 0)
    note: str = ""  # why the mode that ran is not the one asked for, if it is not
    all_words: int | None = None  # of total, how many contain every word (None: not counted)
    known: tuple[str, ...] = ()  # ids put first because the query named them (id, URL, DOI, title)
    identifier: Identifier | None = None  # the whole query was this identifier
    found_id: str = ""  # ... and it is this paper (the web goes straight to its page)


class _Reader:
    def __init__(self, root: Path, state: indexer.State):
        self.root = root
        self.state = state
        gen = indexer.generation_dir(root, state)
        self.keyword = KeywordIndex(gen / "keyword")
        self.vectors = VectorIndex.open(gen / "vectors", read_only=True) if state.vectors else None
        self.static = VectorIndex.open(gen / indexer.STATIC_VECTORS, read_only=True) if state.static_vectors else None

    def refresh(self, state: indexer.State) -> _Reader:
        if state.generation != self.state.generation:
            return _Reader(self.root, state)
        self.keyword.reload()
        if state.vectors_version != self.state.vectors_version:
            gen = indexer.generation_dir(self.root, state)
            self.vectors = VectorIndex.open(gen / "vectors", read_only=True) if state.vectors else None
            self.static = (
                VectorIndex.open(gen / indexer.STATIC_VECTORS, read_only=True) if state.static_vectors else None
            )
        self.state = state
        return self

    def tiers(self) -> TieredVectors:
        """The vector indexes semantic search reads, each embedding the query in its own space."""
        tiers = []
        if self.vectors is not None:
            tiers.append(Tier(indexer.current_model_id(), self.vectors, lambda text: _embedder().embed_query(text)))
        if self.static is not None:
            tiers.append(Tier(STATIC_SPACE, self.static, lambda text: _static_embedder().embed_query(text), fast=True))
        return TieredVectors(tiers)


_lock = threading.Lock()
_readers: dict[Path, tuple[tuple[int, int], _Reader]] = {}
_embedders: dict[Path, Embedder] = {}
_static_embedders: dict[Path, StaticEmbedder] = {}


def _reader() -> _Reader | None:
    root = indexer.index_dir()
    try:
        st = os.stat(root / "state.json")
    except FileNotFoundError:
        return None
    key = (st.st_mtime_ns, st.st_ino)
    with _lock:
        known = _readers.get(root)
        if known and known[0] == key:
            return known[1]
        state = indexer.read_state(root)
        reader = known[1].refresh(state) if known else _Reader(root, state)
        _readers[root] = (key, reader)
        return reader


def _embedder() -> Embedder:
    model_dir = Path(settings.SEARCH_MODEL_DIR)
    with _lock:
        if model_dir not in _embedders:
            _embedders[model_dir] = Embedder(model_dir=model_dir, threads=2)
        return _embedders[model_dir]


def _static_embedder() -> StaticEmbedder:
    model_dir = Path(settings.SEARCH_MODEL_DIR)
    with _lock:
        if model_dir not in _static_embedders:
            _static_embedders[model_dir] = StaticEmbedder(model_dir, compact=True)
        return _static_embedders[model_dir]


def _semantic_ready(reader: _Reader) -> bool:
    return (reader.vectors is not None or reader.static is not None) and (
        reader.state.model_id == indexer.current_model_id()
    )


_categories: tuple[float, frozenset[str]] | None = None


def known_categories(wanted: tuple[str, ...] | list[str] = ()) -> frozenset[str]:
    """Every category some paper is in (cached per process for CATEGORIES_TTL_SECONDS, and read
    again at once when a category asked for is not in the cached set: a new category is never
    refused for a stale cache)."""
    global _categories
    now = time.monotonic()
    cached = {c.lower() for c in _categories[1]} if _categories is not None else set()
    stale = _categories is None or now - _categories[0] > CATEGORIES_TTL_SECONDS
    if stale or any(w.strip().lower() not in cached for w in wanted if w.strip()):
        found: set[str] = set()
        for value in Paper.objects.values_list("categories", flat=True).distinct().iterator(chunk_size=5000):
            # Only arXiv's categories: a value some older import kept whole ("cs.CV,") is never suggested.
            found.update(c for c in value.split() if c in taxonomy.CATEGORIES)
        _categories = (now, frozenset(found))
    assert _categories is not None
    return _categories[1]


def clean_filters(
    categories: tuple[str, ...] | list[str] = (),
    date_from: str | None = None,
    date_to: str | None = None,
    authors: tuple[str, ...] | list[str] = (),
) -> Filters:
    """Filters from user input, by the one set of rules (search/rules.py); QueryError names the bad one."""
    start, end = rules.parse_date(date_from, "from"), rules.parse_date(date_to, "to")
    rules.check_date_range(start, end)
    cats = (
        rules.canonical_categories(categories, known_categories(categories))
        if any(c.strip() for c in categories)
        else ()
    )
    return Filters(
        date_from=start, date_to=end, categories=cats, authors=tuple(a.strip() for a in authors if a and a.strip())
    )


def coverage(reader: _Reader | None = None) -> Coverage:
    reader = reader or _reader()
    if reader is None:
        return Coverage(0, 0)
    if not _semantic_ready(reader):
        return Coverage(0, len(reader.keyword))
    static = len(reader.static) if reader.static is not None else 0
    full = len(reader.vectors) if reader.vectors is not None else 0
    return Coverage(full + static, len(reader.keyword), static)


def _lookup(ident: Identifier) -> str:
    """The stored id of the paper an identifier names, or ''."""
    if ident.arxiv_id:
        return ident.arxiv_id if Paper.objects.filter(arxiv_id=ident.arxiv_id, deleted=False).exists() else ""
    found = Paper.objects.filter(doi__iexact=ident.doi, deleted=False).values_list("arxiv_id", flat=True).first()
    return found or ""


def search(
    query: str,
    filters: Filters | None = None,
    sort: str = "relevance",
    limit: int = 20,
    offset: int = 0,
    mode: Mode = "auto",
    highlight: bool = False,
) -> Results:
    """Ranked paper ids for ``query``. Raises QueryError with a message meant for the user.

    Known items come first: a query that is an arXiv id, URL or DOI lists that paper alone;
    a paper whose title equals the query (up to case and punctuation) leads the list.
    """
    parsed = parse_query(query)
    sort_ = Sort(rules.check_sort(sort))
    mode = rules.check_mode(mode)
    if limit < 1 or offset < 0:
        raise QueryError("limit must be at least 1 and offset not negative.")
    reader = _reader()
    if reader is None:
        return Results([], [], 0, "keyword")
    cover = coverage(reader)
    ident = identify(parsed.raw)
    if ident is not None:
        found = _lookup(ident)
        ids = [found] if found and offset == 0 else []
        return Results(
            ids,
            [1.0] * len(ids),
            1 if found else 0,
            "identifier",
            coverage=cover,
            known=tuple(ids),
            identifier=ident,
            found_id=found,
        )
    known: list[str] = []
    if sort_ is Sort.RELEVANCE and parsed.terms and filters_allow_titles(filters):
        known = reader.keyword.title_matches(parsed.raw)
    semantic_ok = _semantic_ready(reader) and cover.embedded > 0
    note = ""
    if mode == "semantic" and not semantic_ok:
        raise QueryError(
            "Semantic search needs paper embeddings: run `dailypapers embed` "
            "(`make run` computes them in the background)."
        )
    run = mode
    if sort_ is not Sort.RELEVANCE and mode != "keyword":
        run, note = "keyword", f"sorted by {sort_.value}: keyword matches (papers containing every word)"
    elif mode == "auto":
        run = "hybrid" if semantic_ok and cover.share >= AUTO_HYBRID_MIN_COVERAGE else "keyword"
        if semantic_ok and run == "keyword":
            # The coverage itself is shown beside the note (page, API, CLI): said once.
            note = "keyword only while embeddings are computed"
    elif mode == "hybrid" and not semantic_ok:
        run, note = "keyword", "keyword only: no paper is embedded yet"
    # Fetch enough to fill the page once the known items (listed first) are taken out.
    skip = max(0, offset - len(known))
    want = limit - max(0, len(known) - offset) + len(known)
    if run != "keyword" and not parsed.terms:  # only author: operators: nothing to embed
        run, note = "keyword", "keyword: the query names only authors"
    elif run != "keyword" and reader.keyword.is_author_name(parsed.raw):
        # A name's embedding finds papers about nothing in particular: fused with it, an author's
        # papers fell out of the top 10 (bench/relevance.py hybrid author recall@10 0.006 vs 0.994).
        run, note = "keyword", "keyword: the query is an author's name"
    all_words = None
    if run == "keyword":
        result = reader.keyword.search(parsed, want, skip, filters, sort_)
        hits, total, all_words = result.hits, result.total, result.all_words
        if result.by_author:
            note = f"first the {result.by_author:,} papers by {parsed.raw}, then papers with these words"
    else:
        engine = HybridSearch(reader.keyword, reader.tiers())
        try:
            if run == "semantic":
                hits = engine.semantic(parsed, skip + want, filters)[skip:]
                total = skip + len(hits)
            else:
                result = engine.search(parsed, want, skip, filters)
                hits, total = result.hits, result.total
        except EmbedderError as exc:  # a tier's query embedder could not load
            raise QueryError(f"Semantic search is unavailable: {exc}.") from exc
    known_set = set(known)
    rest = [(doc_id, score) for doc_id, score in hits if doc_id not in known_set]
    lead = [(doc_id, rest[0][1] + 1.0 if rest else 1.0) for doc_id in known[offset:]]
    page = (lead + rest)[:limit]
    total = max(total, len(known))
    ids = [doc_id for doc_id, _ in page]
    marks = reader.keyword.highlight(parsed, ids) if highlight and parsed.terms else {}
    return Results(
        ids,
        [score for _, score in page],
        total,
        run,
        marks,
        coverage=cover,
        note=note,
        all_words=all_words,
        known=tuple(known),
    )


def filters_allow_titles(filters: Filters | None) -> bool:
    """Title matches lead only unfiltered searches (a filter is the user's explicit narrowing)."""
    return filters is None or filters.is_empty


def _base(arxiv_id: str) -> str:
    return _VERSION.sub("", arxiv_id)


def similar(arxiv_id: str, paper_pk: int, abstract: str, limit: int = 5) -> list[str]:
    """Ids of the papers nearest to this one: by its embedding where it has one, else by
    more-like-this over its abstract's distinctive terms (never its title's words alone);
    never the paper itself or another version of it."""
    reader = _reader()
    if reader is None or limit < 1:
        return []
    own = _base(arxiv_id)
    hits: list[tuple[str, float]] = []
    if _semantic_ready(reader):
        # Neighbours in the paper's own space (its tier): vectors of two spaces are never compared.
        row = PaperEmbedding.objects.filter(paper_id=paper_pk).first()
        index = (
            {indexer.current_model_id(): reader.vectors, STATIC_SPACE: reader.static}.get(row.model_id) if row else None
        )
        if row is not None and index is not None:
            hits = index.search(row.as_array(), limit + 3)
    if not hits:
        hits = reader.keyword.more_like_abstract(abstract[:20_000], limit + 3, exclude=[arxiv_id])
    return [doc_id for doc_id, _ in hits if _base(doc_id) != own][:limit]

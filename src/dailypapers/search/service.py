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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from django.conf import settings

from dailypapers.search import indexer
from dailypapers.search.embed import Embedder, EmbedderError
from dailypapers.search.hybrid import HybridSearch
from dailypapers.search.keyword import Filters, Highlight, KeywordIndex, Sort
from dailypapers.search.models import PaperEmbedding
from dailypapers.search.text import QueryError, parse_query
from dailypapers.search.vectors import VectorIndex

Mode = Literal["auto", "hybrid", "keyword", "semantic"]
_VERSION = re.compile(r"v\d+$")


@dataclass
class Results:
    ids: list[str]
    scores: list[float]
    total: int
    mode: str  # what actually ran: hybrid, keyword or semantic
    highlights: dict[str, Highlight] = field(default_factory=dict)


class _Reader:
    def __init__(self, root: Path, state: indexer.State):
        self.root = root
        self.state = state
        gen = indexer.generation_dir(root, state)
        self.keyword = KeywordIndex(gen / "keyword")
        self.vectors = VectorIndex.open(gen / "vectors") if state.vectors else None

    def refresh(self, state: indexer.State) -> _Reader:
        if state.generation != self.state.generation:
            return _Reader(self.root, state)
        self.keyword.reload()
        if state.vectors_version != self.state.vectors_version:
            self.vectors = VectorIndex.open(indexer.generation_dir(self.root, state) / "vectors") if state.vectors else None
        self.state = state
        return self


_lock = threading.Lock()
_readers: dict[Path, tuple[tuple[int, int], _Reader]] = {}
_embedders: dict[Path, Embedder] = {}


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


def _semantic_ready(reader: _Reader) -> bool:
    return reader.vectors is not None and reader.state.model_id == indexer.current_model_id()


def search(query: str, filters: Filters | None = None, sort: str = "relevance", limit: int = 20, offset: int = 0,
           mode: Mode = "auto", highlight: bool = False) -> Results:
    """Ranked paper ids for ``query``. Raises QueryError with a message meant for the user."""
    parsed = parse_query(query)
    try:
        sort_ = Sort(sort)
    except ValueError:
        raise QueryError(f"Unknown sort {sort!r}: use relevance, newest or votes.") from None
    if limit < 1 or offset < 0:
        raise QueryError("limit must be at least 1 and offset not negative.")
    reader = _reader()
    if reader is None:
        return Results([], [], 0, "keyword")
    semantic_ok = _semantic_ready(reader)
    if mode == "semantic" and not semantic_ok:
        raise QueryError("Semantic search needs paper embeddings: run `dailypapers embed`, then `dailypapers index`.")
    if mode == "keyword" or (mode == "auto" and not semantic_ok) or sort_ is not Sort.RELEVANCE:
        result = reader.keyword.search(parsed, limit, offset, filters, sort_)
        ran = "keyword"
        hits, total = result.hits, result.total
    else:
        assert reader.vectors is not None  # semantic_ok
        try:
            engine = HybridSearch(reader.keyword, reader.vectors, _embedder())
        except EmbedderError as exc:
            raise QueryError(f"Semantic search is unavailable: {exc}.") from exc
        if mode == "semantic":
            hits = engine.semantic(parsed, offset + limit, filters)[offset:]
            total, ran = offset + len(hits), "semantic"
        else:
            result = engine.search(parsed, limit, offset, filters)
            hits, total, ran = result.hits, result.total, "hybrid"
    ids = [doc_id for doc_id, _ in hits]
    marks = reader.keyword.highlight(parsed, ids) if highlight and not parsed.is_empty else {}
    return Results(ids, [score for _, score in hits], total, ran, marks)


def _base(arxiv_id: str) -> str:
    return _VERSION.sub("", arxiv_id)


def similar(arxiv_id: str, paper_pk: int, title: str, limit: int = 5) -> list[str]:
    """Ids of the papers nearest to this one (its embedding, else its title's keywords),
    never the paper itself or another version of it."""
    reader = _reader()
    if reader is None or limit < 1:
        return []
    own = _base(arxiv_id)
    hits: list[tuple[str, float]] = []
    if _semantic_ready(reader) and reader.vectors is not None:
        row = PaperEmbedding.objects.filter(paper_id=paper_pk, model_id=reader.state.model_id).first()
        if row is not None:
            hits = reader.vectors.search(row.as_array(), limit + 3)
    if not hits:
        parsed = parse_query(title[:2000])
        if parsed.is_empty:
            return []
        hits = reader.keyword.search(parsed, limit + 3).hits
    return [doc_id for doc_id, _ in hits if _base(doc_id) != own][:limit]

"""Hybrid search: BM25 and MiniLM candidates fused into one ranking.

Fusion parameters were tuned on SciFact's TRAIN qrels (bench/scifact.py --tune; the
test split is only ever evaluated). nDCG@10 on the 809 train claims: keyword alone 0.700,
semantic alone 0.662; convex fusion by alpha 0.2 -> 0.720, 0.3 -> 0.730, 0.4 -> 0.735,
0.5 -> 0.731, 0.6 -> 0.721; the best RRF (k=10, alpha 0.5) 0.725.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Literal

from .embed import Embedder
from .keyword import Filters, KeywordIndex, SearchResult, Sort
from .text import ParsedQuery, QueryError, parse_query
from .tiers import Tier, TieredVectors
from .vectors import EXACT_SUBSET, Hits, VectorIndex

# Runs the semantic half of hybrid searches beside the keyword half: one pool per process,
# made by the first hybrid search (never at import: a fork would copy dead threads).
_side: ThreadPoolExecutor | None = None
_side_lock = threading.Lock()


def side_pool() -> ThreadPoolExecutor:
    global _side
    with _side_lock:
        if _side is None:
            _side = ThreadPoolExecutor(max_workers=4, thread_name_prefix="semantic")
        return _side


# Deepest result a page may reach: both candidate lists are fetched this deep at most.
MAX_RESULTS = 1_000


@dataclass(frozen=True)
class FusionParams:
    """How the two ranked lists become one.

    "convex": alpha * semantic + (1 - alpha) * keyword, each list's scores min-max
    normalised to [0, 1] (a document missing from a list gets 0 from it).
    "rrf": sum of weight / (rrf_k + rank) over the lists, semantic weighted by alpha * 2
    and keyword by (1 - alpha) * 2.
    """

    method: Literal["convex", "rrf"] = "convex"
    alpha: float = 0.4
    # Convex weight of a paper still on the fast static tier (search/static.py): its weaker
    # vector gets less say. SciFact train claims, static tier alone: keyword 0.697; alpha 0.05
    # 0.700, 0.1 0.701, 0.15 0.703, 0.2 0.698, 0.3 0.693, 0.4 (the full model's) 0.672.
    static_alpha: float = 0.15
    rrf_k: int = 60
    depth: int = 100  # candidates taken from each list
    # While embeddings are partial, keyword hits without a vector keep their keyword score (fuse()).
    stand_in: bool = True


def _minmax(hits: Hits) -> dict[str, float]:
    if not hits:
        return {}
    scores = [s for _, s in hits]
    low, high = min(scores), max(scores)
    span = high - low
    return {doc_id: (s - low) / span if span > 0 else 1.0 for doc_id, s in hits}


def fuse(
    keyword: Hits,
    semantic: Hits,
    params: FusionParams,
    embedded: Callable[[str], bool] | None = None,
    fast: Callable[[str], bool] | None = None,
) -> Hits:
    """One ranking from two (id, score) lists, best first; ties keep keyword order first.

    ``embedded`` says which papers semantic search can score at all. While embeddings are
    partial, a keyword hit without a vector is fused only with itself (its keyword score
    stands in for the semantic one) instead of losing the semantic share: a partial
    embedding must never push a paper below where keyword search alone would put it. ``fast``
    says which papers carry a static-tier vector: their convex weight is ``static_alpha``.
    """
    fused: dict[str, float] = {}
    if params.method == "convex":
        keyword_scores, semantic_scores = _minmax(keyword), _minmax(semantic)

        def alpha(doc_id: str) -> float:
            return params.static_alpha if fast is not None and fast(doc_id) else params.alpha

        for doc_id, s in keyword_scores.items():
            stand_in = s if embedded is not None and doc_id not in semantic_scores and not embedded(doc_id) else 0.0
            a = alpha(doc_id)
            fused[doc_id] = (1.0 - a) * s + a * stand_in
        for doc_id, s in semantic_scores.items():
            fused[doc_id] = fused.get(doc_id, 0.0) + alpha(doc_id) * s
    elif params.method == "rrf":
        for hits, weight in ((keyword, 2 * (1.0 - params.alpha)), (semantic, 2 * params.alpha)):
            for rank, (doc_id, _) in enumerate(hits, start=1):
                fused[doc_id] = fused.get(doc_id, 0.0) + weight / (params.rrf_k + rank)
    else:
        raise ValueError(f"unknown fusion method {params.method!r}")
    return sorted(fused.items(), key=lambda item: -item[1])


class HybridSearch:
    def __init__(
        self,
        keyword: KeywordIndex,
        vectors: VectorIndex | TieredVectors,
        embedder: Embedder | None = None,
        params: FusionParams = FusionParams(),
    ):
        """``vectors``: one index of ``embedder``'s space, or tiers that each embed the query their own way."""
        self.keyword = keyword
        if isinstance(vectors, VectorIndex):
            if embedder is None:
                raise ValueError("a single vector index needs the embedder of its space")
            vectors = TieredVectors([Tier(getattr(embedder, "model_id", ""), vectors, embedder.embed_query)])
        self.vectors = vectors
        self.params = params

    def search(
        self,
        query: str | ParsedQuery,
        limit: int = 20,
        offset: int = 0,
        filters: Filters | None = None,
        sort: Sort = Sort.RELEVANCE,
    ) -> SearchResult:
        """Fused relevance ranking. Other sorts order the keyword matches (papers containing
        every term), since a semantic neighbour list has no natural cut-off to sort."""
        parsed = parse_query(query) if isinstance(query, str) else query
        if Sort(sort) is not Sort.RELEVANCE:
            return self.keyword.search(parsed, limit, offset, filters, sort)
        if offset + limit > MAX_RESULTS:
            raise QueryError(f"Only the first {MAX_RESULTS:,} results can be shown; refine the query or add filters.")
        depth = max(self.params.depth, offset + limit)
        # The two lists are found side by side (tantivy, onnxruntime and usearch release the GIL).
        semantic_future = side_pool().submit(self.semantic, parsed, depth, filters)
        try:
            keyword = self.keyword.search(parsed, limit=depth, filters=filters, plain=True)
        finally:
            semantic = semantic_future.result()
        partial = self.params.stand_in and len(self.vectors) < len(self.keyword)
        fast = self.vectors.is_fast if any(t.fast for t in self.vectors.live) else None
        fused = fuse(keyword.hits, semantic, self.params, self.vectors.__contains__ if partial else None, fast)
        return SearchResult(hits=fused[offset : offset + limit], total=max(keyword.total, len(fused)))

    def semantic(self, query: str | ParsedQuery, k: int, filters: Filters | None = None) -> Hits:
        """Nearest papers to the query's embedding that pass ``filters`` and, as in keyword
        search, contain the query's quoted phrases and words."""
        parsed = parse_query(query) if isinstance(query, str) else query
        if parsed.is_empty:
            raise QueryError("Type at least one word to search for.")
        text = parsed.text
        filters = filters or Filters()
        keyword_checked = not filters.without_dates().is_empty or bool(parsed.phrases or parsed.required)
        span = filters.day_range() if self.vectors.knows_days else None
        if not keyword_checked and (span is not None or filters.is_empty):
            return self.vectors.search(text, k, days=span)
        # A small allowed set is scanned exactly; a large one checks over-fetched neighbours.
        if self.keyword.count(filters, parsed) <= EXACT_SUBSET:
            allowed = self.keyword.ids_matching(filters, EXACT_SUBSET, parsed)
            return self.vectors.search(text, k, allowed_ids=allowed)
        return self.vectors.search(
            text, k, allowed_ids=lambda ids: self.keyword.filter_ids(ids, filters, parsed), days=span
        )

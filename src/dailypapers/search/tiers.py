"""Semantic search over papers whose vectors come from different embedding spaces.

While ``dailypapers embed`` runs, some papers carry the full MiniLM vector and the rest the
fast static one (search/static.py). Cosines from two spaces mean different things, and a
query vector from one space compared with a document vector from the other is meaningless,
so each tier keeps its own vector index and embeds the query its own way. Each paper sits in
exactly one tier (the indexer moves it when its full vector arrives).

The tiers' ranked lists are merged by standardised score: a hit's cosine minus the mean
cosine of the query to a sample of that tier's papers, divided by their standard deviation.
That asks "how far above this space's usual similarity is this paper", which is comparable
across spaces where raw cosines are not (static cosines run higher and flatter). With one
non-empty tier the raw cosines come back unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field

import numpy as np

from .vectors import AllowedCheck, DayRange, Hits, VectorIndex

# Papers per tier whose similarity to the query sets its mean and spread (~1 ms at 384-d).
SAMPLE = 2048


@dataclass
class Tier:
    model_id: str  # the embedding space of every vector in ``vectors``
    vectors: VectorIndex
    encode: Callable[[str], np.ndarray]  # a query's vector in this space
    fast: bool = False  # the static tier: hybrid fusion gives its vectors less weight
    _sample: np.ndarray | None = field(default=None, repr=False)

    def sample(self) -> np.ndarray:
        if self._sample is None:
            self._sample = self.vectors.sample(SAMPLE)
        return self._sample


class TieredVectors:
    """Several vector indexes, one per embedding space, searched as one."""

    def __init__(self, tiers: list[Tier]):
        self.tiers = tiers

    def __len__(self) -> int:
        return sum(len(t.vectors) for t in self.tiers)

    def __contains__(self, doc_id: object) -> bool:
        return any(doc_id in t.vectors for t in self.tiers)

    def is_fast(self, doc_id: str) -> bool:
        return any(doc_id in t.vectors for t in self.tiers if t.fast)

    @property
    def live(self) -> list[Tier]:
        return [t for t in self.tiers if len(t.vectors)]

    @property
    def knows_days(self) -> bool:
        return all(t.vectors.knows_days for t in self.live)

    def search(
        self,
        text: str,
        k: int,
        allowed_ids: Collection[str] | AllowedCheck | None = None,
        days: DayRange | None = None,
    ) -> Hits:
        """Top ``k`` papers for the query text over every tier, best first (see the module doc)."""
        live = self.live
        if len(live) == 1:
            tier = live[0]
            return tier.vectors.search(tier.encode(text), k, allowed_ids=allowed_ids, days=days)
        merged: Hits = []
        for tier in live:
            query = tier.encode(text)
            hits = tier.vectors.search(query, k, allowed_ids=allowed_ids, days=days)
            if not hits:
                continue
            background = tier.sample() @ (query / max(float(np.linalg.norm(query)), 1e-12))
            mean, spread = float(background.mean()), max(float(background.std()), 1e-6)
            merged.extend((doc_id, (score - mean) / spread) for doc_id, score in hits)
        merged.sort(key=lambda hit: -hit[1])
        return merged[:k]

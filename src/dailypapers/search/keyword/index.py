"""KeywordIndex: BM25 keyword search over papers, the one object the rest of the code holds.

Storage lives in store.py, query building in query.py, ranking tiers in ranking.py, similar
papers in similar.py and snippets in highlight.py; this class ties them to one index.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import tantivy

from ..text import ParsedQuery, QueryError, normalize_title, parse_query
from . import highlight as highlighting
from . import similar
from .highlight import Highlight
from .query import DEFAULT_BOOSTS, FieldBoosts, Filters, QueryBuilder, Sort, must
from .ranking import SearchResult, count_matches, ids_of, is_author_name, relevance_tiers, search_one, search_tiers
from .store import Shard, ShardedIndex, stored_id


class KeywordIndex(ShardedIndex):
    def __init__(
        self,
        path: str | Path,
        boosts: FieldBoosts = DEFAULT_BOOSTS,
        writer_heap: int = 128_000_000,
        shards: int | None = None,
    ):
        """Open (or create) the index at ``path``; ``shards`` counts only when creating it."""
        super().__init__(path, writer_heap, shards)
        self.queries = QueryBuilder(self.schema, boosts)

    @property
    def boosts(self) -> FieldBoosts:
        return self.queries.boosts

    @boosts.setter
    def boosts(self, boosts: FieldBoosts) -> None:
        """Rank with other field weights from now on (bench/scifact.py compares them on one index)."""
        self.queries = QueryBuilder(self.schema, boosts)

    def is_author_name(self, text: str) -> bool:
        """Whether ``text`` is recognisably a name that is exactly some indexed author's full name."""
        return is_author_name(self, self.queries, text)

    def search(
        self,
        query: str | ParsedQuery,
        limit: int = 20,
        offset: int = 0,
        filters: Filters | None = None,
        sort: Sort = Sort.RELEVANCE,
        plain: bool = False,
    ) -> SearchResult:
        """Ranked ids. Relevance ranks by BM25 over any term, in tiers (ranking.py) with the
        exact-form and proximity boosts, unless ``plain``: the bare BM25 union, the scale hybrid
        fusion was tuned on. The other sorts list the papers that contain every term (so
        "newest" means newest about the whole query)."""
        parsed = parse_query(query) if isinstance(query, str) else query
        sort = Sort(sort)
        if parsed.is_empty and sort is Sort.RELEVANCE:
            raise QueryError("Type at least one word to search for, or pick a sort order to browse.")
        if limit < 0 or offset < 0:
            raise QueryError("limit and offset must not be negative.")
        if sort is not Sort.RELEVANCE:
            return search_one(self, self.queries.build(parsed, filters, require_all=True), limit, offset, sort)
        if plain:
            return search_one(self, self.queries.build(parsed, filters, boosted=False), limit, offset, sort)
        author = not parsed.authors and self.is_author_name(parsed.raw)
        return search_tiers(self, relevance_tiers(self.queries, parsed, filters, author), limit, offset)

    def title_matches(self, text: str, limit: int = 5) -> list[str]:
        """Ids of papers whose title equals ``text`` up to case, accents, punctuation and spacing."""
        key = normalize_title(text)
        if not key:
            return []
        return sorted(doc_id for ids in ids_of(self, self.queries.term("title_key", key), limit) for doc_id in ids)[
            :limit
        ]

    def more_like_abstract(self, abstract: str, limit: int = 8, exclude: Sequence[str] = ()) -> list[tuple[str, float]]:
        """Papers whose title and abstract share the most distinctive terms of ``abstract`` (similar.py)."""
        return similar.more_like_abstract(self, self.queries, abstract, limit, exclude)

    def count(self, filters: Filters | None = None, query: ParsedQuery | None = None) -> int:
        """Documents that pass ``filters`` and contain ``query``'s quoted parts."""
        tq = self.queries.constraint(filters, query)
        return sum(self.every_shard(lambda shard: count_matches(shard.searcher(), tq)))

    def ids_matching(self, filters: Filters | None, limit: int, query: ParsedQuery | None = None) -> list[str]:
        """Ids of up to ``limit`` documents that pass ``filters`` and contain ``query``'s quoted parts."""
        if limit <= 0:
            return []
        return [doc_id for ids in ids_of(self, self.queries.constraint(filters, query), limit) for doc_id in ids][
            :limit
        ]

    def filter_ids(self, ids: Sequence[str], filters: Filters | None, query: ParsedQuery | None = None) -> set[str]:
        """The subset of ``ids`` in the index that passes ``filters`` and contains ``query``'s quoted parts."""
        if not ids:
            return set()
        constraint = self.queries.constraint(filters, query)

        def one(part: tuple[Shard, list[str]]) -> set[str]:
            shard, group = part
            tq = must(tantivy.Query.term_set_query(self.schema, "id", group), constraint)
            searcher = shard.searcher()
            return {
                stored_id(searcher.doc(addr)) for _, addr in searcher.search(tq, limit=len(group), count=False).hits
            }

        return set().union(*self.each(one, self.by_shard(ids)))

    def highlight(self, query: str | ParsedQuery, ids: Sequence[str]) -> dict[str, Highlight]:
        """HTML title and abstract snippets for ``ids`` with the query's words in <b>."""
        parsed = parse_query(query) if isinstance(query, str) else query
        return highlighting.highlight(self, parsed, ids)

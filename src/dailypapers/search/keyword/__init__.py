"""BM25 keyword search over papers, stored in tantivy indexes split into hash shards.

The parts, by job:

- ``store``: the schema, documents, shards, writers and parallel per-shard calls;
- ``query``: filters, field weights and tantivy queries built from a parsed query;
- ``ranking``: running queries over the shards, relevance tiers and author detection;
- ``similar``: papers like an abstract (more-like-this);
- ``highlight``: title and abstract snippets with the query's words in <b>;
- ``index``: :class:`KeywordIndex`, which ties them to one index.

Tuning evidence (field weights, shards, date filters, tier costs): docs/search.md.
"""

from .highlight import Highlight
from .index import KeywordIndex
from .query import FieldBoosts, Filters, Sort
from .ranking import SearchResult
from .store import DEFAULT_SHARDS, NO_DATE, SCHEMA_VERSION, KeywordIndexError, day_number

__all__ = [
    "DEFAULT_SHARDS",
    "NO_DATE",
    "SCHEMA_VERSION",
    "FieldBoosts",
    "Filters",
    "Highlight",
    "KeywordIndex",
    "KeywordIndexError",
    "SearchResult",
    "Sort",
    "day_number",
]

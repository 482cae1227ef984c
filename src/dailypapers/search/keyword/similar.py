"""Similar papers: the papers whose title and abstract share the most distinctive terms of an
abstract (more-like-this with our own term choice).

Not tantivy's more-like-this query: that one divides by the live document count while a
term's doc_freq still counts deleted documents until a merge, and panics once an update
leaves more deleted copies than live papers (https://github.com/quickwit-oss/tantivy/pull/2964)."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

import tantivy

from ..text import _STOP_TERMS, STOPWORDS, analyze
from .query import QueryBuilder
from .store import Shard, ShardedIndex, stored_id

MLT_TERMS = 25  # terms of an abstract that pick its similar papers (tantivy's max_query_terms was 25 too)


def _stop_words() -> frozenset[str]:
    """Words similar papers never match on, as written and as the body field stems them."""
    words = STOPWORDS | _STOP_TERMS
    return frozenset(words | {term for word in words for term in analyze(word)})


_STOP_SET = _stop_words()


def distinctive_terms(index: ShardedIndex, text: str) -> list[tuple[str, float]]:
    """The MLT_TERMS analysed terms of ``text`` with the highest tf * idf over the whole index
    (stop words and terms under 3 characters left out; terms no paper has cannot match)."""
    counts = Counter(t for t in analyze(text) if len(t) >= 3 and t not in _STOP_SET)
    if not counts:
        return []
    searchers = [shard.searcher() for shard in index.shards]
    total = sum(s.num_docs for s in searchers)
    weighted = []
    for term, tf in counts.items():
        df = sum(s.doc_freq("body", term) for s in searchers)
        if df:
            # doc_freq may count deleted copies (see above): clamp so idf stays defined and positive.
            weighted.append((term, tf * math.log(1 + (max(total, df) - df + 0.5) / (df + 0.5))))
    weighted.sort(key=lambda tw: (-tw[1], tw[0]))
    return [(term, weight) for term, weight in weighted[:MLT_TERMS] if weight > 0]


def more_like_abstract(
    index: ShardedIndex, builder: QueryBuilder, abstract: str, limit: int = 8, exclude: Sequence[str] = ()
) -> list[tuple[str, float]]:
    """Papers sharing the distinctive terms of ``abstract``: each term a Should clause on the
    body field boosted by its tf-idf weight, BM25-scored; ``exclude`` ids left out."""
    terms = distinctive_terms(index, abstract)
    if not terms:
        return []
    like = tantivy.Query.boolean_query(
        [
            (tantivy.Occur.Should, tantivy.Query.boost_query(builder.term("body", term), weight))
            for term, weight in terms
        ]
    )
    tq = (
        like
        if not exclude
        else tantivy.Query.boolean_query(
            [
                (tantivy.Occur.Must, like),
                (tantivy.Occur.MustNot, tantivy.Query.term_set_query(builder.schema, "id", list(exclude))),
            ]
        )
    )

    def one(shard: Shard) -> list[tuple[float, str]]:
        searcher = shard.searcher()
        return [(float(score), stored_id(searcher.doc(addr))) for score, addr in searcher.search(tq, limit=limit).hits]

    found = sorted((hit for part in index.every_shard(one) for hit in part), key=lambda h: -h[0])
    return [(doc_id, score) for score, doc_id in found[:limit]]

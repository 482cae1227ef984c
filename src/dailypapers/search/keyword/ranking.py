"""Running keyword queries over the shards: one ranked list, or relevance tiers paged as one.

Relevance ranks in tiers, best first, each excluding the ones before it:

1. papers by the author the query names (a 2-4 word capitalised query equal to an indexed
   author's full name, see :func:`is_author_name`), ranked by their text match;
2. papers containing every word (queries of 2..COORDINATION_MAX_TERMS content words);
3. the rest of the BM25 union.

tantivy-py collects every match of a query (a count beside the top hits leaves no room for
pruning), so the union tier, which holds nearly every paper with a common word, is the costly
one. It is ranked only when the tiers before it leave the page short; otherwise it is only
counted, without scores (docs/search.md, Tuning evidence).
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import tantivy

from ..text import ParsedQuery, looks_like_name, normalize_name
from .query import Filters, QueryBuilder, Sort
from .store import Shard, ShardedIndex, stored_id

# The all-words tier applies to queries of 2..COORDINATION_MAX_TERMS content words; longer ones
# are pasted text or claims (SciFact), where requiring every word only loses relevant papers.
COORDINATION_MAX_TERMS = 6


@dataclass(frozen=True)
class SearchResult:
    hits: list[tuple[str, float]]  # (id, score); the score is the sort value for non-relevance sorts
    total: int  # documents matching, not only those returned
    # Of ``total``, how many contain every word (None: not counted, e.g. a long query).
    all_words: int | None = None
    by_author: int = 0  # of ``total``, the papers listed first because the query is their author's name


@dataclass(frozen=True)
class Tier:
    query: tantivy.Query  # its papers, before the earlier tiers' papers are left out
    complete: bool | None  # whether its papers contain every word of the query; None: the author tier
    # A query for the same papers that is cheaper to count (no exact-form or proximity clauses), or None.
    count_query: tantivy.Query | None = None


# One shard's answer to one query: its searcher (addresses are only valid in it), its best
# (value, address) pairs, and its count of matches.
Part = tuple[tantivy.Searcher, list[tuple[float, Any]], int]


def is_author_name(index: ShardedIndex, builder: QueryBuilder, text: str) -> bool:
    """Whether ``text`` is recognisably a name (2-4 capitalised tokens) that is exactly
    some indexed author's full name (normalised: case, accents and punctuation aside)."""
    if not looks_like_name(text):
        return False
    name = normalize_name(text)
    # doc_freq counts deleted copies too, so 0 everywhere is a sure "no" without a search.
    if not any(shard.searcher().doc_freq("author_key", name) for shard in index.shards):
        return False
    key = builder.term("author_key", name)
    return any(count > 0 for count in index.every_shard(lambda shard: count_matches(shard.searcher(), key)))


def relevance_tiers(builder: QueryBuilder, parsed: ParsedQuery, filters: Filters | None, author: bool) -> list[Tier]:
    """The tiers for ``parsed`` (``author``: the query is an indexed author's full name), best first."""
    tiers: list[Tier] = []
    if author:
        by_author = builder.term("author_key", normalize_name(parsed.raw))
        clauses = [
            (tantivy.Occur.Must, tantivy.Query.const_score_query(by_author, 0.0)),
            *[(tantivy.Occur.Must, f) for f in builder.filter_clauses(filters)],
            (tantivy.Occur.Must, tantivy.Query.all_query()),
            *builder.exact_clauses(parsed),
        ]
        tiers.append(Tier(tantivy.Query.boolean_query(clauses), None))
    if 2 <= len(parsed.terms) <= COORDINATION_MAX_TERMS:
        every = builder.build(parsed, filters, require_all=True)
        tiers.append(
            Tier(tantivy.Query.boolean_query([(tantivy.Occur.Must, every), *builder.exact_clauses(parsed)]), True)
        )
    tiers.append(Tier(builder.build(parsed, filters), len(parsed.terms) <= 1, builder.count_form(parsed, filters)))
    return tiers


def exclude_earlier(tiers: Sequence[Tier]) -> list[Tier]:
    """Each tier with the papers of the tiers before it left out in the query itself."""
    out = list(tiers[:1])
    for i, tier in enumerate(tiers[1:], start=1):
        excluded = [(tantivy.Occur.MustNot, earlier.query) for earlier in tiers[:i]]
        out.append(Tier(tantivy.Query.boolean_query([(tantivy.Occur.Must, tier.query), *excluded]), tier.complete))
    return out


def count_matches(searcher: tantivy.Searcher, tq: tantivy.Query) -> int:
    return searcher.search(tq, limit=1, count=True).count  # type: ignore[attr-defined]  # tantivy's stub omits SearchResult.count


def _counted(searcher: tantivy.Searcher, tq: tantivy.Query) -> int:
    """Only the number of matches: ordered by a fast field, tantivy computes no BM25 score."""
    return searcher.search(tq, limit=1, count=True, order_by_field="votes").count  # type: ignore[attr-defined]


def _ranked(searcher: tantivy.Searcher, tq: tantivy.Query, fetch: int, sort: Sort = Sort.RELEVANCE) -> Part:
    kwargs: dict[str, Any] = {}
    if sort is not Sort.RELEVANCE:
        kwargs = {"order_by_field": "day" if sort is Sort.NEWEST else "votes", "order": tantivy.Order.Desc}
    found = searcher.search(tq, limit=fetch, count=True, **kwargs)
    return searcher, [(float(value), addr) for value, addr in found.hits], found.count  # type: ignore[attr-defined]


def _page(parts: Sequence[Part], skip: int, want: int) -> list[tuple[str, float]]:
    """Hits skip .. skip + want of the shards' lists merged, best first; equal values keep each
    shard's own order, shards in turn. Stored ids are read for the page only."""
    merged = heapq.merge(
        *([(value, i, rank, addr) for rank, (value, addr) in enumerate(hits)] for i, (_, hits, _) in enumerate(parts)),
        key=lambda hit: -hit[0],
    )
    return [
        (stored_id(parts[i][0].doc(addr)), value) for value, i, _, addr in itertools.islice(merged, skip, skip + want)
    ]


def search_one(index: ShardedIndex, tq: tantivy.Query, limit: int, offset: int, sort: Sort) -> SearchResult:
    # Each shard's best offset + limit hold the overall page. tantivy panics on limit 0.
    fetch = max(offset + limit, 1)
    parts = index.every_shard(lambda shard: _ranked(shard.searcher(), tq, fetch, sort))
    total = sum(count for _, _, count in parts)
    return SearchResult(
        hits=_page(parts, offset, limit), total=total, all_words=total if sort is not Sort.RELEVANCE else None
    )


def search_tiers(index: ShardedIndex, tiers: Sequence[Tier], limit: int, offset: int) -> SearchResult:
    """Pages across tiers: a tier's hits all come before the next tier's.

    Without an author tier the tiers nest (every paper with all the words is in the union), so
    the union tier is the union less the papers already listed, done here rather than with an
    exclusion clause that tantivy would test on every paper of the union."""
    fetch = max(offset + limit, 1)
    nested = all(tier.complete is not None for tier in tiers)
    if not nested:
        tiers = exclude_earlier(tiers)
    *leading, last = tiers

    def lead(shard: Shard) -> tuple[tantivy.Searcher, list[Part]]:
        searcher = shard.searcher()  # one searcher per shard for every tier: addresses stay comparable
        return searcher, [_ranked(searcher, tier.query, fetch) for tier in leading]

    firsts = index.every_shard(lead) if leading else [(shard.searcher(), []) for shard in index.shards]
    page_full = sum(part[2] for _, parts in firsts for part in parts) >= offset + limit

    def rest(first: tuple[tantivy.Searcher, list[Part]]) -> Part:
        searcher, parts = first
        earlier = sum(part[2] for part in parts) if nested else 0
        if page_full:
            return searcher, [], _counted(searcher, last.count_query or last.query) - earlier
        if not earlier:
            return _ranked(searcher, last.query, fetch)
        # The page is short, so every earlier tier fit in its own fetch: all their papers are known.
        listed = {(addr.segment_ord, addr.doc) for part in parts for _, addr in part[1]}
        _, hits, count = _ranked(searcher, last.query, fetch + earlier)
        return (
            searcher,
            [hit for hit in hits if (hit[1].segment_ord, hit[1].doc) not in listed][:fetch],
            count - earlier,
        )

    lasts = index.each(rest, firsts)
    by_shard = [[*parts, part] for (_, parts), part in zip(firsts, lasts)]
    hits: list[tuple[str, float]] = []
    total, all_words, counted, by_author = 0, 0, False, 0
    for t, tier in enumerate(tiers):
        parts_t = [shard_parts[t] for shard_parts in by_shard]
        count = sum(part[2] for part in parts_t)
        # This tier holds results total .. total + count; the page wants offset .. offset + limit.
        skip = max(0, offset - total)
        want = max(0, offset + limit - total - skip) if len(hits) < limit else 0
        if want:
            hits += _page(parts_t, skip, want)[: limit - len(hits)]
        total += count
        if tier.complete is None:
            by_author = count
        elif tier.complete:
            all_words, counted = all_words + count, True
    # With an author's papers first, "contains every word" is no longer what orders the list.
    return SearchResult(
        hits=hits, total=total, all_words=all_words if counted and not by_author else None, by_author=by_author
    )


def ids_of(index: ShardedIndex, tq: tantivy.Query, limit: int) -> list[list[str]]:
    """Each shard's ids of up to ``limit`` documents matching ``tq`` (unranked)."""

    def one(shard: Shard) -> list[str]:
        searcher = shard.searcher()
        return [stored_id(searcher.doc(addr)) for _, addr in searcher.search(tq, limit=limit, count=False).hits]

    return index.every_shard(one)

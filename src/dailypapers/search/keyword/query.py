"""Keyword query building: a :class:`~dailypapers.search.text.ParsedQuery` and filters in,
a tantivy query out, built with tantivy's query constructors, never with its query parser.

The weights (FieldBoosts) and the thresholds here were tuned on SciFact's train qrels and on
the 1M-paper bench: docs/search.md, Tuning evidence.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from enum import Enum

import tantivy

from ..text import ParsedQuery, analyze, normalize_name
from .store import NO_DATE, day_number

# Date ranges up to this many days filter through the days' postings (each day is a term);
# wider ones through tantivy's fast-field range, whose cost is a scan of every document.
DAY_TERMS_MAX = 366


@dataclass(frozen=True)
class FieldBoosts:
    """Per-field BM25 multipliers for free-text words. Authors are searched only when the
    query names an author (a name's words otherwise topped topic queries).

    "body" is title and abstract as one field; "title" adds to it, so a title word weighs
    1 + title against an abstract word's 1 (title > abstract > authors)."""

    title: float = 0.2
    body: float = 1.0
    # Unstemmed title+abstract: the exact form typed ("tokenizer") scores above a stem-only
    # match ("token"); its own BM25, so it also rewards the rarer exact word.
    exact: float = 0.2
    # Query words close together (within `proximity_slop` positions, in order) in title or abstract.
    proximity: float = 0.5
    proximity_slop: int = 2


DEFAULT_BOOSTS = FieldBoosts()


class Sort(str, Enum):
    RELEVANCE = "relevance"
    NEWEST = "newest"
    VOTES = "votes"


@dataclass(frozen=True)
class Filters:
    date_from: dt.date | None = None  # inclusive
    date_to: dt.date | None = None  # inclusive
    categories: tuple[str, ...] = ()  # any of these
    authors: tuple[str, ...] = ()  # every one of these (matched on the normalised full name)
    ids: tuple[str, ...] = ()  # only these papers (stored ids): new matches however low they rank

    @property
    def is_empty(self) -> bool:
        return not (self.date_from or self.date_to or self.categories or self.authors or self.ids)

    def day_range(self) -> tuple[int, int] | None:
        """The dates as inclusive day numbers (undated papers fall outside), or None."""
        if not (self.date_from or self.date_to):
            return None
        lower = day_number(self.date_from) if self.date_from else NO_DATE + 1
        upper = day_number(self.date_to) if self.date_to else dt.date.max.toordinal()
        return lower, upper

    def without_dates(self) -> Filters:
        return replace(self, date_from=None, date_to=None)


Clause = tuple[tantivy.Occur, tantivy.Query]


def must(*queries: tantivy.Query) -> tantivy.Query:
    return tantivy.Query.boolean_query([(tantivy.Occur.Must, q) for q in queries])


class QueryBuilder:
    """tantivy queries over one schema with one set of field weights."""

    def __init__(self, schema: tantivy.Schema, boosts: FieldBoosts):
        self.schema = schema
        self.boosts = boosts

    def term(self, field: str, value: str | int) -> tantivy.Query:
        return tantivy.Query.term_query(self.schema, field, value)

    def _field_boosts(self) -> list[tuple[str, float]]:
        b = self.boosts
        return [(name, boost) for name, boost in (("title", b.title), ("body", b.body)) if boost > 0]

    def _both_fields(self, field_query: Callable[[str], tantivy.Query], weight: float) -> tantivy.Query:
        """``field_query`` on title and body, weighted. Every title word is a body word, so this is
        Must(body) + Should(title): the papers and the score (title + body) of a union of the two,
        but tantivy skips through the body postings instead of merging both lists (docs/search.md).
        (Within an all-words query tantivy may then add the words' scores in another order: the
        same scores to float32 rounding.)"""
        b = self.boosts
        if b.title > 0 and b.body > 0:
            return tantivy.Query.boolean_query(
                [
                    (tantivy.Occur.Must, tantivy.Query.boost_query(field_query("body"), b.body * weight)),
                    (tantivy.Occur.Should, tantivy.Query.boost_query(field_query("title"), b.title * weight)),
                ]
            )
        fields = [tantivy.Query.boost_query(field_query(name), boost * weight) for name, boost in self._field_boosts()]
        return tantivy.Query.boolean_query([(tantivy.Occur.Should, q) for q in fields])

    def term_clause(self, term: str, weight: float) -> tantivy.Query:
        return self._both_fields(lambda name: self.term(name, term), weight)

    def phrase_clause(self, words: Sequence[tuple[int, str]]) -> tantivy.Query:
        return self._both_fields(lambda name: tantivy.Query.phrase_query(self.schema, name, list(words)), 1.0)

    def exact_clauses(self, query: ParsedQuery) -> list[Clause]:
        """Optional: the unstemmed forms of the query's words, and the words close together."""
        clauses: list[Clause] = []
        if self.boosts.exact > 0:
            clauses += [
                (tantivy.Occur.Should, tantivy.Query.boost_query(self.term("body_exact", w), self.boosts.exact * n))
                for w, n in query.exact.items()
            ]
        if self.boosts.proximity > 0 and query.sequence:
            near = tantivy.Query.phrase_query(
                self.schema, "body", list(query.sequence), slop=self.boosts.proximity_slop
            )
            clauses.append((tantivy.Occur.Should, tantivy.Query.boost_query(near, self.boosts.proximity)))
        return clauses

    def boosts_only_rank(self, query: ParsedQuery) -> bool:
        """Whether the exact-form and proximity clauses match no paper the terms do not: every
        exact word's stem and every proximity word is one of the terms (then the query without
        them finds the same papers, and counts them faster)."""
        stems = set(query.terms)
        return all(word in stems for _, word in query.sequence) and all(
            (stemmed := analyze(word)) and set(stemmed) <= stems for word in query.exact
        )

    def author_clauses(self, query: ParsedQuery) -> list[tantivy.Query]:
        """``author:`` operators: a full normalised name, or words of one author's name in order."""
        out = []
        for name in query.authors:
            key = self.term("author_key", normalize_name(name))
            words = list(enumerate(analyze(name)))
            either = [key]
            if len(words) == 1:
                either.append(self.term("authors", words[0][1]))
            elif words:
                either.append(tantivy.Query.phrase_query(self.schema, "authors", list[str | tuple[int, str]](words)))
            out.append(
                tantivy.Query.const_score_query(
                    tantivy.Query.boolean_query([(tantivy.Occur.Should, q) for q in either]), 0.0
                )
            )
        return out

    def filter_clauses(self, filters: Filters | None) -> list[tantivy.Query]:
        if filters is None or filters.is_empty:
            return []
        clauses = []
        if span := filters.day_range():
            lower, upper = span
            if upper - lower < DAY_TERMS_MAX:
                clauses.append(tantivy.Query.term_set_query(self.schema, "day", list(range(lower, upper + 1))))
            else:
                clauses.append(tantivy.Query.range_query(self.schema, "day", tantivy.FieldType.Integer, lower, upper))
        if filters.categories:
            clauses.append(tantivy.Query.term_set_query(self.schema, "category", list(filters.categories)))
        for author in filters.authors:
            clauses.append(self.term("author_key", normalize_name(author)))
        if filters.ids:
            clauses.append(tantivy.Query.term_set_query(self.schema, "id", list(filters.ids)))
        # Filters must not add to BM25 scores: hybrid fusion reads raw scores.
        return [tantivy.Query.const_score_query(q, 0.0) for q in clauses]

    def build(
        self,
        query: ParsedQuery,
        filters: Filters | None = None,
        require_all: bool = False,
        boosted: bool = True,
        fields: tuple[str, ...] = ("title", "body"),
    ) -> tantivy.Query:
        """The tantivy query for ``query`` under ``filters``.

        Terms are optional (BM25 OR) unless ``require_all``; quoted phrases and quoted single
        words are always required. An empty query matches every document that passes the filters.
        ``fields``: where the free-text words are looked up (title and body, or body alone to count).
        """
        clauses: list[Clause]
        if require_all:
            clauses = [(tantivy.Occur.Must, self.term_clause(t, n)) for t, n in query.terms.items()]
        else:
            # One flat union of (field, term) scorers: the same BM25 sum as a clause per term.
            clauses = [
                (tantivy.Occur.Should, tantivy.Query.boost_query(self.term(name, t), boost * n))
                for t, n in query.terms.items()
                for name, boost in self._field_boosts()
                if name in fields
            ]
            if clauses and (filters is not None and not filters.is_empty):
                # Beside a Must clause, Should clauses turn optional: without this nesting a
                # filtered query would list every paper in the filter, unmatched ones at score 0.
                clauses = [(tantivy.Occur.Must, tantivy.Query.boolean_query(clauses))]
        if clauses and boosted:
            clauses += self.exact_clauses(query)
        clauses += [(tantivy.Occur.Must, self.phrase_clause(p)) for p in query.phrases]
        clauses += [(tantivy.Occur.Must, self.term_clause(t, 1.0)) for t in query.required]
        clauses += [(tantivy.Occur.Must, f) for f in self.filter_clauses(filters)]
        clauses += [(tantivy.Occur.Must, a) for a in self.author_clauses(query)]
        if not query.terms:
            clauses.append((tantivy.Occur.Must, tantivy.Query.all_query()))
        return tantivy.Query.boolean_query(clauses)

    def count_form(self, query: ParsedQuery, filters: Filters | None) -> tantivy.Query | None:
        """A query for the same papers as ``build(query, filters)`` that is cheaper to count: the
        body words alone (title words are body words too) and no exact-form or proximity clause.
        None when those clauses could match a paper the terms do not."""
        if self.boosts.body <= 0 or not self.boosts_only_rank(query):
            return None
        return self.build(query, filters, boosted=False, fields=("body",))

    def constraint(self, filters: Filters | None, query: ParsedQuery | None) -> tantivy.Query:
        """Papers that pass ``filters`` and contain ``query``'s quoted phrases and words."""
        clauses = self.filter_clauses(filters)
        if query is not None:
            clauses += [self.phrase_clause(p) for p in query.phrases]
            clauses += [self.term_clause(t, 1.0) for t in query.required]
        return must(*(clauses or [tantivy.Query.all_query()]))

"""BM25 keyword index over papers, stored in a tantivy directory.

Queries are built from :class:`~dailypapers.search.text.ParsedQuery` objects with
tantivy's query constructors, never with its query parser. One process may write at a
time (tantivy holds a lock file while a writer is open); any number may read.

The index is split into shards (separate tantivy indexes; a paper's shard is a hash of its
id), searched in parallel threads and merged by score: tantivy runs one query on one
thread, and common-word OR queries at 1M papers spent p95 ~12-17 ms on one core (two
shards on 2 cores: p95 0.68x of one, interleaved runs of bench/search_bench.py). As in
Elasticsearch, each shard scores BM25 with its own statistics; with papers spread by hash
they agree closely (SciFact nDCG@10 0.6908 on one shard, 0.6907 on two; recall@100
0.918 and 0.914).
"""

from __future__ import annotations

import datetime as dt
import heapq
import html
import itertools
import json
import math
import zlib
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from enum import Enum
from pathlib import Path
from typing import Any

import tantivy

from .text import (
    _STOP_TERMS,
    EXACT_ANALYZER,
    STOPWORDS,
    TEXT_ANALYZER,
    ParsedQuery,
    QueryError,
    analyze,
    exact_analyzer,
    looks_like_name,
    normalize_name,
    normalize_title,
    parse_query,
    text_analyzer,
)

NO_DATE = 0  # day value of undated papers: sorts last under "newest", outside every date range
# Date ranges up to this many days filter through the days' postings (each day is a term);
# wider ones through tantivy's fast-field range, whose cost is a scan of every document.
# 1M papers, a 90-day filter: p50 10.8 -> 4.9 ms; over ~2 years the scan is faster.
DAY_TERMS_MAX = 366
DEFAULT_SHARDS = 2
SNIPPET_CHARS = 300
MLT_TERMS = 25  # terms of an abstract that pick its similar papers (tantivy's max_query_terms was 25 too)
# Written into shards.json: an index of another schema is rebuilt (indexer), never half-read.
SCHEMA_VERSION = 2
# The all-words tier applies to queries of 2..COORDINATION_MAX_TERMS content words; longer ones
# are pasted text or claims (SciFact), where requiring every word only loses relevant papers.
COORDINATION_MAX_TERMS = 6
TITLE_CHARS = 1_000


@dataclass(frozen=True)
class FieldBoosts:
    """Per-field BM25 multipliers for free-text words (authors are searched only when the
    query names an author: otherwise "Charlotte Model" topped "diffusion language model").

    "body" is title and abstract as one field; "title" adds to it, so a title word weighs
    1 + title against an abstract word's 1 (title > abstract > authors). Tuned on SciFact's
    train qrels (bench/scifact.py --tune), nDCG@10 by title boost: 0 -> 0.696, 0.1 -> 0.700,
    0.2 -> 0.700, 0.35 -> 0.700, 0.5 -> 0.690, 1.0 -> 0.668. Separate title and abstract
    fields without "body" peaked at 0.689, and only with the title weighted below the
    abstract. SciFact has no authors, so their weight is set below the abstract's by hand.
    """

    title: float = 0.2
    body: float = 1.0
    # Unstemmed title+abstract: the exact form typed ("tokenizer") scores above a stem-only
    # match ("token"); its own BM25, so it also rewards the rarer exact word. SciFact train
    # (nDCG@10 / recall@100): 0 -> 0.6979 / 0.9307, 0.1 -> 0.6994 / 0.9332, 0.2 -> 0.6984 / 0.9357,
    # 0.3 -> 0.6964 / 0.9344; 0.2 keeps the most recall for hybrid's candidates and a clear
    # exact-form preference (tests/test_search_trust.py).
    exact: float = 0.2
    # Query words close together (within `proximity_slop` positions, in order) in title or abstract.
    proximity: float = 0.5
    proximity_slop: int = 2


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


@dataclass(frozen=True)
class SearchResult:
    hits: list[tuple[str, float]]  # (id, score); the score is the sort value for non-relevance sorts
    total: int  # documents matching, not only those returned
    # Of ``total``, how many contain every word (None: not counted, e.g. a long query).
    all_words: int | None = None
    by_author: int = 0  # of ``total``, the papers listed first because the query is their author's name


def _stored_id(doc: Any) -> str:
    """The paper id stored with every indexed document (tantivy types stored values as optional)."""
    value = doc.get_first("id")
    if not isinstance(value, str):
        raise RuntimeError("The search index holds a document without a paper id; rebuild it with `dailypapers index`.")
    return value


@dataclass(frozen=True)
class Highlight:
    title: str  # HTML: escaped text with matched words in <b>
    abstract: str


class KeywordIndexError(RuntimeError):
    """The index cannot be opened or written (busy, incompatible, corrupt)."""


def _schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("id", stored=True, tokenizer_name="raw", index_option="basic")
    builder.add_text_field("title", stored=True, tokenizer_name=TEXT_ANALYZER)
    # Stored for snippets; searched through "body" (title and abstract as one BM25 field).
    builder.add_text_field("abstract", stored=True, tokenizer_name=TEXT_ANALYZER, index_option="freq")
    builder.add_text_field("body", tokenizer_name=TEXT_ANALYZER)
    builder.add_text_field("body_exact", tokenizer_name=EXACT_ANALYZER)
    builder.add_text_field("title_key", tokenizer_name="raw", index_option="basic")
    builder.add_text_field("authors", stored=True, tokenizer_name=TEXT_ANALYZER)
    builder.add_text_field("author_key", tokenizer_name="raw", index_option="basic")
    builder.add_text_field("category", tokenizer_name="raw", index_option="basic")
    builder.add_integer_field("day", indexed=True, fast=True)
    builder.add_integer_field("votes", indexed=True, fast=True)
    return builder.build()


def day_number(value: str | dt.date | None) -> int:
    """ISO date (or datetime) string -> proleptic ordinal; None -> NO_DATE."""
    if value is None or value == "":
        return NO_DATE
    if isinstance(value, dt.date):
        return value.toordinal()
    return dt.date.fromisoformat(str(value)[:10]).toordinal()


def _document(doc: Mapping[str, Any]) -> tantivy.Document:
    doc_id = doc.get("id")
    if not isinstance(doc_id, str) or not doc_id:
        raise ValueError(f"document id must be a non-empty string, got {doc_id!r}")
    out = tantivy.Document()
    out.add_text("id", doc_id)
    title, abstract = doc.get("title") or "", doc.get("abstract") or ""
    out.add_text("title", title)
    out.add_text("abstract", abstract)
    # Two values: tantivy leaves a position gap, so phrases do not run from title into abstract.
    out.add_text("body", title)
    out.add_text("body", abstract)
    out.add_text("body_exact", title)
    out.add_text("body_exact", abstract)
    out.add_text("title_key", normalize_title(title))
    for author in doc.get("authors") or ():
        out.add_text("authors", author)
        out.add_text("author_key", normalize_name(author))
    for category in doc.get("categories") or ():
        out.add_text("category", category)
    out.add_integer("day", day_number(doc.get("date")))
    out.add_integer("votes", int(doc.get("votes") or 0))
    return out


class _Shard:
    """One tantivy index: a hash-chosen part of the papers."""

    def __init__(self, path: Path, writer_heap: int):
        self.path = path
        self.writer_heap = writer_heap
        path.mkdir(parents=True, exist_ok=True)
        try:
            self.index = tantivy.Index(_schema(), path=str(path), reuse=True)
        except ValueError as exc:
            raise KeywordIndexError(f"cannot open keyword index at {path}: {exc}") from exc
        # Custom analyzers are not persisted by tantivy: register on every open.
        self.index.register_tokenizer(TEXT_ANALYZER, text_analyzer())
        self.index.register_tokenizer(EXACT_ANALYZER, exact_analyzer())
        self.writer: tantivy.IndexWriter | None = None

    def get_writer(self) -> tantivy.IndexWriter:
        if self.writer is None:
            try:
                self.writer = self.index.writer(heap_size=self.writer_heap, num_threads=1)
            except ValueError as exc:
                raise KeywordIndexError(f"another process is writing the keyword index at {self.path}: {exc}") from exc
        return self.writer


def _shard_paths(path: Path, shards: int | None) -> list[Path]:
    """The shards' folders: fixed when the index is created (shards.json), read after."""
    layout = path / "shards.json"
    if layout.exists():
        saved = json.loads(layout.read_text())
        if saved.get("schema", 1) != SCHEMA_VERSION:
            raise KeywordIndexError(
                f"the keyword index at {path} was built by an older version: run `dailypapers index --rebuild`"
            )
        count = saved["shards"]
    else:
        count = shards or DEFAULT_SHARDS
        if count < 1:
            raise KeywordIndexError(f"a keyword index needs at least one shard, not {count}")
        path.mkdir(parents=True, exist_ok=True)
        tmp = layout.with_suffix(".tmp")
        tmp.write_text(json.dumps({"shards": count, "schema": SCHEMA_VERSION}))
        tmp.replace(layout)
    return [path / f"s{i}" for i in range(count)]


class KeywordIndex:
    def __init__(
        self,
        path: str | Path,
        boosts: FieldBoosts = FieldBoosts(),
        writer_heap: int = 128_000_000,
        shards: int | None = None,
    ):
        """Open (or create) the index at ``path``; ``shards`` counts only when creating it."""
        self.path = Path(path)
        self.boosts = boosts
        paths = _shard_paths(self.path, shards)
        # tantivy wants at least 15 MB of writer heap per indexing thread.
        self._shards = [_Shard(p, max(writer_heap // len(paths), 15_000_000)) for p in paths]
        self._schema = self._shards[0].index.schema
        self._pool = ThreadPoolExecutor(len(paths), thread_name_prefix="keyword") if len(paths) > 1 else None

    @staticmethod
    def exists(path: str | Path) -> bool:
        path = Path(path)
        return (path / "meta.json").exists() or (path / "shards.json").exists()

    @staticmethod
    def is_current(path: str | Path) -> bool:
        """False for an index another schema version wrote (it must be rebuilt)."""
        layout = Path(path) / "shards.json"
        if not layout.exists():
            return not (Path(path) / "meta.json").exists()
        return json.loads(layout.read_text()).get("schema", 1) == SCHEMA_VERSION

    @property
    def shard_count(self) -> int:
        return len(self._shards)

    def _shard_number(self, doc_id: str) -> int:
        return zlib.crc32(doc_id.encode()) % len(self._shards)

    def _shard_of(self, doc_id: str) -> _Shard:
        return self._shards[self._shard_number(doc_id)]

    def _by_shard(self, ids: Iterable[str]) -> list[tuple[_Shard, list[str]]]:
        groups: dict[int, list[str]] = {}
        for doc_id in ids:
            groups.setdefault(self._shard_number(doc_id), []).append(doc_id)
        return [(self._shards[i], group) for i, group in sorted(groups.items())]

    def _each(self, fn, items: Sequence) -> list:
        """``fn`` over ``items`` (one per shard), in parallel threads (tantivy releases the GIL)."""
        if self._pool is None or len(items) < 2:
            return [fn(item) for item in items]
        return list(self._pool.map(fn, items))

    # -- writing -------------------------------------------------------------------------

    def add(self, docs: Iterable[Mapping[str, Any]]) -> int:
        """Add documents whose ids are not in the index yet (bulk load). Returns the count."""
        count = 0
        for doc in docs:
            converted = _document(doc)
            self._shard_of(doc["id"]).get_writer().add_document(converted)
            count += 1
        return count

    def update(self, docs: Iterable[Mapping[str, Any]]) -> int:
        """Replace (or add) documents by id."""
        count = 0
        for doc in docs:
            converted = _document(doc)
            writer = self._shard_of(doc["id"]).get_writer()
            writer.delete_documents_by_term("id", doc["id"])
            writer.add_document(converted)
            count += 1
        return count

    def delete(self, ids: Iterable[str]) -> None:
        for shard, group in self._by_shard(ids):
            writer = shard.get_writer()
            for doc_id in group:
                writer.delete_documents_by_term("id", doc_id)

    def commit(self) -> None:
        """Make pending changes durable and visible to this process's next search.

        Shards commit one after another; a crash between two leaves some ahead, which the
        indexer's cursor (saved after this returns) makes good by re-applying the changes."""
        for shard in self._shards:
            if shard.writer is not None:
                shard.writer.commit()
            shard.index.reload()

    def close(self) -> None:
        """Drop uncommitted changes, finish merges and release the writer locks."""
        for shard in self._shards:
            if shard.writer is not None:
                shard.writer.rollback()
                shard.writer.wait_merging_threads()
                shard.writer = None

    def reload(self) -> None:
        """See commits made by other processes now rather than after tantivy's short delay."""
        for shard in self._shards:
            shard.index.reload()

    # -- query building ------------------------------------------------------------------

    def _term_clause(self, term: str, weight: float) -> tantivy.Query:
        fields = [
            tantivy.Query.boost_query(tantivy.Query.term_query(self._schema, name, term), boost * weight)
            for name, boost in self._field_boosts()
        ]
        return tantivy.Query.boolean_query([(tantivy.Occur.Should, q) for q in fields])

    def _phrase_clause(self, words: Sequence[tuple[int, str]]) -> tantivy.Query:
        fields = [
            tantivy.Query.boost_query(tantivy.Query.phrase_query(self._schema, name, list(words)), boost)
            for name, boost in self._field_boosts()
        ]
        return tantivy.Query.boolean_query([(tantivy.Occur.Should, q) for q in fields])

    def _field_boosts(self) -> list[tuple[str, float]]:
        b = self.boosts
        return [(name, boost) for name, boost in (("title", b.title), ("body", b.body)) if boost > 0]

    def _exact_clauses(self, query: ParsedQuery) -> list[tuple[tantivy.Occur, tantivy.Query]]:
        """Optional: the unstemmed forms of the query's words, and the words close together."""
        clauses = []
        if self.boosts.exact > 0:
            clauses += [
                (
                    tantivy.Occur.Should,
                    tantivy.Query.boost_query(
                        tantivy.Query.term_query(self._schema, "body_exact", w), self.boosts.exact * n
                    ),
                )
                for w, n in query.exact.items()
            ]
        if self.boosts.proximity > 0 and query.sequence:
            near = tantivy.Query.phrase_query(
                self._schema, "body", list(query.sequence), slop=self.boosts.proximity_slop
            )
            clauses.append((tantivy.Occur.Should, tantivy.Query.boost_query(near, self.boosts.proximity)))
        return clauses

    def _author_clauses(self, query: ParsedQuery) -> list[tantivy.Query]:
        """``author:`` operators: a full normalised name, or words of one author's name in order."""
        out = []
        for name in query.authors:
            key = tantivy.Query.term_query(self._schema, "author_key", normalize_name(name))
            words = [(i, w) for i, w in enumerate(self._analyze_name(name))]
            either = [key]
            if len(words) == 1:
                either.append(tantivy.Query.term_query(self._schema, "authors", words[0][1]))
            elif words:
                either.append(tantivy.Query.phrase_query(self._schema, "authors", list[str | tuple[int, str]](words)))
            out.append(
                tantivy.Query.const_score_query(
                    tantivy.Query.boolean_query([(tantivy.Occur.Should, q) for q in either]), 0.0
                )
            )
        return out

    @staticmethod
    def _analyze_name(name: str) -> list[str]:
        return analyze(name)

    def _filter_clauses(self, filters: Filters | None) -> list[tantivy.Query]:
        if filters is None or filters.is_empty:
            return []
        clauses = []
        if span := filters.day_range():
            lower, upper = span
            if upper - lower < DAY_TERMS_MAX:
                clauses.append(tantivy.Query.term_set_query(self._schema, "day", list(range(lower, upper + 1))))
            else:
                clauses.append(tantivy.Query.range_query(self._schema, "day", tantivy.FieldType.Integer, lower, upper))
        if filters.categories:
            clauses.append(tantivy.Query.term_set_query(self._schema, "category", list(filters.categories)))
        for author in filters.authors:
            clauses.append(tantivy.Query.term_query(self._schema, "author_key", normalize_name(author)))
        if filters.ids:
            clauses.append(tantivy.Query.term_set_query(self._schema, "id", list(filters.ids)))
        # Filters must not add to BM25 scores: hybrid fusion reads raw scores.
        return [tantivy.Query.const_score_query(q, 0.0) for q in clauses]

    def build_query(
        self, query: ParsedQuery, filters: Filters | None = None, require_all: bool = False, boosted: bool = True
    ) -> tantivy.Query:
        """The tantivy query for ``query`` under ``filters``.

        Terms are optional (BM25 OR) unless ``require_all``; quoted phrases and quoted single
        words are always required. An empty query matches every document that passes the filters.
        """
        if require_all:
            clauses = [(tantivy.Occur.Must, self._term_clause(t, n)) for t, n in query.terms.items()]
        else:
            # One flat union of (field, term) scorers: the same BM25 sum as a clause per term,
            # but tantivy prunes it with block-max WAND (1M papers: p95 29 -> 13 ms).
            clauses = [
                (
                    tantivy.Occur.Should,
                    tantivy.Query.boost_query(tantivy.Query.term_query(self._schema, name, t), boost * n),
                )
                for t, n in query.terms.items()
                for name, boost in self._field_boosts()
            ]
            if clauses and (filters is not None and not filters.is_empty):
                # Beside a Must clause, Should clauses turn optional: without this nesting a
                # filtered query would list every paper in the filter, unmatched ones at score 0.
                clauses = [(tantivy.Occur.Must, tantivy.Query.boolean_query(clauses))]
        if clauses and boosted:
            clauses += self._exact_clauses(query)
        clauses += [(tantivy.Occur.Must, self._phrase_clause(p)) for p in query.phrases]
        clauses += [(tantivy.Occur.Must, self._term_clause(t, 1.0)) for t in query.required]
        clauses += [(tantivy.Occur.Must, f) for f in self._filter_clauses(filters)]
        clauses += [(tantivy.Occur.Must, a) for a in self._author_clauses(query)]
        if not query.terms:
            clauses.append((tantivy.Occur.Must, tantivy.Query.all_query()))
        return tantivy.Query.boolean_query(clauses)

    def _tiers(self, parsed: ParsedQuery, filters: Filters | None) -> list[tuple[tantivy.Query, bool | None]]:
        """Relevance tiers, best first; each excludes the ones before it.

        1. papers by the author the query names (a 2-4 word capitalised query equal to an
           indexed author's full name, see :meth:`is_author_name`), ranked by their text match;
        2. papers containing every word (short queries only, COORDINATION_MAX_TERMS);
        3. the rest of the BM25 union.

        Each comes with whether its papers contain every word of the query (None: the author tier).
        """
        tiers: list[tuple[tantivy.Query, bool | None]] = []
        union = self.build_query(parsed, filters)
        if not parsed.authors and self.is_author_name(parsed.raw):
            by_author = tantivy.Query.term_query(self._schema, "author_key", normalize_name(parsed.raw))
            tiers.append(
                (
                    tantivy.Query.boolean_query(
                        [
                            (tantivy.Occur.Must, tantivy.Query.const_score_query(by_author, 0.0)),
                            *[(tantivy.Occur.Must, f) for f in self._filter_clauses(filters)],
                            (tantivy.Occur.Must, tantivy.Query.all_query()),
                            *self._exact_clauses(parsed),
                        ]
                    ),
                    None,
                )
            )
        coordinated = 2 <= len(parsed.terms) <= COORDINATION_MAX_TERMS
        if coordinated:
            every = self.build_query(parsed, filters, require_all=True)
            tiers.append(
                (tantivy.Query.boolean_query([(tantivy.Occur.Must, every), *self._exact_clauses(parsed)]), True)
            )
        tiers.append((union, len(parsed.terms) <= 1))
        out = []
        for i, (tier, complete) in enumerate(tiers):
            if i:
                tier = tantivy.Query.boolean_query(
                    [(tantivy.Occur.Must, tier)] + [(tantivy.Occur.MustNot, earlier) for earlier, _ in tiers[:i]]
                )
            out.append((tier, complete))
        return out

    def is_author_name(self, text: str) -> bool:
        """Whether ``text`` is recognisably a name (2-4 capitalised tokens) that is exactly
        some indexed author's full name (normalised: case, accents and punctuation aside)."""
        if not looks_like_name(text):
            return False
        key = tantivy.Query.term_query(self._schema, "author_key", normalize_name(text))
        return any(
            self._each(lambda shard: shard.index.searcher().search(key, limit=1, count=True).count > 0, self._shards)
        )

    def title_matches(self, text: str, limit: int = 5) -> list[str]:
        """Ids of papers whose title equals ``text`` up to case, accents, punctuation and spacing."""
        key = normalize_title(text)
        if not key:
            return []
        tq = tantivy.Query.term_query(self._schema, "title_key", key)

        def one(shard: _Shard) -> list[str]:
            searcher = shard.index.searcher()
            return [_stored_id(searcher.doc(addr)) for _, addr in searcher.search(tq, limit=limit).hits]

        return sorted(doc_id for ids in self._each(one, self._shards) for doc_id in ids)[:limit]

    def more_like_abstract(self, abstract: str, limit: int = 8, exclude: Sequence[str] = ()) -> list[tuple[str, float]]:
        """Papers whose title and abstract share the most distinctive terms of ``abstract``: its
        MLT_TERMS terms of highest tf-idf (as the body field analyses them), each a Should clause
        boosted by that weight, BM25-scored.

        Our own term choice, not tantivy's more-like-this query: that one divides by the live
        document count while a term's doc_freq still counts deleted documents until a merge, and
        panics once an update leaves more deleted copies than live papers (https://github.com/quickwit-oss/tantivy/pull/2964)."""
        terms = self._distinctive_terms(abstract)
        if not terms:
            return []
        like = tantivy.Query.boolean_query(
            [
                (
                    tantivy.Occur.Should,
                    tantivy.Query.boost_query(tantivy.Query.term_query(self._schema, "body", term), weight),
                )
                for term, weight in terms
            ]
        )
        tq = (
            like
            if not exclude
            else tantivy.Query.boolean_query(
                [
                    (tantivy.Occur.Must, like),
                    (tantivy.Occur.MustNot, tantivy.Query.term_set_query(self._schema, "id", list(exclude))),
                ]
            )
        )

        def one(shard: _Shard) -> list[tuple[float, str]]:
            searcher = shard.index.searcher()
            return [
                (float(score), _stored_id(searcher.doc(addr))) for score, addr in searcher.search(tq, limit=limit).hits
            ]

        found = sorted((hit for part in self._each(one, self._shards) for hit in part), key=lambda h: -h[0])
        return [(doc_id, score) for score, doc_id in found[:limit]]

    def _distinctive_terms(self, text: str) -> list[tuple[str, float]]:
        """The MLT_TERMS analysed terms of ``text`` with the highest tf * idf over the whole index
        (stop words and terms under 3 characters left out; terms no paper has cannot match)."""
        counts = Counter(t for t in analyze(text) if len(t) >= 3 and t not in _MLT_STOP_SET)
        if not counts:
            return []
        searchers = [shard.index.searcher() for shard in self._shards]
        total = sum(s.num_docs for s in searchers)
        weighted = []
        for term, tf in counts.items():
            df = sum(s.doc_freq("body", term) for s in searchers)
            if df:
                # doc_freq may count deleted copies (see above): clamp so idf stays defined and positive.
                weighted.append((term, tf * math.log(1 + (max(total, df) - df + 0.5) / (df + 0.5))))
        weighted.sort(key=lambda tw: (-tw[1], tw[0]))
        return [(term, weight) for term, weight in weighted[:MLT_TERMS] if weight > 0]

    # -- reading -------------------------------------------------------------------------

    def search(
        self,
        query: str | ParsedQuery,
        limit: int = 20,
        offset: int = 0,
        filters: Filters | None = None,
        sort: Sort = Sort.RELEVANCE,
        plain: bool = False,
    ) -> SearchResult:
        """Ranked ids. Relevance ranks by BM25 over any term, in tiers (see _tiers) with the
        exact-form and proximity boosts, unless ``plain``: the bare BM25 union, the scale hybrid
        fusion was tuned on (SciFact hybrid nDCG@10 0.731 plain, 0.724 with tiers and boosts).
        The other sorts list the papers that contain every term (so "newest" means newest
        about the whole query)."""
        parsed = parse_query(query) if isinstance(query, str) else query
        sort = Sort(sort)
        if parsed.is_empty and sort is Sort.RELEVANCE:
            raise QueryError("Type at least one word to search for, or pick a sort order to browse.")
        if limit < 0 or offset < 0:
            raise QueryError("limit and offset must not be negative.")
        if sort is Sort.RELEVANCE:
            if plain:
                return self._search_one(self.build_query(parsed, filters, boosted=False), limit, offset, sort)
            return self._search_tiers(self._tiers(parsed, filters), limit, offset)
        return self._search_one(self.build_query(parsed, filters, require_all=True), limit, offset, sort)

    def _search_tiers(self, tiers: list[tuple[tantivy.Query, bool | None]], limit: int, offset: int) -> SearchResult:
        """Pages across tiers: a tier's hits all come before the next tier's."""
        hits: list[tuple[str, float]] = []
        total, all_words, counted, by_author = 0, 0, False, 0
        for tq, complete in tiers:
            # This tier holds results total .. total + its count; the page wants offset .. offset + limit.
            skip = max(0, offset - total)
            want = max(0, offset + limit - total - skip) if len(hits) < limit else 0
            part = self._search_one(tq, want, skip, Sort.RELEVANCE)
            hits += part.hits[: limit - len(hits)]
            total += part.total
            if complete is None:
                by_author = part.total
            elif complete:
                all_words, counted = all_words + part.total, True
        # With an author's papers first, "contains every word" is no longer what orders the list.
        return SearchResult(
            hits=hits, total=total, all_words=all_words if counted and not by_author else None, by_author=by_author
        )

    def _search_one(self, tq: tantivy.Query, limit: int, offset: int, sort: Sort) -> SearchResult:
        # Each shard's best offset + limit hold the overall page. tantivy panics on limit 0.
        fetch = max(offset + limit, 1)
        kwargs: dict[str, Any] = {}
        if sort is not Sort.RELEVANCE:
            kwargs = {"order_by_field": "day" if sort is Sort.NEWEST else "votes", "order": tantivy.Order.Desc}

        def one(shard: _Shard) -> tuple[tantivy.Searcher, list[tuple[float, Any]], int]:
            searcher = shard.index.searcher()
            found = searcher.search(tq, limit=fetch, count=True, **kwargs)
            return searcher, [(float(value), addr) for value, addr in found.hits], found.count  # type: ignore[attr-defined]  # tantivy's stub omits SearchResult.count

        parts = self._each(one, self._shards)
        # Best first; equal values keep each shard's own order, shards in turn. Stored ids are
        # read for the page only, not for every shard's candidates.
        merged = heapq.merge(
            *(
                [(value, i, rank, addr) for rank, (value, addr) in enumerate(hits)]
                for i, (_, hits, _) in enumerate(parts)
            ),
            key=lambda hit: -hit[0],
        )
        page = list(itertools.islice(merged, offset, offset + limit))
        hits = [(parts[i][0].doc(addr).get_first("id"), value) for value, i, _, addr in page]
        total = sum(count for _, _, count in parts)
        return SearchResult(hits=hits, total=total, all_words=total if sort is not Sort.RELEVANCE else None)

    def _constraint(self, filters: Filters | None, query: ParsedQuery | None) -> list[tantivy.Query]:
        """Must-clauses for ``filters`` and for the query's quoted phrases and words."""
        clauses = self._filter_clauses(filters)
        if query is not None:
            clauses += [self._phrase_clause(p) for p in query.phrases]
            clauses += [self._term_clause(t, 1.0) for t in query.required]
        return clauses or [tantivy.Query.all_query()]

    def count(self, filters: Filters | None = None, query: ParsedQuery | None = None) -> int:
        """Documents that pass ``filters`` and contain ``query``'s quoted parts."""
        tq = tantivy.Query.boolean_query([(tantivy.Occur.Must, q) for q in self._constraint(filters, query)])
        return sum(self._each(lambda shard: shard.index.searcher().search(tq, limit=1, count=True).count, self._shards))

    def ids_matching(self, filters: Filters | None, limit: int, query: ParsedQuery | None = None) -> list[str]:
        """Ids of up to ``limit`` documents that pass ``filters`` and contain ``query``'s quoted parts."""
        if limit <= 0:
            return []
        tq = tantivy.Query.boolean_query([(tantivy.Occur.Must, q) for q in self._constraint(filters, query)])

        def one(shard: _Shard) -> list[str]:
            searcher = shard.index.searcher()
            return [_stored_id(searcher.doc(addr)) for _, addr in searcher.search(tq, limit=limit, count=False).hits]

        return [doc_id for ids in self._each(one, self._shards) for doc_id in ids][:limit]

    def filter_ids(self, ids: Sequence[str], filters: Filters | None, query: ParsedQuery | None = None) -> set[str]:
        """The subset of ``ids`` in the index that passes ``filters`` and contains ``query``'s quoted parts."""
        if not ids:
            return set()
        constraint = self._constraint(filters, query)

        def one(part: tuple[_Shard, list[str]]) -> set[str]:
            shard, group = part
            membership = tantivy.Query.term_set_query(self._schema, "id", group)
            tq = tantivy.Query.boolean_query([(tantivy.Occur.Must, q) for q in [membership, *constraint]])
            searcher = shard.index.searcher()
            return {
                _stored_id(searcher.doc(addr)) for _, addr in searcher.search(tq, limit=len(group), count=False).hits
            }

        return set().union(*self._each(one, self._by_shard(ids)))

    def __len__(self) -> int:
        return sum(shard.index.searcher().num_docs for shard in self._shards)

    def highlight(self, query: str | ParsedQuery, ids: Sequence[str]) -> dict[str, Highlight]:
        """HTML title and abstract snippets for ``ids`` with the query's words in <b>."""
        parsed = parse_query(query) if isinstance(query, str) else query
        if not ids:
            return {}
        # Highlighting reads the stored title and abstract fields, not the searched "body".
        terms = [
            (tantivy.Occur.Should, tantivy.Query.term_query(self._schema, name, t))
            for t in parsed.terms
            for name in ("title", "abstract")
        ]
        tq = tantivy.Query.boolean_query(terms) if terms else tantivy.Query.empty_query()

        def one(part: tuple[_Shard, list[str]]) -> dict[str, Highlight]:
            shard, group = part
            searcher = shard.index.searcher()
            title_gen = tantivy.SnippetGenerator.create(searcher, tq, self._schema, "title")
            title_gen.set_max_num_chars(TITLE_CHARS)
            abstract_gen = tantivy.SnippetGenerator.create(searcher, tq, self._schema, "abstract")
            abstract_gen.set_max_num_chars(SNIPPET_CHARS)
            found = searcher.search(
                tantivy.Query.term_set_query(self._schema, "id", group), limit=len(group), count=False
            )
            out: dict[str, Highlight] = {}
            for _, addr in found.hits:
                doc = searcher.doc(addr)
                title = doc.get_first("title") or ""
                abstract = doc.get_first("abstract") or ""
                title_snip = title_gen.snippet_from_doc(doc)
                abstract_snip = abstract_gen.snippet_from_doc(doc)
                out[_stored_id(doc)] = Highlight(
                    title=title_snip.to_html() if title_snip.highlighted() else html.escape(title),
                    abstract=abstract_snip.to_html() if abstract_snip.highlighted() else _lead(abstract),
                )
            return out

        found: dict[str, Highlight] = {}
        for part in self._each(one, self._by_shard(ids)):
            found.update(part)
        return found


def _mlt_stop_words() -> frozenset[str]:
    """Words similar papers never match on, as written and as the body field stems them."""
    words = STOPWORDS | _STOP_TERMS
    return frozenset(words | {term for word in words for term in analyze(word)})


_MLT_STOP_SET = _mlt_stop_words()


def _lead(text: str) -> str:
    """The first SNIPPET_CHARS characters, cut at a word boundary, escaped."""
    if len(text) <= SNIPPET_CHARS:
        return html.escape(text)
    cut = text[:SNIPPET_CHARS].rsplit(" ", 1)[0]
    return html.escape(cut) + "\u2026"

"""Keyword index storage: the tantivy schema, documents, hash shards and their writers.

One process may write at a time (tantivy holds a lock file while a writer is open); any
number may read. The index is split into shards (separate tantivy indexes; a paper's shard
is a hash of its id) because tantivy runs one query on one thread: the shards are searched
in parallel threads and merged by score (docs/search.md, Tuning evidence).
"""

from __future__ import annotations

import datetime as dt
import json
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import tantivy

from ..text import EXACT_ANALYZER, TEXT_ANALYZER, exact_analyzer, normalize_name, normalize_title, text_analyzer

NO_DATE = 0  # day value of undated papers: sorts last under "newest", outside every date range
DEFAULT_SHARDS = 2
# Written into shards.json: an index of another schema is rebuilt (indexer), never half-read.
SCHEMA_VERSION = 2

T = TypeVar("T")
R = TypeVar("R")


class KeywordIndexError(RuntimeError):
    """The index cannot be opened or written (busy, incompatible, corrupt)."""


def schema() -> tantivy.Schema:
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


def document(doc: Mapping[str, Any]) -> tantivy.Document:
    """The indexed form of one paper (a mapping with id, title, abstract, authors, categories, date, votes)."""
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


def stored_id(doc: Any) -> str:
    """The paper id stored with every indexed document (tantivy types stored values as optional)."""
    value = doc.get_first("id")
    if not isinstance(value, str):
        raise RuntimeError("The search index holds a document without a paper id; rebuild it with `dailypapers index`.")
    return value


class Shard:
    """One tantivy index: a hash-chosen part of the papers."""

    def __init__(self, path: Path, writer_heap: int):
        self.path = path
        self.writer_heap = writer_heap
        path.mkdir(parents=True, exist_ok=True)
        try:
            self.index = tantivy.Index(schema(), path=str(path), reuse=True)
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

    def searcher(self) -> tantivy.Searcher:
        return self.index.searcher()


def shard_paths(path: Path, shards: int | None) -> list[Path]:
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


class ShardedIndex:
    """The shards of one keyword index: routing by id, writing, and running a function on
    every shard in parallel threads (tantivy releases the GIL while it searches)."""

    def __init__(self, path: str | Path, writer_heap: int = 128_000_000, shards: int | None = None):
        """Open (or create) the index at ``path``; ``shards`` counts only when creating it."""
        self.path = Path(path)
        paths = shard_paths(self.path, shards)
        # tantivy wants at least 15 MB of writer heap per indexing thread.
        self.shards = [Shard(p, max(writer_heap // len(paths), 15_000_000)) for p in paths]
        self.schema = self.shards[0].index.schema
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
        return len(self.shards)

    def _shard_number(self, doc_id: str) -> int:
        return zlib.crc32(doc_id.encode()) % len(self.shards)

    def shard_of(self, doc_id: str) -> Shard:
        return self.shards[self._shard_number(doc_id)]

    def by_shard(self, ids: Iterable[str]) -> list[tuple[Shard, list[str]]]:
        groups: dict[int, list[str]] = {}
        for doc_id in ids:
            groups.setdefault(self._shard_number(doc_id), []).append(doc_id)
        return [(self.shards[i], group) for i, group in sorted(groups.items())]

    def each(self, fn: Callable[[T], R], items: Sequence[T]) -> list[R]:
        """``fn`` over ``items`` (one per shard), in parallel threads."""
        if self._pool is None or len(items) < 2:
            return [fn(item) for item in items]
        return list(self._pool.map(fn, items))

    def every_shard(self, fn: Callable[[Shard], R]) -> list[R]:
        return self.each(fn, self.shards)

    def __len__(self) -> int:
        return sum(shard.searcher().num_docs for shard in self.shards)

    # -- writing -------------------------------------------------------------------------

    def add(self, docs: Iterable[Mapping[str, Any]]) -> int:
        """Add documents whose ids are not in the index yet (bulk load). Returns the count."""
        count = 0
        for doc in docs:
            converted = document(doc)
            self.shard_of(doc["id"]).get_writer().add_document(converted)
            count += 1
        return count

    def update(self, docs: Iterable[Mapping[str, Any]]) -> int:
        """Replace (or add) documents by id."""
        count = 0
        for doc in docs:
            converted = document(doc)
            writer = self.shard_of(doc["id"]).get_writer()
            writer.delete_documents_by_term("id", doc["id"])
            writer.add_document(converted)
            count += 1
        return count

    def delete(self, ids: Iterable[str]) -> None:
        for shard, group in self.by_shard(ids):
            writer = shard.get_writer()
            for doc_id in group:
                writer.delete_documents_by_term("id", doc_id)

    def commit(self) -> None:
        """Make pending changes durable and visible to this process's next search.

        Shards commit one after another; a crash between two leaves some ahead, which the
        indexer's cursor (saved after this returns) makes good by re-applying the changes."""
        for shard in self.shards:
            if shard.writer is not None:
                shard.writer.commit()
            shard.index.reload()

    def close(self) -> None:
        """Drop uncommitted changes, finish merges and release the writer locks."""
        for shard in self.shards:
            if shard.writer is not None:
                shard.writer.rollback()
                shard.writer.wait_merging_threads()
                shard.writer = None

    def reload(self) -> None:
        """See commits made by other processes now rather than after tantivy's short delay."""
        for shard in self.shards:
            shard.index.reload()

"""Highlighting: HTML title and abstract snippets with the query's words in <b>, read from the
stored title and abstract fields (not the searched "body")."""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

import tantivy

from ..text import ParsedQuery
from .store import Shard, ShardedIndex, stored_id

SNIPPET_CHARS = 300
TITLE_CHARS = 1_000


@dataclass(frozen=True)
class Highlight:
    title: str  # HTML: escaped text with matched words in <b>
    abstract: str


def highlight(index: ShardedIndex, parsed: ParsedQuery, ids: Sequence[str]) -> dict[str, Highlight]:
    """Snippets for ``ids`` (those in the index) with ``parsed``'s words in <b>."""
    if not ids:
        return {}
    schema = index.schema
    terms = [
        (tantivy.Occur.Should, tantivy.Query.term_query(schema, name, t))
        for t in parsed.terms
        for name in ("title", "abstract")
    ]
    tq = tantivy.Query.boolean_query(terms) if terms else tantivy.Query.empty_query()

    def one(part: tuple[Shard, list[str]]) -> dict[str, Highlight]:
        shard, group = part
        searcher = shard.searcher()
        title_gen = tantivy.SnippetGenerator.create(searcher, tq, schema, "title")
        title_gen.set_max_num_chars(TITLE_CHARS)
        abstract_gen = tantivy.SnippetGenerator.create(searcher, tq, schema, "abstract")
        abstract_gen.set_max_num_chars(SNIPPET_CHARS)
        found = searcher.search(tantivy.Query.term_set_query(schema, "id", group), limit=len(group), count=False)
        out: dict[str, Highlight] = {}
        for _, addr in found.hits:
            doc = searcher.doc(addr)
            title = doc.get_first("title") or ""
            abstract = doc.get_first("abstract") or ""
            title_snip = title_gen.snippet_from_doc(doc)
            abstract_snip = abstract_gen.snippet_from_doc(doc)
            out[stored_id(doc)] = Highlight(
                title=title_snip.to_html() if title_snip.highlighted() else html.escape(title),
                abstract=abstract_snip.to_html() if abstract_snip.highlighted() else lead(abstract),
            )
        return out

    found: dict[str, Highlight] = {}
    for part in index.each(one, index.by_shard(ids)):
        found.update(part)
    return found


def lead(text: str) -> str:
    """The first SNIPPET_CHARS characters, cut at a word boundary, escaped."""
    if len(text) <= SNIPPET_CHARS:
        return html.escape(text)
    cut = text[:SNIPPET_CHARS].rsplit(" ", 1)[0]
    return html.escape(cut) + "\u2026"

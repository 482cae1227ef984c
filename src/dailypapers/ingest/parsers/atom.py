"""arXiv API responses (Atom 1.0): one item per <entry>."""

from __future__ import annotations

from collections.abc import Iterator
from inspect import unwrap

from lxml import etree

from dailypapers.ingest.parsers.common import (
    BAD_INPUT,
    arxiv_id,
    is_withdrawn,
    rejected,
    required_text,
    text,
    timestamp,
)
from dailypapers.ingest.parsers.xmldoc import (
    ChunkSource,
    local_name,
    parse_document,
    stream_units,
    streamed_or_whole,
    undefined_entity,
)
from dailypapers.ingest.records import PaperRecord, Record, Rejected, VersionRecord, clean_abstract
from dailypapers.ingest.sanitize import finished

SOURCE = "arxiv-api"
ATOM = "{http://www.w3.org/2005/Atom}"
ARXIV = "{http://arxiv.org/schemas/atom}"

# <category term> also carries MSC/ACM classes ("14C20, 14M99"): finish() sorts them into their
# own fields (store/taxonomy.py), so every term is passed on.


@finished
def parse_atom(data: bytes) -> Iterator[Record]:
    doc = parse_document(data)
    root = doc.root
    entries = list(root.iter(f"{ATOM}entry")) if root is not None else []
    if root is None or (doc.errors and not entries):
        yield Rejected("document", doc.error or "not well-formed XML")
        return
    if root.tag != f"{ATOM}feed":
        yield Rejected("document", f"not an Atom feed: root element is <{local_name(root)}>")
        return
    blamed = doc.blame(entries)
    for index, entry in enumerate(entries):
        yield _item(entry, index, blamed.get(index))


@finished
def parse_atom_stream(source: ChunkSource) -> Iterator[Record]:
    """parse_atom over a file read in pieces: entries are parsed and dropped as they end, so
    memory holds one entry, not the document. libxml2 reports some flaws only at the end, so a
    first pass checks the whole stream before any entry is given; a broken document is read
    whole instead (recover mode, within the reader's size limit), exactly as parse_atom reads it."""

    def entries() -> Iterator[Record]:
        for index, entry in enumerate(stream_units(source.chunks(), f"{ATOM}feed", f"{ATOM}entry")):
            yield _item(entry, index, None)

    yield from streamed_or_whole(entries, lambda: unwrap(parse_atom)(source.read_document()))


def _item(entry: etree._Element, index: int, blame: str | None) -> Record:
    position = f"entry {index + 1}"
    raw_id = entry.findtext(f"{ATOM}id")
    if blame is not None:
        return Rejected(position, blame, raw_id)
    if (entity := undefined_entity(entry)) is not None:
        return Rejected(position, entity, raw_id)
    if raw_id and "/api/errors" in raw_id:  # the API reports a bad query as a one-entry feed
        message = text(entry.findtext(f"{ATOM}summary"), "summary") or raw_id
        return Rejected(position, f"arXiv API error: {message}")
    try:
        return _paper(entry, position)
    except BAD_INPUT as exc:
        return rejected(position, exc, raw_id)


def _paper(entry: etree._Element, position: str) -> PaperRecord:
    paper_id, version = arxiv_id(entry.findtext(f"{ATOM}id"), "id")
    published = timestamp(entry.findtext(f"{ATOM}published"), "published")
    updated = timestamp(entry.findtext(f"{ATOM}updated"), "updated")
    # The feed dates only the first version (published) and the latest one (updated).
    versions = []
    if version is not None:
        versions.append(VersionRecord(1, published))
        if version > 1:
            versions.append(VersionRecord(version, updated))
    primary = entry.find(f"{ARXIV}primary_category")
    comments = text(entry.findtext(f"{ARXIV}comment"), "arxiv:comment")
    return PaperRecord(
        arxiv_id=paper_id,
        title=required_text(entry.findtext(f"{ATOM}title"), "title"),
        source=SOURCE,
        abstract=clean_abstract(entry.findtext(f"{ATOM}summary")),
        authors=[
            required_text(author.findtext(f"{ATOM}name"), f"author[{i}].name")
            for i, author in enumerate(entry.iterfind(f"{ATOM}author"))
        ],
        primary_category=primary.get("term") if primary is not None else None,
        categories=[term for category in entry.iterfind(f"{ATOM}category") if (term := category.get("term"))],
        comments=comments,
        journal_ref=text(entry.findtext(f"{ARXIV}journal_ref"), "arxiv:journal_ref"),
        doi=text(entry.findtext(f"{ARXIV}doi"), "arxiv:doi"),
        versions=versions,
        latest_version=version,
        first_submitted=published,
        last_updated=updated,
        withdrawn=is_withdrawn(comments),
        position=position,
    )

"""arXiv OAI-PMH responses (ListRecords, GetRecord) in the arXiv, arXivRaw and oai_dc formats.

One item per <record>; the metadata format is read per record from its namespace.
``parse_oai_page`` also returns what a harvester needs to go on: the resumption token and
the OAI error, if any.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from lxml import etree

from dailypapers.ingest.parsers.common import (
    BAD_INPUT,
    arxiv_id,
    day_start,
    is_withdrawn,
    mail_timestamp,
    rejected,
    required_text,
    split_authors,
    text,
    version_number,
)
from dailypapers.ingest.parsers.xmldoc import (
    ChunkSource,
    NotStreamable,
    local_name,
    namespace,
    parse_document,
    stream_units,
    streamed_or_whole,
    undefined_entity,
)
from dailypapers.ingest.records import (
    PaperRecord,
    Record,
    RecordError,
    Rejected,
    VersionRecord,
    clean_abstract,
)
from dailypapers.ingest.sanitize import finish, finished

OAI = "{http://www.openarchives.org/OAI/2.0/}"
ARXIV_NS = "http://arxiv.org/OAI/arXiv/"
ARXIV_RAW_NS = "http://arxiv.org/OAI/arXivRaw/"
OAI_DC_NS = "http://www.openarchives.org/OAI/2.0/oai_dc/"
DC = "{http://purl.org/dc/elements/1.1/}"

SOURCES: dict[str | None, str] = {ARXIV_NS: "oai-arXiv", ARXIV_RAW_NS: "oai-arXivRaw", OAI_DC_NS: "oai-dc"}
_PREFIX_SOURCES = {"arXiv": "oai-arXiv", "arXivRaw": "oai-arXivRaw", "oai_dc": "oai-dc"}


@dataclass
class OaiPage:
    records: list[Record] = field(default_factory=list)  # exactly what parse_oai yields
    resumption_token: str | None = None  # None: no more pages
    complete_list_size: int | None = None
    # Set when the page cannot be trusted as a whole: an OAI error other than noRecordsMatch,
    # a reply that is not OAI-PMH (e.g. a 503 page), or broken XML (records may be recovered).
    error: str | None = None


def parse_oai(data: bytes) -> Iterator[Record]:
    yield from parse_oai_page(data).records


def parse_oai_page(data: bytes) -> OaiPage:
    page = _parse_page(data)
    page.records = [finish(item) for item in page.records]
    return page


def _parse_page(data: bytes) -> OaiPage:
    doc = parse_document(data)
    root = doc.root
    records = list(root.iter(f"{OAI}record")) if root is not None else []
    if root is None or (doc.errors and not records):
        return _failed(doc.error or "not well-formed XML")
    if root.tag != f"{OAI}OAI-PMH":
        snippet = " ".join("".join(root.itertext()).split())[:200]
        return _failed(f"not an OAI-PMH response: <{local_name(root)}> {snippet!r}")
    page = OaiPage(error=doc.error)
    error = root.find(f"{OAI}error")
    if error is not None and error.get("code") != "noRecordsMatch":
        page.error = f"OAI error {error.get('code')}: {' '.join((error.text or '').split())}"
        page.records.append(Rejected("document", page.error))
        return page
    token = root.find(f".//{OAI}resumptionToken")
    if token is not None:
        page.resumption_token = (token.text or "").strip() or None
        size = token.get("completeListSize", "")
        # isdigit() takes "²" and other digit-like characters int() refuses.
        page.complete_list_size = int(size) if size.isascii() and size.isdigit() and len(size) < 19 else None
    default_source = _page_source(root, records)
    blamed = doc.blame(records)
    for index, record in enumerate(records):
        page.records.append(_item(record, index, blamed.get(index), default_source))
    return page


@finished
def parse_oai_stream(source: ChunkSource) -> Iterator[Record]:
    """parse_oai over a file read in pieces, one <record> in memory at a time; a broken or
    unusual document (an OAI error, deletions before the format is known) is read whole."""
    seen: dict[str, str] = {}

    def on_child(element: etree._Element) -> None:
        if element.tag == f"{OAI}request" and element.get("metadataPrefix") in _PREFIX_SOURCES:
            seen["source"] = _PREFIX_SOURCES[element.get("metadataPrefix")]
        elif element.tag == f"{OAI}error" and element.get("code") != "noRecordsMatch":
            raise NotStreamable("an OAI error")

    def records() -> Iterator[Record]:
        seen.clear()
        for index, record in enumerate(stream_units(source.chunks(), f"{OAI}OAI-PMH", f"{OAI}record", on_child)):
            if "source" not in seen:
                found = [SOURCES.get(namespace(m)) for m in record.iterfind(f"{OAI}metadata/*")]
                if not any(found):
                    raise NotStreamable("a record before the page's format is known")
                seen["source"] = next(s for s in found if s)
            yield _item(record, index, None, seen["source"])

    yield from streamed_or_whole(records, lambda: _parse_page(source.read_document()).records)


def _item(record: etree._Element, index: int, blame: str | None, default_source: str) -> Record:
    position = f"record {index + 1}"
    identifier = record.findtext(f"{OAI}header/{OAI}identifier")
    if blame is not None:
        return Rejected(position, blame, identifier)
    if (entity := undefined_entity(record)) is not None:
        return Rejected(position, entity, identifier)
    try:
        return _record(record, position, default_source)
    except BAD_INPUT as exc:
        return rejected(position, exc, identifier)


def _failed(reason: str) -> OaiPage:
    return OaiPage(records=[Rejected("document", reason)], error=reason)


def _page_source(root: etree._Element, records: list[etree._Element]) -> str:
    """Source for deleted records, which carry no metadata: the requested format, else the page's."""
    request = root.find(f"{OAI}request")
    prefix = request.get("metadataPrefix") if request is not None else None
    if prefix in _PREFIX_SOURCES:
        return _PREFIX_SOURCES[prefix]
    for record in records:
        for metadata in record.iterfind(f"{OAI}metadata/*"):
            if (source := SOURCES.get(namespace(metadata))) is not None:
                return source
    return "oai"


def _record(record: etree._Element, position: str, default_source: str) -> PaperRecord:
    header = record.find(f"{OAI}header")
    if header is None:
        raise RecordError("header: missing")
    if header.get("status") == "deleted":
        paper_id, _ = arxiv_id(header.findtext(f"{OAI}identifier"), "header.identifier")
        return PaperRecord(arxiv_id=paper_id, title="", source=default_source, deleted=True, position=position)
    metadata = next(iter(record.iterfind(f"{OAI}metadata/*")), None)
    if metadata is None:
        raise RecordError("metadata: missing")
    uri = namespace(metadata)
    if uri == ARXIV_NS:
        return _arxiv(metadata, position)
    if uri == ARXIV_RAW_NS:
        return _arxiv_raw(metadata, position)
    if uri == OAI_DC_NS:
        return _oai_dc(metadata, position)
    raise RecordError(f"metadata: unsupported format {uri or local_name(metadata)!r}")


def _common(meta: etree._Element, ns: str, source: str, position: str) -> dict:
    """The elements arXiv and arXivRaw share."""

    def get(name: str) -> str | None:
        return text(meta.findtext(f"{{{ns}}}{name}"), name)

    paper_id, version = arxiv_id(meta.findtext(f"{{{ns}}}id"), "id")
    categories = (get("categories") or "").split() or None
    comments = get("comments")
    return dict(
        arxiv_id=paper_id,
        latest_version=version,
        title=required_text(meta.findtext(f"{{{ns}}}title"), "title"),
        source=source,
        abstract=clean_abstract(meta.findtext(f"{{{ns}}}abstract")),
        categories=categories,
        comments=comments,
        journal_ref=get("journal-ref"),
        doi=get("doi"),
        license=get("license"),
        withdrawn=is_withdrawn(comments),
        position=position,
    )


def _arxiv(meta: etree._Element, position: str) -> PaperRecord:
    ns = ARXIV_NS
    authors = []
    for i, author in enumerate(meta.iterfind(f"{{{ns}}}authors/{{{ns}}}author")):
        parts = [
            text(author.findtext(f"{{{ns}}}{part}"), f"authors[{i}].{part}")
            for part in ("forenames", "keyname", "suffix")
        ]
        if parts[1] is None:
            raise RecordError(f"authors[{i}].keyname: missing")
        authors.append(" ".join(part for part in parts if part))
    # This format dates days only: <created> is v1's, <updated> the latest version's.
    return PaperRecord(
        **_common(meta, ns, "oai-arXiv", position),
        authors=authors,
        first_submitted=day_start(meta.findtext(f"{{{ns}}}created"), "created"),
        last_updated=day_start(meta.findtext(f"{{{ns}}}updated"), "updated"),
    )


def _arxiv_raw(meta: etree._Element, position: str) -> PaperRecord:
    ns = ARXIV_RAW_NS
    versions = [
        VersionRecord(
            version_number(version.get("version"), f"version[{i}]"),
            mail_timestamp(version.findtext(f"{{{ns}}}date"), f"version[{i}].date"),
        )
        for i, version in enumerate(meta.iterfind(f"{{{ns}}}version"))
    ]
    authors = text(meta.findtext(f"{{{ns}}}authors"), "authors")
    return PaperRecord(
        **_common(meta, ns, "oai-arXivRaw", position),
        authors=split_authors(authors) if authors else None,
        submitter=text(meta.findtext(f"{{{ns}}}submitter"), "submitter"),
        versions=versions,
    )


def _oai_dc(meta: etree._Element, position: str) -> PaperRecord:
    identifiers = [value for el in meta.iterfind(f"{DC}identifier") if (value := text(el.text, "dc:identifier"))]
    abs_urls = [value for value in identifiers if "arxiv.org/abs/" in value]
    if not abs_urls:
        raise RecordError("dc:identifier: no arXiv abs URL")
    paper_id, version = arxiv_id(abs_urls[0], "dc:identifier")
    # Besides the abs URL arXiv lists the DOI ("doi:...") and the journal reference here.
    dois = [value[4:].strip() for value in identifiers if value.lower().startswith("doi:")]
    references = [
        value
        for value in identifiers
        if value not in abs_urls and not value.lower().startswith(("doi:", "http://", "https://"))
    ]
    descriptions = [el.text for el in meta.iterfind(f"{DC}description")]
    # The second description is the comment; older responses prefix it with "Comment:".
    comments = text(descriptions[1], "dc:description") if len(descriptions) > 1 else None
    if comments and comments.startswith("Comment:"):
        comments = comments[len("Comment:") :].strip() or None
    # dc:date: the first version's day, then the current version's when it differs.
    dates = [day_start(el.text, "dc:date") for el in meta.iterfind(f"{DC}date")]
    return PaperRecord(
        arxiv_id=paper_id,
        latest_version=version,
        title=required_text(meta.findtext(f"{DC}title"), "dc:title"),
        source="oai-dc",
        abstract=clean_abstract(descriptions[0]) if descriptions else None,
        authors=[_dc_creator(el.text, f"dc:creator[{i}]") for i, el in enumerate(meta.iterfind(f"{DC}creator"))],
        # dc:subject gives category names ("Computer Science - Computation and Language"),
        # not codes, and the names are ambiguous (cs.IT / math.IT), so categories stay unknown.
        comments=comments,
        journal_ref=references[0] if references else None,
        doi=dois[0] if dois else None,
        first_submitted=dates[0] if dates else None,
        last_updated=dates[-1] if dates else None,
        withdrawn=is_withdrawn(comments),
        position=position,
    )


def _dc_creator(value: str | None, name: str) -> str:
    """'Keyname Suffix, Forenames' -> 'Forenames Keyname Suffix'."""
    cleaned = required_text(value, name)
    keyname, comma, forenames = cleaned.partition(",")
    return f"{forenames.strip()} {keyname.strip()}".strip() if comma else cleaned

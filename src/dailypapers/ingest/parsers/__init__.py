"""Pure parsers: bytes or lines in, ``Record`` items out; no database, no network.

``FORMATS`` maps a format name to its parser. Parsers of the names in ``LINE_FORMATS`` take an
iterable of lines (JSONL, streamed); the others take the whole document as bytes.
``sniff`` names the format of a file from its first bytes. A harvester following OAI-PMH
resumption tokens uses ``parse_oai_page``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import orjson

from dailypapers.ingest.parsers.atom import parse_atom, parse_atom_stream
from dailypapers.ingest.parsers.flat import parse_flat_lines
from dailypapers.ingest.parsers.hf import parse_hf_flat_lines, parse_hf_raw_lines, parse_hf_response
from dailypapers.ingest.parsers.oai import OaiPage, parse_oai, parse_oai_page, parse_oai_stream
from dailypapers.ingest.parsers.snapshot import parse_snapshot_lines
from dailypapers.ingest.records import Record

__all__ = ["FORMATS", "LINE_FORMATS", "STREAM_FORMATS", "OaiPage", "parse_oai_page", "sniff"]

FORMATS: dict[str, Callable[..., Iterator[Record]]] = {
    "atom": parse_atom,
    "oai": parse_oai,
    "hf": parse_hf_response,
    "hf-raw": parse_hf_raw_lines,
    "hf-flat": parse_hf_flat_lines,
    "snapshot": parse_snapshot_lines,
    "flat": parse_flat_lines,
}
LINE_FORMATS = frozenset({"hf-raw", "hf-flat", "snapshot", "flat"})
# XML formats the importer streams from a file (see xmldoc.stream_units); the FORMATS entry
# is the same parser over a document already in memory (sync pages, tests).
STREAM_FORMATS: dict[str, Callable[..., Iterator[Record]]] = {"atom": parse_atom_stream, "oai": parse_oai_stream}

# Top-level keys of a JSON object; used when the first line is longer than the sniffed head.
_KEY = re.compile(rb'"([A-Za-z_\-]+)"\s*:')


def sniff(head: bytes, filename: str) -> str | None:
    """The format of a file from its first ~64 KB (already decompressed), or None.

    The content decides; the name only helps for an empty file, whose content says nothing."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not text:
        return _by_name(filename)
    if text.startswith(b"<"):
        if b"<OAI-PMH" in text:
            return "oai"
        if b"<feed" in text and b"http://www.w3.org/2005/Atom" in text:
            return "atom"
        return None
    if text.startswith(b"["):
        return "hf" if b'"paper"' in text else None
    if text.startswith(b"{"):
        return _by_keys(_first_keys(text.split(b"\n", 1)[0]))
    return None


def _first_keys(line: bytes) -> set[str]:
    try:
        obj = orjson.loads(line)
    except orjson.JSONDecodeError:  # cut off by the head: read the keys it shows
        return {key.decode() for key in _KEY.findall(line)}
    return set(obj) if isinstance(obj, dict) else set()


def _by_keys(keys: set[str]) -> str | None:
    if {"response", "snapshot_committed_at"} <= keys or "stored_shape" in keys:
        return "hf-raw"
    if {"arxiv_id", "upvotes"} <= keys:
        return "hf-flat"
    if {"id", "title", "listing_date"} <= keys:
        return "flat"
    if {"id", "title"} <= keys and keys & {"submitter", "journal-ref", "versions", "authors_parsed"}:
        return "snapshot"
    return None


def _by_name(filename: str) -> str | None:
    name = filename.rsplit("/", 1)[-1].lower().removesuffix(".gz")
    if name.endswith(".atom"):
        return "atom"
    if name.startswith("arxiv-metadata-oai-snapshot"):
        return "snapshot"
    if name.startswith("daily_papers_raw"):
        return "hf-raw"
    if name.startswith("papers_flat"):
        return "hf-flat"
    return None

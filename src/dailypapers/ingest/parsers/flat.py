"""The flat daily-listing JSONL (one paper per line, arXiv listing date attached).

This feeds the bulk import, so the per-line work is kept to plain str methods: no regex on the
common path, listing dates parsed once per distinct day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator

import orjson

from dailypapers.ingest.parsers.common import BAD_INPUT, JsonError, arxiv_id, load_json, rejected, type_name
from dailypapers.ingest.records import PaperRecord, Record, RecordError, Rejected, clean_abstract
from dailypapers.ingest.sanitize import finish

SOURCE = "flat"

# ASCII whitespace that str.split() also breaks on, besides space and newline.
_OTHER_SPACE = ("\t", "\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x1f")


def parse_flat_lines(lines: Iterable[bytes]) -> Iterator[Record]:
    loads = orjson.loads
    days: dict[str, dt.date] = {}  # a file spans a few hundred listing days
    for number, line in enumerate(lines, 1):
        try:
            obj = loads(line)
        except orjson.JSONDecodeError:
            try:  # the slow path: a BOM, a lone surrogate, a very long integer
                obj = load_json(line)
            except JsonError as exc:
                if line.strip():
                    yield finish(Rejected(f"line {number}", f"not valid JSON: {exc}"))
                continue
        item: Record
        try:
            item = _paper(obj, f"line {number}", days)
        except BAD_INPUT as exc:
            item = rejected(f"line {number}", exc, obj.get("id") if isinstance(obj, dict) else None)
        # JSON strings cannot hold a raw control character, so without an escape ("\\u"), a DEL
        # or a U+FFFE/U+FFFF the line's text is clean: finish skips its per-character scan.
        if isinstance(line, str):
            line = line.encode()
        yield finish(item, text_clean=b"\\u" not in line and b"\x7f" not in line and b"\xef\xbf" not in line)


def _paper(obj: object, position: str, days: dict[str, dt.date]) -> PaperRecord:
    if type(obj) is not dict:
        raise RecordError(f"record: expected an object, got {type_name(obj)}")
    raw_id = obj.get("id")
    if type(raw_id) is str and _is_plain_new_id(raw_id):
        paper_id, version = raw_id, None
    else:
        paper_id, version = arxiv_id(raw_id, "id")
    title = _one_line(obj.get("title"), "title")
    if not title:
        raise RecordError("title: missing")
    return PaperRecord(
        arxiv_id=paper_id,
        latest_version=version,
        title=title,
        source=SOURCE,
        abstract=_abstract(obj.get("abstract")),
        authors=_names(obj.get("authors"), "authors"),
        categories=_names(obj.get("categories"), "categories") or None,
        comments=_one_line(obj.get("comment"), "comment"),
        announced=_day(obj.get("listing_date"), days),
        position=position,
    )


def _is_plain_new_id(value: str) -> bool:
    """'2503.11731' (no version, no prefix): the common case, checked without a regex."""
    return len(value) in (9, 10) and value[4] == "." and value.isascii() and value[:4].isdigit() and value[5:].isdigit()


def _one_line(value: object, name: str) -> str | None:
    if value is None:
        return None
    if type(value) is not str:
        raise RecordError(f"{name}: expected text, got {type_name(value)}")
    return " ".join(value.split()) or None


def _abstract(value: object) -> str | None:
    """clean_abstract, with a shortcut for the usual case of plain hard-wrapped ASCII.

    Joining the lines is exact when no whitespace run is longer than one character (so there
    is no paragraph break either) and no other ASCII whitespace occurs; three times faster
    than splitting into words."""
    if type(value) is str:
        flat = value.strip().replace("\n", " ")
        if flat.isascii() and "  " not in flat and not any(char in flat for char in _OTHER_SPACE):
            return flat or None
    return clean_abstract(value)


def _names(value: object, name: str) -> list[str] | None:
    if value is None:
        return None
    if type(value) is not list:
        raise RecordError(f"{name}: expected a list, got {type_name(value)}")
    try:
        names = [" ".join(item.split()) for item in value]
    except AttributeError:  # of the JSON types only text has .split()
        index = next(i for i, item in enumerate(value) if type(item) is not str)
        raise RecordError(f"{name}[{index}]: expected text, got {type_name(value[index])}") from None
    return [item for item in names if item] if "" in names else names


def _day(value: object, days: dict[str, dt.date]) -> dt.date | None:
    if value is None:
        return None
    if type(value) is str and (known := days.get(value)) is not None:
        return known
    if type(value) is not str:
        raise RecordError(f"listing_date: expected text, got {type_name(value)}")
    try:
        days[value] = parsed = dt.date.fromisoformat(value)
    except ValueError:
        raise RecordError(f"listing_date: {value!r} is not a date") from None
    return parsed

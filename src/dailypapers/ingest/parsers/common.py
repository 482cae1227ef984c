"""Field helpers shared by the parsers: typed getters that name the field when they refuse."""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import re
from collections.abc import Iterable, Iterator

import orjson

from dailypapers.ingest.records import RecordError, Rejected, clean_text, split_arxiv_id

UTC = dt.timezone.utc

# The widest integer every database column we fill can hold: Django's IntegerField and
# PositiveIntegerField are 32-bit on PostgreSQL (SQLite takes 64 bits, so 32 is the rule).
MAX_INT = 2**31 - 1

# Parenthesised affiliations inside an author string: "A. Smith (MIT), B. Jones".
_AFFILIATION = re.compile(r"\([^()]*\)")
_AUTHOR_SEPARATOR = re.compile(r"\s*,\s*(?:and\s+)?|\s+and\s+")


def type_name(value: object) -> str:
    return {dict: "object", list: "a list", str: "text", bool: "a boolean", type(None): "null"}.get(
        type(value), type(value).__name__
    )


def text(value: object, name: str) -> str | None:
    """A one-line text field (title, name, comment): hard line breaks unwrapped."""
    if value is not None and not isinstance(value, str):
        raise RecordError(f"{name}: expected text, got {type_name(value)}")
    return clean_text(value)


def required_text(value: object, name: str) -> str:
    cleaned = text(value, name)
    if cleaned is None:
        raise RecordError(f"{name}: missing")
    return cleaned


def raw_text(value: object, name: str) -> str | None:
    """A text field kept as it is (abstracts go through clean_abstract afterwards)."""
    if value is not None and not isinstance(value, str):
        raise RecordError(f"{name}: expected text, got {type_name(value)}")
    return value


class OutOfRange(RecordError):
    """A well-typed value the database cannot hold (or no source could mean)."""


def integer(value: object, name: str, low: int = 0, high: int = MAX_INT) -> int | None:
    """A count (upvotes, stars, comments): an integer within [low, high], else RecordError."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer() and not low <= value <= high:
        value = int(value)  # JSON numbers past 64 bits arrive as floats: say they are too big
    if isinstance(value, bool) or not isinstance(value, int):
        raise RecordError(f"{name}: expected an integer, got {type_name(value)}")
    if not low <= value <= high:
        shown = str(value) if len(str(value)) <= 30 else f"a {len(str(value))}-digit number"
        raise OutOfRange(f"{name}: {shown} is out of range ({low} to {high})")
    return value


def list_of(value: object, name: str) -> list | None:
    if value is None:
        return None
    if not isinstance(value, list):
        raise RecordError(f"{name}: expected a list, got {type_name(value)}")
    return value


def text_list(value: object, name: str) -> list[str] | None:
    items = list_of(value, name)
    if items is None:
        return None
    return [cleaned for i, item in enumerate(items) if (cleaned := text(item, f"{name}[{i}]"))]


def arxiv_id(value: object, name: str = "id") -> tuple[str, int | None]:
    raw = required_text(value, name)
    try:
        return split_arxiv_id(raw)
    except RecordError:
        raise RecordError(f"{name}: {raw!r} is not an arXiv id") from None


def day(value: object, name: str) -> dt.date | None:
    """'2024-01-25'."""
    raw = text(value, name)
    if raw is None:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise RecordError(f"{name}: {raw!r} is not a date") from None


def day_start(value: object, name: str) -> dt.datetime | None:
    """A day date as the aware UTC datetime at its midnight (for sources that give no time)."""
    date = day(value, name)
    return dt.datetime(date.year, date.month, date.day, tzinfo=UTC) if date else None


def timestamp(value: object, name: str) -> dt.datetime | None:
    """ISO 8601 ('2024-05-24T17:34:15.000Z', '...+08:00') as an aware UTC datetime."""
    raw = text(value, name)
    if raw is None:
        return None
    try:
        parsed = dt.datetime.fromisoformat(raw)
    except ValueError:
        raise RecordError(f"{name}: {raw!r} is not a date") from None
    # A zone-less timestamp is taken as UTC: every source here writes UTC.
    return as_utc(parsed, raw, name)


def as_utc(parsed: dt.datetime, raw: str, name: str) -> dt.datetime:
    """``parsed`` in UTC; RecordError when the shift leaves the years Python can hold (9999-12-31T23:00-05:00)."""
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError:
        raise RecordError(f"{name}: {raw!r} is out of range (years 1 to 9999 in UTC)") from None


def mail_timestamp(value: object, name: str) -> dt.datetime | None:
    """RFC 2822 dates as arXiv writes version dates: 'Mon, 2 Apr 2007 19:18:42 GMT'."""
    raw = text(value, name)
    if raw is None:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError, OverflowError, IndexError):
        raise RecordError(f"{name}: {raw!r} is not a date") from None
    return as_utc(parsed, raw, name)


def version_number(value: object, name: str) -> int:
    """'v2' -> 2."""
    raw = required_text(value, name)
    digits = raw[1:] if raw[:1] in "vV" else raw
    if not digits.isdigit() or not digits.isascii() or len(digits) > 10 or not 1 <= int(digits) <= MAX_INT:
        raise RecordError(f"{name}: {raw[:40]!r} is not a version (v1 to v{MAX_INT})")
    return int(digits)


def split_authors(value: str) -> list[str]:
    """arXiv's one-string author list: 'A. Smith (MIT), B. Jones and C. Wu' -> names."""
    flat = " ".join(value.split())
    while (stripped := _AFFILIATION.sub("", flat)) != flat:  # nested parentheses
        flat = stripped
    return [name for part in _AUTHOR_SEPARATOR.split(flat) if (name := " ".join(part.split()))]


def is_withdrawn(comments: str | None) -> bool:
    """arXiv marks a withdrawal in the latest version's comment ('This paper has been withdrawn')."""
    return comments is not None and "withdrawn" in comments.lower()


def rejected(position: str, exc: Exception, record_id: object = None) -> Rejected:
    """Turn a refusal (or a type slip in malformed input) into a Rejected item."""
    reason = str(exc) if isinstance(exc, RecordError) else f"unreadable record: {exc}"
    return Rejected(position, reason, record_id if isinstance(record_id, str) else None)


# What a record builder may raise on malformed input; anything else is a bug and propagates.
BAD_INPUT = (RecordError, TypeError, ValueError, AttributeError, KeyError, IndexError)


class JsonError(ValueError):
    """Text that is not JSON; the message is orjson's reason."""


_BOM = b"\xef\xbb\xbf"


def load_json(data: bytes | str) -> object:
    """Parse JSON; JsonError when it is not JSON.

    orjson is fast but refuses lone surrogates ("\\ud800") and reads integers past 64 bits
    as floats; the standard library takes both, so one odd character costs only its field
    (the surrogate is stripped later), not the whole record or document. A UTF-8 BOM is allowed."""
    if isinstance(data, bytes) and data.startswith(_BOM):
        data = data[3:]
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        error = exc
    try:
        return json.loads(data)
    except (ValueError, RecursionError):
        raise JsonError(str(error)) from None


def json_lines(lines: Iterable[bytes | str]) -> Iterator[tuple[str, object]]:
    """(position, parsed value) per non-blank line; a Rejected in place of a broken line."""
    for number, line in enumerate(lines, 1):
        try:
            yield f"line {number}", load_json(line)
        except JsonError as exc:
            if line.strip():
                yield f"line {number}", Rejected(f"line {number}", f"not valid JSON: {exc}")

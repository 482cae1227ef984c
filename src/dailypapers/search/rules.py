"""The one set of query rules the web page, the JSON API and the CLI all apply.

Each rule is a function that returns the cleaned value or raises QueryError with one
sentence for the user: query length, sorts, modes, dates and date ranges, categories.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Iterable
from typing import Literal, cast

# Longer input is refused rather than silently cut, so the user knows what was searched.
MAX_QUERY_CHARS = 20_000
SORTS = ("relevance", "newest", "votes")
Mode = Literal["auto", "hybrid", "keyword", "semantic"]
MODES = ("auto", "hybrid", "keyword", "semantic")
# An arXiv category as typed: archive, optional subject class ("cs.CV", "hep-th", "cond-mat.stat-mech").
CATEGORY = re.compile(r"^[A-Za-z\-]+(\.[A-Za-z\-]+)?$")


class QueryError(ValueError):
    """The query cannot be run; the message is meant for the user."""


def check_query_length(raw: str) -> str:
    if len(raw) > MAX_QUERY_CHARS:
        raise QueryError(f"The query is too long ({len(raw):,} characters; the limit is {MAX_QUERY_CHARS:,}).")
    return raw


def check_sort(value: str | None) -> str:
    value = (value or "relevance").strip().lower()
    if value not in SORTS:
        raise QueryError(f"Unknown sort {value!r}: use {', '.join(SORTS[:-1])} or {SORTS[-1]}.")
    return value


def check_mode(value: str | None) -> Mode:
    value = (value or "auto").strip().lower()
    if value not in MODES:
        raise QueryError(f"Unknown mode {value!r}: use {', '.join(MODES[:-1])} or {MODES[-1]}.")
    return cast(Mode, value)  # one of MODES, checked above


def parse_date(value: str | None, name: str) -> dt.date | None:
    """'' or None -> None; YYYY-MM-DD -> date; anything else a sentence naming the field."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise QueryError(f"The {name} date {value!r} is not a date; use YYYY-MM-DD.") from None


def check_date_range(date_from: dt.date | None, date_to: dt.date | None) -> None:
    if date_from and date_to and date_from > date_to:
        raise QueryError(f"The from date ({date_from}) is after the to date ({date_to}): no paper can match.")


def canonical_categories(values: Iterable[str], known: Iterable[str]) -> tuple[str, ...]:
    """Each category matched case-insensitively to one in ``known`` (its stored spelling);
    an unknown one is refused with the closest known ones suggested."""
    by_lower = {k.lower(): k for k in known}
    out: list[str] = []
    for raw in values:
        value = raw.strip()
        if not value:
            continue
        if not CATEGORY.match(value):
            raise QueryError(f"{value!r} is not an arXiv category (like cs.CL or hep-th).")
        found = by_lower.get(value.lower())
        if found is None:
            close = difflib.get_close_matches(value.lower(), list(by_lower), n=3, cutoff=0.6)
            hint = f" Did you mean {', '.join(by_lower[c] for c in close)}?" if close else ""
            raise QueryError(f"No paper here is in category {value!r}.{hint}")
        if found not in out:
            out.append(found)
    return tuple(out)

"""The last step of every parser: make a record safe to store and to show, or refuse it.

- Control characters (U+0000-U+001F but tab, newline and CR; U+007F), lone surrogates and
  the XML non-characters U+FFFE/U+FFFF are removed from every text field: they break feeds
  (XML cannot carry them) and JSON, and no title needs them.
- Text longer than its database column (PostgreSQL enforces ``max_length``) drops that field
  with a note; a title or id that would be empty or too long refuses the record.
- Version numbers beyond the 32-bit columns refuse the record (counts are checked where parsed).
- Categories are checked against arXiv's taxonomy (store/taxonomy.py) and kept in its spelling;
  a value holding several ("cs.CV, cs.MM") is split; MSC and ACM classes go to their own
  fields; anything else is left out with a note.

Pure: no database. The limits mirror store/models.py (a test holds them equal).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from functools import wraps
from operator import attrgetter
from typing import ParamSpec

from dailypapers.ingest.records import DailyEntryRecord, PaperRecord, Record, Rejected
from dailypapers.store import taxonomy

MAX_INT = 2**31 - 1
_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")

# Column max_length of each text field that has one (Paper and DailyEntry in store/models.py).
PAPER_LIMITS = {"arxiv_id": 64, "primary_category": 32, "categories": 512, "doi": 256, "license": 256, "submitter": 256}
CLASS_LIMIT = 256  # msc_classes and acm_classes, space separated
ENTRY_LIMITS = {"submitted_by": 256, "organization": 256, "github_repo": 512, "project_page": 512}
_ONE_LINE = {
    "title",
    "primary_category",
    "comments",
    "journal_ref",
    "doi",
    "license",
    "submitter",
    "submitted_by",
    "organization",
    "ai_summary",
    "github_repo",
    "project_page",
}


def strip_unsafe(value: str) -> str:
    """``value`` without control characters, lone surrogates and U+FFFE/U+FFFF."""
    return _UNSAFE.sub("", value) if _UNSAFE.search(value) else value


def _clean_str(value: str, one_line: bool) -> str | None:
    if not _UNSAFE.search(value):
        return value
    value = _UNSAFE.sub("", value)
    if one_line:
        value = " ".join(value.split())
    return value.strip() or None


_TEXT_FIELDS = {
    PaperRecord: (
        "arxiv_id",
        "title",
        "abstract",
        "primary_category",
        "comments",
        "journal_ref",
        "doi",
        "license",
        "submitter",
    ),
    DailyEntryRecord: ("submitted_by", "github_repo", "project_page", "organization", "ai_summary"),
}
_LIST_FIELDS = {PaperRecord: ("authors", "categories"), DailyEntryRecord: ("ai_keywords",)}


_GET_TEXT = {kind: attrgetter(*names) for kind, names in _TEXT_FIELDS.items()}
_GET_LISTS = {kind: attrgetter(*names, "notes") for kind, names in _LIST_FIELDS.items()}  # "notes": always a tuple
_TEXT_LIMITS = {
    PaperRecord: {k: v for k, v in PAPER_LIMITS.items() if k != "categories"},
    DailyEntryRecord: ENTRY_LIMITS,
}
_GET_LIMITED = {kind: attrgetter(*limits) for kind, limits in _TEXT_LIMITS.items()}


def _is_clean(record: PaperRecord | DailyEntryRecord, kind: type, text_clean: bool = False) -> bool:
    """One regex pass over all the record's text (skipped when the parser vouches for it) and a
    length check per limited field (hot path: every record of a bulk import comes through here)."""
    if (
        isinstance(record, PaperRecord)
        and record.categories
        and len(" ".join(record.categories)) > PAPER_LIMITS["categories"]
    ):
        return False
    if not all(
        not value or len(value) <= limit
        for value, limit in zip(_GET_LIMITED[kind](record), _TEXT_LIMITS[kind].values(), strict=True)
    ):
        return False
    if text_clean:
        return True
    parts = list(filter(None, _GET_TEXT[kind](record)))
    for items in _GET_LISTS[kind](record)[:-1]:
        if items:
            parts.append("".join(items))
    text = "".join(parts)
    # str.isprintable is several times faster than the regex; ASCII text without control
    # characters but newlines, tabs and CRs is printable once those are removed.
    if not (
        text.isascii() and text.replace("\n", "").replace("\t", "").replace("\r", "").isprintable()
    ) and _UNSAFE.search(text):
        return False
    return True


def _clean_fields(record: PaperRecord | DailyEntryRecord, limits: dict[str, int], text_clean: bool = False) -> None:
    kind = type(record)
    if _is_clean(record, kind, text_clean):  # the common case: nothing to strip, nothing too long
        return
    for name in _TEXT_FIELDS[kind]:
        value = getattr(record, name)
        if not isinstance(value, str):
            continue
        cleaned = _clean_str(value, name in _ONE_LINE)
        limit = limits.get(name)
        if cleaned is not None and limit is not None and len(cleaned) > limit and name != "arxiv_id":
            record.notes.append(f"{name}: longer than {limit} characters; field dropped")
            cleaned = None
        if cleaned is not value:
            setattr(record, name, "" if cleaned is None and name in ("title", "arxiv_id") else cleaned)
    for name in _LIST_FIELDS[kind]:
        items = getattr(record, name)
        if items and any(_UNSAFE.search(item) for item in items if isinstance(item, str)):
            setattr(record, name, [c for item in items if (c := _clean_str(item, True)) is not None])
    if (
        isinstance(record, PaperRecord)
        and record.categories
        and len(" ".join(record.categories)) > limits["categories"]
    ):
        record.notes.append(f"categories: longer than {limits['categories']} characters; field dropped")
        record.categories = None
        record.primary_category = None


def _check_categories(paper: PaperRecord) -> None:
    """Keep only arXiv categories in ``categories`` (canonical spelling), MSC and ACM classes in
    their own fields, and a primary category that is one of the kept ones."""
    given = paper.categories or []
    primary = paper.primary_category
    if taxonomy.all_canonical(given) and (not primary or primary in taxonomy.CATEGORIES):
        return  # the common case: nothing to sort
    found = taxonomy.classify(given)
    for value in found.unknown:
        paper.notes.append(f"categories: {value[:80]!r} is not an arXiv category, MSC or ACM class; left out")
    for name, classes in (("msc_classes", found.msc), ("acm_classes", found.acm)):
        kept = list(dict.fromkeys([*(getattr(paper, name) or []), *classes]))
        if len(" ".join(kept)) > CLASS_LIMIT:
            paper.notes.append(f"{name}: longer than {CLASS_LIMIT} characters; field dropped")
            kept = []
        setattr(paper, name, kept or None)
    paper.categories = found.categories or None
    primary = taxonomy.canonical(primary) if primary else None
    paper.primary_category = primary or (found.categories[0] if found.categories else None)


def _refusal(paper: PaperRecord) -> str | None:
    if len(paper.arxiv_id) > PAPER_LIMITS["arxiv_id"]:
        return "id: too long"
    if not paper.title and not paper.deleted:
        return "title: missing"
    numbers = [v.number for v in paper.versions] + [paper.latest_version or 0]
    if any(not 0 <= n <= MAX_INT for n in numbers):
        return f"version: out of range (1 to {MAX_INT})"
    return None


def finish(item: Record, text_clean: bool = False) -> Record:
    """``item`` cleaned in place (see the module docstring), or a Rejected saying why it cannot be kept.

    ``text_clean``: the parser knows the text holds no character to strip (limits still apply)."""
    if isinstance(item, Rejected):
        item.reason = strip_unsafe(item.reason)
        if item.record_id is not None:
            item.record_id = strip_unsafe(item.record_id)[:200]
        return item
    paper = item.paper if isinstance(item, DailyEntryRecord) else item
    _clean_fields(paper, PAPER_LIMITS, text_clean)
    _check_categories(paper)
    if isinstance(item, DailyEntryRecord):
        _clean_fields(item, ENTRY_LIMITS)
        item.notes[:0] = paper.notes  # one list of notes per stored item
        paper.notes = []
    problem = _refusal(paper)
    if problem is not None:
        return Rejected(paper.position or item.position, problem, paper.arxiv_id[:200])
    return item


P = ParamSpec("P")


def finished(parser: Callable[P, Iterable[Record]]) -> Callable[P, Iterator[Record]]:
    """Decorate a parser so every item it yields goes through ``finish``."""

    @wraps(parser)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> Iterator[Record]:
        for item in parser(*args, **kwargs):
            yield finish(item)

    return wrapper

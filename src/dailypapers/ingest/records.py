"""The records every parser yields. Pure data: no database, no I/O.

A parser turns bytes or lines into a stream of ``PaperRecord``, ``DailyEntryRecord``
and ``Rejected`` items. ``Rejected`` carries where and why a record was refused, so the
importer can report it and go on.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

# New-style (2301.00001) and old-style (hep-th/9901001, math.GT/0309136) ids, optional version.
# Old-style archive names are short words joined by a dash (the longest real one, "chao-dyn",
# has 8 letters), so the archive part is bounded; the version fits the 32-bit column.
_ARXIV_ID = re.compile(
    r"^(?:arxiv:)?(?P<id>\d{4}\.\d{4,5}|[a-z]{1,12}(?:-[a-z]{1,12})?(?:\.[A-Z]{2})?/\d{7})(?:v(?P<v>\d{1,10}))?$",
    re.IGNORECASE,
)
_MAX_VERSION = 2**31 - 1


class RecordError(ValueError):
    """A record cannot be used; the message says which field and why."""


def split_arxiv_id(raw: str) -> tuple[str, int | None]:
    """'2401.01234v3' -> ('2401.01234', 3); also accepts abs/pdf URLs and oai identifiers."""
    text = (raw or "").strip()
    for prefix in (
        "oai:arXiv.org:",
        "http://arxiv.org/abs/",
        "https://arxiv.org/abs/",
        "http://arxiv.org/pdf/",
        "https://arxiv.org/pdf/",
        "arxiv.org/abs/",
    ):
        if text.lower().startswith(prefix.lower()):
            text = text[len(prefix) :]
    if text.lower().endswith(".pdf"):
        text = text[:-4]
    match = _ARXIV_ID.match(text)
    if not match:
        raise RecordError(f"id: {raw!r} is not an arXiv id")
    arxiv_id = match.group("id")
    if "/" in arxiv_id:  # old style: archive part lower case, subject class upper
        archive, number = arxiv_id.split("/")
        arxiv_id = (
            f"{archive.split('.')[0].lower()}{'.' + archive.split('.')[1].upper() if '.' in archive else ''}/{number}"
        )
    version = int(match.group("v")) if match.group("v") else None
    if version is not None and not 1 <= version <= _MAX_VERSION:
        raise RecordError(f"id: {raw!r} has a version out of range (v1 to v{_MAX_VERSION})")
    return arxiv_id, version


@dataclass
class VersionRecord:
    number: int
    date: dt.datetime | None = None


@dataclass
class PaperRecord:
    """One paper as one source saw it. ``None`` means "this source does not say"."""

    arxiv_id: str
    title: str
    source: str  # e.g. "arxiv-api", "oai-arXiv", "snapshot", "hf", "flat"
    abstract: str | None = None
    authors: list[str] | None = None
    primary_category: str | None = None
    categories: list[str] | None = None
    # Mathematics Subject Classification and ACM classes ("68T50", "I.2.7"): not arXiv categories.
    msc_classes: list[str] | None = None
    acm_classes: list[str] | None = None
    comments: str | None = None
    journal_ref: str | None = None
    doi: str | None = None
    license: str | None = None
    submitter: str | None = None
    versions: list[VersionRecord] = field(default_factory=list)
    latest_version: int | None = None
    first_submitted: dt.datetime | None = None
    last_updated: dt.datetime | None = None
    announced: dt.date | None = None
    withdrawn: bool | None = None
    deleted: bool = False
    position: str = ""  # where in the input: "line 12", "record 3"
    notes: list[str] = field(default_factory=list)  # fields dropped, and why (the record is kept)

    def __post_init__(self) -> None:
        if self.versions:
            self.versions.sort(key=lambda v: v.number)
            if self.latest_version is None:
                self.latest_version = self.versions[-1].number
            if self.first_submitted is None:
                self.first_submitted = self.versions[0].date
            if self.last_updated is None:
                self.last_updated = self.versions[-1].date
        if self.categories and not self.primary_category:
            self.primary_category = self.categories[0]


@dataclass
class DailyEntryRecord:
    """A paper featured on a Hugging Face daily list, with the counts seen at fetch time."""

    paper: PaperRecord
    date: dt.date
    source: str = "hf"
    upvotes: int | None = 0  # None: not known (missing or out of range)
    num_comments: int | None = 0
    submitted_by: str | None = None
    github_repo: str | None = None
    github_stars: int | None = None
    project_page: str | None = None
    organization: str | None = None
    ai_summary: str | None = None
    ai_keywords: list[str] | None = None
    seen_at: dt.datetime | None = None
    # Hugging Face's own fields (docs/hf-fields.md); None where the source does not say.
    listed_at: dt.datetime | None = None
    submitted_on_daily_at: dt.datetime | None = None
    published_at: dt.datetime | None = None
    thumbnail: str | None = None
    media_urls: list[str] | None = None
    organization_info: dict | None = None
    submitter_organization: dict | None = None
    submitter_fullname: str | None = None
    submitter_avatar: str | None = None
    submitter_id: str | None = None
    submitter_info: dict | None = None
    submitted_on_daily_by: dict | None = None
    is_author_participating: bool | None = None
    hf_authors: list[dict] | None = None
    github_repo_added_by: str | None = None
    ai_summary_model: str | None = None
    discussion_id: str | None = None
    list_position: int | None = None
    extra: dict | None = None
    position: str = ""
    notes: list[str] = field(default_factory=list)


@dataclass
class Rejected:
    """A record that could not be used, with where it was and why."""

    position: str
    reason: str
    record_id: str | None = None

    def __str__(self) -> str:
        who = f" ({self.record_id})" if self.record_id else ""
        return f"{self.position}{who}: {self.reason}"


Record = PaperRecord | DailyEntryRecord | Rejected


def clean_text(value: object) -> str | None:
    """Collapse arXiv's hard line wrapping; None for missing or blank."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise RecordError(f"expected text, got {type(value).__name__}")
    text = " ".join(value.split())
    return text or None


_PARAGRAPH_BREAK = re.compile(r"\n\s*\n|\n[ \t]+")


def clean_abstract(value: object) -> str | None:
    """Keep paragraph breaks but unwrap lines inside a paragraph.

    arXiv marks a new paragraph with a blank line or with an indented line."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise RecordError(f"abstract: expected text, got {type(value).__name__}")
    paragraphs = _PARAGRAPH_BREAK.split(value.strip())
    text = "\n\n".join(" ".join(p.split()) for p in paragraphs if p.strip())
    return text or None

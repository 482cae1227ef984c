"""Hugging Face daily papers: the live API body, the per-day raw archive and the flat archive.

All three come down to one builder; a table says where each field sits in each shape, so a
refusal names the field as the input spells it ("paper.upvotes", "num_comments").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator

from dailypapers.ingest.parsers.common import (
    BAD_INPUT,
    JsonError,
    OutOfRange,
    arxiv_id,
    day,
    integer,
    json_lines,
    list_of,
    load_json,
    raw_text,
    rejected,
    required_text,
    text,
    text_list,
    timestamp,
    type_name,
)
from dailypapers.ingest.records import (
    DailyEntryRecord,
    PaperRecord,
    Record,
    RecordError,
    Rejected,
    clean_abstract,
)
from dailypapers.ingest.sanitize import finished
from dailypapers.ingest.urls import UnsafeURL, check_url

SOURCE = "hf"

Paths = dict[str, tuple[str, ...]]

# Where each field sits in an API entry; the first path that holds a value wins.
API_PATHS: Paths = {
    "arxiv_id": ("paper.id",),
    "title": ("paper.title", "title"),
    "summary": ("paper.summary", "summary"),
    "authors": ("paper.authors",),
    "published_at": ("paper.publishedAt",),
    "submitted_on_daily_at": ("paper.submittedOnDailyAt",),
    "listed_at": ("publishedAt",),  # when the entry was posted: the day's fallback
    "upvotes": ("paper.upvotes",),
    "num_comments": ("numComments",),
    "ai_summary": ("paper.ai_summary",),
    "ai_keywords": ("paper.ai_keywords",),
    "github_repo": ("paper.githubRepo",),
    "github_stars": ("paper.githubStars",),
    "project_page": ("paper.projectPage",),
    "organization": ("paper.organization", "organization"),
    "submitted_by": ("submittedBy",),
    "thumbnail": ("thumbnail",),
    "submitter_organization": ("submitterOrganization",),
    "submitted_on_daily_by": ("paper.submittedOnDailyBy",),
    "is_author_participating": ("isAuthorParticipating",),
    "github_repo_added_by": ("paper.githubRepoAddedBy",),
    "ai_summary_model": ("paper.ai_summary_model",),
    "discussion_id": ("paper.discussionId",),
}
# The flat archive has the first fields only, under their own names.
FLAT_PATHS: Paths = {
    name: (name,)
    for name in (
        "arxiv_id",
        "title",
        "summary",
        "authors",
        "published_at",
        "submitted_on_daily_at",
        "upvotes",
        "num_comments",
        "ai_summary",
        "ai_keywords",
        "github_repo",
        "github_stars",
        "project_page",
        "organization",
        "submitted_by",
    )
}


@finished
def parse_hf_response(data: bytes, date: dt.date | None = None, seen_at: dt.datetime | None = None) -> Iterator[Record]:
    """A /api/daily_papers body. The day is ``date`` if given, else each entry's own."""
    try:
        entries = load_json(data)
    except JsonError as exc:
        yield Rejected("document", f"not valid JSON: {exc}")
        return
    if isinstance(entries, dict) and "error" in entries:
        yield Rejected("document", f"API error: {entries['error']}")
        return
    if not isinstance(entries, list):
        yield Rejected("document", f"expected a list of entries, got {type_name(entries)}")
        return
    yield from _entries(entries, "entry", date, seen_at)


@finished
def parse_hf_raw_lines(lines: Iterable[bytes]) -> Iterator[Record]:
    """daily_papers_raw.jsonl: a day per line, one item per entry of its response."""
    for position, obj in json_lines(lines):
        if isinstance(obj, Rejected):
            yield obj
            continue
        try:
            if not isinstance(obj, dict):
                raise RecordError(f"record: expected an object, got {type_name(obj)}")
            date = day(obj.get("date"), "date")
            seen_at = timestamp(obj.get("snapshot_committed_at"), "snapshot_committed_at")
            entries = list_of(obj.get("response"), "response")
            if entries is None:
                raise RecordError("response: missing")
        except BAD_INPUT as exc:
            yield rejected(position, exc)
            continue
        yield from _entries(entries, f"{position} entry", date, seen_at)


@finished
def parse_hf_flat_lines(lines: Iterable[bytes]) -> Iterator[Record]:
    """papers_flat.jsonl: one (day, paper) entry per line."""
    for position, obj in json_lines(lines):
        if isinstance(obj, Rejected):
            yield obj
            continue
        item: Record
        try:
            if not isinstance(obj, dict):
                raise RecordError(f"record: expected an object, got {type_name(obj)}")
            item = _entry(
                obj,
                FLAT_PATHS,
                position,
                day(obj.get("date"), "date"),
                timestamp(obj.get("snapshot_committed_at"), "snapshot_committed_at"),
            )
        except BAD_INPUT as exc:
            item = rejected(position, exc, obj.get("arxiv_id") if isinstance(obj, dict) else None)
        yield item


def _entries(entries: list, prefix: str, date: dt.date | None, seen_at: dt.datetime | None) -> Iterator[Record]:
    for index, entry in enumerate(entries, 1):
        position = f"{prefix} {index}"
        item: Record
        try:
            if not isinstance(entry, dict):
                raise RecordError(f"entry: expected an object, got {type_name(entry)}")
            if not isinstance(entry.get("paper"), dict):
                raise RecordError(f"paper: expected an object, got {type_name(entry.get('paper'))}")
            listed = _entry(entry, API_PATHS, position, date, seen_at)
            # HF's order breaks upvote ties by things it does not send; the place it gave is the record.
            listed.list_position = index
            item = listed
        except BAD_INPUT as exc:
            paper = entry.get("paper") if isinstance(entry, dict) else None
            item = rejected(position, exc, paper.get("id") if isinstance(paper, dict) else None)
        yield item


def _entry(
    entry: dict, paths: Paths, position: str, date: dt.date | None, seen_at: dt.datetime | None
) -> DailyEntryRecord:
    def get(field: str) -> tuple[object, str]:
        for path in paths.get(field, ()):
            value: object = entry
            for key in path.split("."):
                value = value.get(key) if isinstance(value, dict) else None
            if value is not None:
                return value, path
        return None, paths[field][0] if field in paths else field

    paper_id, version = arxiv_id(*get("arxiv_id"))
    if date is None:
        date = _day_of(*get("submitted_on_daily_at")) or _day_of(*get("listed_at"))
        if date is None:
            raise RecordError("date: missing (no day given and no submission time)")
    paper = PaperRecord(
        arxiv_id=paper_id,
        latest_version=version,
        title=required_text(*get("title")),
        source=SOURCE,
        abstract=clean_abstract(raw_text(*get("summary"))),
        authors=_authors(*get("authors")),
        first_submitted=timestamp(*get("published_at")),
        position=position,
    )
    notes: list[str] = []

    def count(field: str, missing: int | None = None) -> int | None:
        """A count out of range drops that field only, with a note: the entry is still good."""
        value, path = get(field)
        try:
            number = integer(value, path)
            return missing if number is None else number
        except OutOfRange as exc:
            notes.append(f"{exc}; field dropped")
            return None

    def link(field: str) -> str | None:
        value, path = get(field)
        try:
            return check_url(text(value, path))
        except UnsafeURL as exc:
            notes.append(f"{path}: {str(value)[:80]!r} dropped: {exc}")
            return None

    upvotes, num_comments = count("upvotes", missing=0), count("num_comments", missing=0)
    submitter = _object(*get("submitted_by"))
    return DailyEntryRecord(
        paper=paper,
        date=date,
        source=SOURCE,
        upvotes=upvotes,
        num_comments=num_comments,
        # The username: what HF's ?submitter= matches and its submittedBy.name holds.
        submitted_by=_display_name(*get("submitted_by"), keys=("name", "user", "fullname")),
        github_repo=link("github_repo"),
        github_stars=count("github_stars"),
        project_page=link("project_page"),
        organization=_display_name(*get("organization"), keys=("fullname", "name")),
        ai_summary=text(*get("ai_summary")),
        ai_keywords=text_list(*get("ai_keywords")),
        seen_at=seen_at,
        listed_at=timestamp(*get("listed_at")),
        submitted_on_daily_at=timestamp(*get("submitted_on_daily_at")),
        published_at=timestamp(*get("published_at")),
        thumbnail=text(*get("thumbnail")),
        media_urls=_media_urls(entry) if paths is API_PATHS else None,
        organization_info=_object(*get("organization")),
        submitter_organization=_object(*get("submitter_organization")),
        submitter_fullname=text(submitter.get("fullname"), "submittedBy.fullname") if submitter else None,
        submitter_avatar=text(submitter.get("avatarUrl"), "submittedBy.avatarUrl") if submitter else None,
        submitter_id=text(submitter.get("_id"), "submittedBy._id") if submitter else None,
        submitter_info=submitter,
        submitted_on_daily_by=_object(*get("submitted_on_daily_by")),
        is_author_participating=_boolean(*get("is_author_participating")),
        hf_authors=_hf_authors(*get("authors")),
        github_repo_added_by=text(*get("github_repo_added_by")),
        ai_summary_model=text(*get("ai_summary_model")),
        discussion_id=text(*get("discussion_id")),
        extra=_extra(entry) if paths is API_PATHS else None,
        position=position,
        notes=notes,
    )


# Keys of an API item (and of its paper) that a column holds; the rest go to ``extra``.
_ENTRY_KEYS = {
    "paper",
    "publishedAt",
    "title",
    "summary",
    "numComments",
    "thumbnail",
    "submittedBy",
    "isAuthorParticipating",
    "organization",
    "mediaUrls",
    "mediaUrl",
    "submitterOrganization",
}
_PAPER_KEYS = {
    "id",
    "authors",
    "publishedAt",
    "title",
    "summary",
    "upvotes",
    "discussionId",
    "submittedOnDailyAt",
    "submittedOnDailyBy",
    "ai_keywords",
    "ai_summary",
    "ai_summary_model",
    "githubRepo",
    "githubStars",
    "githubRepoAddedBy",
    "projectPage",
    "organization",
}


def _extra(entry: dict) -> dict | None:
    """Every recorded key no column holds, so nothing the source said is lost."""
    paper = entry.get("paper") or {}
    extra = {
        "entry": {k: v for k, v in entry.items() if k not in _ENTRY_KEYS},
        "paper": {k: v for k, v in paper.items() if k not in _PAPER_KEYS},
    }
    # HF's own title of the entry may differ from the paper's beyond line wrapping (it keeps TeX:
    # "$\\textit{Trans-LoRA}$"); the paper's is what we show, HF's is kept.
    title = entry.get("title")
    if isinstance(title, str) and " ".join(title.split()) != " ".join(str(paper.get("title") or "").split()):
        extra["entry"]["title"] = title
    return {k: v for k, v in extra.items() if v} or None


def _media_urls(entry: dict) -> list[str] | None:
    """``mediaUrls``; the old shape's single ``mediaUrl`` becomes a one-element list."""
    if entry.get("mediaUrls") is not None:
        return text_list(entry["mediaUrls"], "mediaUrls")
    single = text(entry.get("mediaUrl"), "mediaUrl")
    return [single] if single else None


def _object(value: object, name: str) -> dict | None:
    if value is None or isinstance(value, str):  # the flat archive names an organisation by a string
        return None
    if not isinstance(value, dict):
        raise RecordError(f"{name}: expected an object, got {type_name(value)}")
    return value


def _boolean(value: object, name: str) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    raise RecordError(f"{name}: expected true or false, got {type_name(value)}")


def _hf_authors(value: object, name: str) -> list[dict] | None:
    """The API's author objects as given (claims: ``user``, ``status``); None for plain names."""
    items = list_of(value, name)
    if not items or not all(isinstance(item, dict) for item in items):
        return None
    return items


def _day_of(value: object, name: str) -> dt.date | None:
    stamp = timestamp(value, name)
    return stamp.date() if stamp else None


def _authors(value: object, name: str) -> list[str] | None:
    """API entries give [{"name": ...}], the flat archive plain names."""
    items = list_of(value, name)
    if items is None:
        return None
    names = []
    for i, item in enumerate(items):
        cleaned = text(item.get("name"), f"{name}[{i}].name") if isinstance(item, dict) else text(item, f"{name}[{i}]")
        if cleaned:
            names.append(cleaned)
    return names


def _display_name(value: object, name: str, keys: tuple[str, ...]) -> str | None:
    """A user or organisation: an object with the first of ``keys`` that is set, or a plain name."""
    if not isinstance(value, dict):
        return text(value, name)
    for key in keys:
        if cleaned := text(value.get(key), f"{name}.{key}"):
            return cleaned
    return None

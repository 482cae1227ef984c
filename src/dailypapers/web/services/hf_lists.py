"""The queries behind the Hugging Face-compatible API: which entries, in Hugging Face's order.

Hugging Face lists a day's papers by upvotes, highest first (580 of 580 recorded days); on
equal upvotes its order follows things it does not send, so the entry's recorded place in
the list (``DailyEntry.list_position``) breaks ties, then the time it was posted. Our
community's votes add to the entry's upvotes, as they do in the ``upvotes`` we send.

Two queries per page: the sort keys of every entry in the period (a month holds ~1,000),
then the full rows of the one page.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from types import SimpleNamespace

import orjson
from django.db.models import JSONField, Q, TextField
from django.db.models.functions import Cast

from dailypapers.ingest.records import RecordError, split_arxiv_id
from dailypapers.store.models import DailyEntry, Paper
from dailypapers.store.visibility import shown
from dailypapers.web.services import listings

SORTS = ("publishedAt", "trending")
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
_KEY_COLUMNS = (
    "id",
    "paper_id",
    "source",
    "upvotes",
    "list_position",
    "listed_at",
    "submitted_on_daily_at",
    "paper__arxiv_id",
    "paper__stats__community_votes",
    "paper__stats__trending_score",
)


@dataclass
class EntryPage:
    entries: list[EntryRow]  # each with .paper
    has_next: bool


def _visible(qs):
    return qs.filter(shown("paper__"))  # the one visibility rule (store/visibility.py)


def _stamp(value: dt.datetime | None) -> float:
    return (value or _EPOCH).timestamp()


def period_entries(
    start: dt.date,
    end: dt.date,
    *,
    sort: str = "publishedAt",
    submitter: str | None = None,
    category: str = "",
    page: int = 0,
    limit: int = 50,
) -> EntryPage:
    """One page of the entries featured from ``start`` to ``end``, one per paper, in HF's order."""
    qs = _visible(DailyEntry.objects.filter(date__range=(start, end)))
    if submitter is not None:
        qs = qs.filter(submitted_by=submitter)
    if category:
        qs = qs.filter(paper__in=listings.in_category(Paper.objects.all(), category))
    best: dict[int, tuple] = {}
    for row in qs.values_list(*_KEY_COLUMNS):
        entry_id, paper_id, source, upvotes, position, listed_at, submitted_at, arxiv_id, community, score = row
        total = upvotes + (community or 0)
        # One item per paper: its Hugging Face entry first, then the one with more votes.
        rank = (source == "hf", total)
        if paper_id in best and best[paper_id][0] >= rank:
            continue
        if sort == "trending":
            key = (-(score or 0.0), -total, arxiv_id)
        else:
            key = (
                -total,
                position if position is not None else 1 << 30,
                -_stamp(listed_at),
                -_stamp(submitted_at),
                arxiv_id,
            )
        best[paper_id] = (rank, key, entry_id)
    ordered = sorted(best.values(), key=lambda item: item[1])
    chosen = [entry_id for _, _, entry_id in ordered[page * limit : (page + 1) * limit]]
    rows = _entry_rows(chosen)
    return EntryPage(entries=[rows[i] for i in chosen if i in rows], has_next=len(ordered) > (page + 1) * limit)


# Read as plain values, not model instances: half the time of a 50-item page went to building
# three model objects per item (entry, paper, stats).
_ENTRY_FIELDS = tuple(f.name for f in DailyEntry._meta.concrete_fields if f.name not in ("paper", "fetched_at"))
_PAPER_FIELDS = (
    "paper_id",
    "paper__arxiv_id",
    "paper__title",
    "paper__abstract",
    "paper__authors",
    "paper__categories",
    "paper__first_submitted",
    "paper__announced",
    "paper__stats__community_votes",
    "paper__stats__hf_votes",
    "paper__stats__comments",
)


class EntryRow(SimpleNamespace):
    """A DailyEntry's fields as attributes, with ``paper`` a ListedPaper (what hf_shape reads)."""


# JSON columns come as text and go through orjson: Django's JSONField decoding (stdlib json)
# was a third of the time of a page.
_JSON_FIELDS = tuple(f.name for f in DailyEntry._meta.concrete_fields if isinstance(f, JSONField))
_PLAIN_FIELDS = tuple(name for name in _ENTRY_FIELDS if name not in _JSON_FIELDS)
_AS_TEXT = {f"{name}__text": Cast(name, TextField()) for name in _JSON_FIELDS}


def _entry_rows(ids: list[int]) -> dict[int, EntryRow]:
    found = {}
    rows = (
        DailyEntry.objects.filter(id__in=ids)
        .annotate(**_AS_TEXT)
        .values_list(*_PLAIN_FIELDS, *_AS_TEXT, *_PAPER_FIELDS)
    )
    for row in rows:
        entry = EntryRow(**dict(zip(_PLAIN_FIELDS, row)))
        for i, name in enumerate(_JSON_FIELDS, len(_PLAIN_FIELDS)):
            setattr(entry, name, orjson.loads(row[i]) if row[i] is not None else None)
        pk, arxiv_id, title, abstract, authors, categories, first, announced, ours, hf, comments = row[
            len(_ENTRY_FIELDS) :
        ]
        entry.paper = listings.ListedPaper(
            pk, arxiv_id, title, abstract, authors, categories, first, announced, ours or 0, hf or 0, comments or 0
        )
        found[entry.id] = entry
    return found


def latest_entries(paper_ids: list[int]) -> dict[int, DailyEntry]:
    """Per paper, the entry the API describes it by: its latest Hugging Face one, else its latest."""
    found: dict[int, DailyEntry] = {}
    for entry in DailyEntry.objects.filter(paper_id__in=paper_ids).order_by("date", "id"):
        current = found.get(entry.paper_id)
        if current is None or entry.source == "hf" or current.source != "hf":
            found[entry.paper_id] = entry
    return found


def find_paper(paper_id: str) -> Paper | None:
    """A visible paper by arXiv id, with or without a version (``2608.19880v1``)."""
    try:
        arxiv_id, _ = split_arxiv_id(paper_id)
    except RecordError:
        return None
    return listings.with_stats(listings.visible_papers()).filter(Q(arxiv_id=arxiv_id) | Q(arxiv_id=paper_id)).first()

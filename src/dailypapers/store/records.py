"""The shapes of records the store accepts, declared here so the store never imports ingest.

The parsers' dataclasses (dailypapers.ingest.records) satisfy these protocols; anything
else with the same attributes may be written too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Protocol


class VersionLike(Protocol):
    number: int
    date: dt.datetime | None


class PaperRecordLike(Protocol):
    """One paper as one source saw it; ``None`` means "this source does not say"."""

    arxiv_id: str
    title: str
    source: str
    abstract: str | None
    authors: list[str] | None
    primary_category: str | None
    categories: list[str] | None
    comments: str | None
    journal_ref: str | None
    doi: str | None
    license: str | None
    submitter: str | None
    latest_version: int | None
    first_submitted: dt.datetime | None
    last_updated: dt.datetime | None
    announced: dt.date | None
    withdrawn: bool | None
    deleted: bool
    versions: Sequence[VersionLike]


class DailyEntryRecordLike(Protocol):
    """A paper featured on a daily list, with what that list said about it."""

    paper: PaperRecordLike
    date: dt.date
    source: str


def is_daily_entry(record: object) -> bool:
    return hasattr(record, "paper")

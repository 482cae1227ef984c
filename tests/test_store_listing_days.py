"""The list pages' raw helpers agree with the ORM they stand in for: the listing days."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import Max, Min

from dailypapers.ingest.records import DailyEntryRecord, PaperRecord
from dailypapers.store import listing_days
from dailypapers.store.models import DailyEntry
from dailypapers.store.upsert import write_batch

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 1, 10, 12, 0, tzinfo=dt.timezone.utc)
DAYS = [dt.date(2026, 1, 5), dt.date(2026, 1, 6), dt.date(2026, 1, 9)]  # Monday, Tuesday, Friday


def featured(arxiv_id: str, day: dt.date, **fields) -> DailyEntryRecord:
    paper = PaperRecord(
        arxiv_id=arxiv_id,
        title=f"Paper {arxiv_id}",
        source="hf",
        authors=["Ada Lovelace", "Alan Turing"],
        first_submitted=dt.datetime(2026, 1, 1, 8, 30, tzinfo=dt.timezone.utc),
    )
    return DailyEntryRecord(paper=paper, date=day, upvotes=3, seen_at=NOW, **fields)


@pytest.fixture
def three_days():
    write_batch([featured(f"2601.0000{i}", day) for i, day in enumerate(DAYS, 1)], NOW)


def orm_around(start: dt.date, end: dt.date) -> tuple:
    before = DailyEntry.objects.filter(date__lt=start).aggregate(d=Max("date"))["d"]
    after = DailyEntry.objects.filter(date__gt=end).aggregate(d=Min("date"))["d"]
    return before, after


@pytest.mark.parametrize(
    "asked, shown",
    [
        (dt.date(2026, 1, 6), dt.date(2026, 1, 6)),  # a day with a list
        (dt.date(2026, 1, 7), dt.date(2026, 1, 6)),  # a weekday without one: the last before it
        (dt.date(2026, 1, 11), dt.date(2026, 1, 9)),  # past the newest list
        (dt.date(2025, 12, 1), dt.date(2026, 1, 5)),  # before the archive: the first list
    ],
)
def test_around_day_agrees_with_the_orm(three_days, asked, shown):
    around = listing_days.around_day(asked)
    assert around.shown == shown
    assert (around.before, around.after) == orm_around(shown, shown)
    assert all(d is None or type(d) is dt.date for d in around)


def test_around_period_and_last_day(three_days):
    week = (dt.date(2026, 1, 5), dt.date(2026, 1, 11))
    assert listing_days.around_period(*week) == (None, None, None)
    assert listing_days.around_period(dt.date(2026, 1, 6), dt.date(2026, 1, 6)) == (
        None,
        dt.date(2026, 1, 5),
        dt.date(2026, 1, 9),
    )
    assert listing_days.last_listing_day() == dt.date(2026, 1, 9)
    assert listing_days.last_listing_day(dt.date(2026, 1, 8)) == dt.date(2026, 1, 6)
    assert listing_days.last_listing_day(dt.date(2025, 1, 1)) is None


def test_no_lists_at_all():
    assert listing_days.around_day(dt.date(2026, 1, 7)) == (None, None, None)
    assert listing_days.last_listing_day() is None

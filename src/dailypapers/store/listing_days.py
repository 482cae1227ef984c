"""Which days have a daily list, around a given day: one indexed statement per list page.

A day page needs the day it shows (the last day with a list on or before the one asked for,
else the first one after it) and the nearest days with lists on either side of the period
shown (its previous/next links). As three ORM aggregates these cost more to build than to
run; as one statement of index lookups they cost a tenth (bench/web_bench.py's day page).
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from django.db import connection

from dailypapers.store.models import DailyEntry


class Around(NamedTuple):
    shown: dt.date | None  # the day a day page shows (None: no list at all)
    before: dt.date | None  # the last day with a list before the period
    after: dt.date | None  # the first day with a list after it


def _date(value) -> dt.date | None:
    # SQLite hands raw statements' dates back as ISO text; PostgreSQL as dates.
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def _run(sql: str, params: list) -> tuple:
    table = connection.ops.quote_name(DailyEntry._meta.db_table)
    column = connection.ops.quote_name(DailyEntry._meta.get_field("date").column)
    adapt = connection.ops.adapt_datefield_value
    with connection.cursor() as cursor:
        cursor.execute(sql.format(t=table, d=column), [adapt(p) for p in params])
        return cursor.fetchone()


def around_day(day: dt.date) -> Around:
    """The day a day page for ``day`` shows, and the days with lists just before and after it."""
    row = _run(
        "SELECT s.shown, (SELECT MAX(e.{d}) FROM {t} e WHERE e.{d} < s.shown),"
        " (SELECT MIN(e.{d}) FROM {t} e WHERE e.{d} > s.shown)"
        " FROM (SELECT COALESCE((SELECT MAX({d}) FROM {t} WHERE {d} <= %s),"
        " (SELECT MIN({d}) FROM {t} WHERE {d} > %s)) AS shown) s",
        [day, day],
    )
    return Around(*map(_date, row))


def around_period(start: dt.date, end: dt.date) -> Around:
    """The days with lists just before ``start`` and just after ``end`` (``shown`` is None)."""
    before, after = _run(
        "SELECT (SELECT MAX({d}) FROM {t} WHERE {d} < %s), (SELECT MIN({d}) FROM {t} WHERE {d} > %s)", [start, end]
    )
    return Around(None, _date(before), _date(after))


def last_listing_day(on_or_before: dt.date | None = None) -> dt.date | None:
    """The newest day with a list (on or before ``on_or_before``, when given)."""
    if on_or_before is None:
        return _date(_run("SELECT MAX({d}) FROM {t}", [])[0])
    return _date(_run("SELECT MAX({d}) FROM {t} WHERE {d} <= %s", [on_or_before])[0])

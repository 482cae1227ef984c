"""When digests are due. Pure functions of an aware datetime, so DST is testable.

arXiv announces new papers at 20:00 US/Eastern, Sunday to Thursday; each announcement is
the listing of the next day (Monday to Friday). The daily digest for a listing goes out
``daily_delay`` after the announcement (by default 21:00 Eastern, once the worker's sync
has fetched the new papers), so readers have it the evening before the listing date.
The weekly digest goes out on one weekday at a fixed Eastern time and covers that ISO week.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from dailypapers.digest.periods import Period, daily, weekly

EASTERN = ZoneInfo("America/New_York")
ANNOUNCE_AT = dt.time(20, 0)
ANNOUNCE_WEEKDAYS = frozenset({6, 0, 1, 2, 3})  # Sunday..Thursday (date.weekday(): Monday=0)
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class Schedule:
    daily_delay: dt.timedelta = dt.timedelta(hours=1)
    weekly_day: int = 5  # Saturday
    weekly_time: dt.time = dt.time(9, 0)

    @classmethod
    def from_config(cls, config: dict) -> Schedule:
        day = str(config["DAILYPAPERS_DIGEST_WEEKLY_DAY"]).strip().lower()[:3]
        if day not in WEEKDAYS:
            raise ValueError(f"DAILYPAPERS_DIGEST_WEEKLY_DAY={day!r}: use one of {', '.join(WEEKDAYS)}")
        return cls(
            daily_delay=dt.timedelta(minutes=int(config["DAILYPAPERS_DIGEST_DAILY_DELAY"])),
            weekly_day=WEEKDAYS.index(day),
            weekly_time=dt.time.fromisoformat(str(config["DAILYPAPERS_DIGEST_WEEKLY_TIME"])),
        )


def _at(day: dt.date, time: dt.time) -> dt.datetime:
    # Wall-clock time in Eastern; zoneinfo picks EST or EDT for that date.
    return dt.datetime.combine(day, time, tzinfo=EASTERN)


def _daily_runs(day: dt.date, schedule: Schedule) -> list[tuple[dt.datetime, Period]]:
    if day.weekday() not in ANNOUNCE_WEEKDAYS:
        return []
    due = _at(day, ANNOUNCE_AT) + schedule.daily_delay
    return [(due.astimezone(dt.timezone.utc), daily(day + dt.timedelta(days=1)))]


def _weekly_runs(day: dt.date, schedule: Schedule) -> list[tuple[dt.datetime, Period]]:
    if day.weekday() != schedule.weekly_day:
        return []
    return [(_at(day, schedule.weekly_time).astimezone(dt.timezone.utc), weekly(day))]


def _runs_around(now: dt.datetime, schedule: Schedule, kind: str) -> list[tuple[dt.datetime, Period]]:
    if now.tzinfo is None:
        raise ValueError("schedule functions need an aware datetime")
    today = now.astimezone(EASTERN).date()
    runs = []
    for offset in range(-8, 9):
        day = today + dt.timedelta(days=offset)
        runs += _daily_runs(day, schedule) if kind == "daily" else _weekly_runs(day, schedule)
    return sorted(runs, key=lambda run: run[0])


def latest_due(now: dt.datetime, schedule: Schedule, kind: str) -> tuple[dt.datetime, Period]:
    """The most recent run of ``kind`` ("daily"/"weekly") due at or before ``now``."""
    return [run for run in _runs_around(now, schedule, kind) if run[0] <= now][-1]


def next_due(now: dt.datetime, schedule: Schedule, kind: str) -> tuple[dt.datetime, Period]:
    """The first run of ``kind`` due strictly after ``now``."""
    return [run for run in _runs_around(now, schedule, kind) if run[0] > now][0]


def due_periods(now: dt.datetime, schedule: Schedule) -> list[Period]:
    """The periods a run at ``now`` should send: the latest due daily and weekly digests."""
    return [latest_due(now, schedule, "daily")[1], latest_due(now, schedule, "weekly")[1]]

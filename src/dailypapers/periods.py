"""Periods: a day, an ISO week or a calendar month. Pure: no database, no clock.

The one definition the web lists, the JSON API and the digests share. The web
names a period by its slug ("2026-06-30", "2026-W27", "2026-06"); a digest's ledger by its
key ("daily:2026-06-30", "weekly:2026-W27"), which is what makes a digest exist once per
subscriber. Dates near the ends of the calendar (year 1, year 9999) give periods clipped
to ``date.min``/``date.max`` rather than an OverflowError.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

KINDS = ("day", "week", "month")
FREQUENCIES = {"day": "daily", "week": "weekly", "month": "monthly"}
_KIND_OF_FREQUENCY = {v: k for k, v in FREQUENCIES.items()}
_SLUG = {
    "day": re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}"),
    "week": re.compile(r"([0-9]{4})-W([0-9]{2})"),
    "month": re.compile(r"([0-9]{4})-([0-9]{2})"),
}
_EXAMPLE = {"day": "a date like 2025-01-03", "week": "an ISO week like 2025-W03", "month": "a month like 2025-01"}
_KEY = re.compile(r"(?P<frequency>daily|weekly):(?P<slug>\S+)")


class PeriodError(ValueError):
    """A period cannot be understood; the message shows the accepted form."""


def _plus(day: dt.date, days: int) -> dt.date:
    """``day`` moved by ``days``, clipped to the calendar's ends."""
    try:
        return day + dt.timedelta(days=days)
    except OverflowError:
        return dt.date.max if days > 0 else dt.date.min


@dataclass(frozen=True)
class Period:
    kind: str  # "day" | "week" | "month"
    start: dt.date
    end: dt.date  # inclusive

    @classmethod
    def containing(cls, kind: str, day: dt.date) -> Period:
        if kind == "week":
            start = _plus(day, -day.weekday())
            return cls("week", start, _plus(start, 6))
        if kind == "month":
            return cls("month", day.replace(day=1), day.replace(day=calendar.monthrange(day.year, day.month)[1]))
        if kind == "day":
            return cls("day", day, day)
        raise PeriodError(f"unknown period kind {kind!r}: use day, week or month")

    @property
    def slug(self) -> str:
        if self.kind == "week":
            year, week, _ = self.start.isocalendar()
            return f"{year:04d}-W{week:02d}"
        if self.kind == "month":
            return f"{self.start.year:04d}-{self.start.month:02d}"
        return self.start.isoformat()

    @property
    def label(self) -> str:
        if self.kind == "week":
            return f"Week {self.slug} ({self.start:%b %d} – {self.end:%b %d}, {self.end.year})"
        if self.kind == "month":
            return f"{self.start:%B} {self.start.year}"
        return f"{self.start:%A, %B %d}, {self.start.year}"

    # The digest's names for the same things.
    @property
    def frequency(self) -> str:
        """'daily', 'weekly' or 'monthly': a subscriber's frequency for this kind of period."""
        return FREQUENCIES[self.kind]

    @property
    def key(self) -> str:
        return f"{self.frequency}:{self.slug}"

    @property
    def day(self) -> dt.date:
        return self.start

    @property
    def last_day(self) -> dt.date:
        return self.end

    def window(self, days: int) -> tuple[dt.date, dt.date]:
        """First and last date (inclusive) whose papers are candidates for this period's digest:
        the ``days`` up to a day, or the whole of a week or month."""
        first = _plus(self.start, -(days - 1)) if self.kind == "day" else self.start
        return first, self.end

    def title(self) -> str:
        if self.kind == "week":
            year, week, _ = self.start.isocalendar()
            return f"week {week}, {year}"
        if self.kind == "month":
            return self.label
        return f"{self.start:%A} {self.start.day} {self.start:%B} {self.start.year}"


def kind_of(text: str) -> str | None:
    """Which kind of period a slug names ("2025-01-03": day, "2025-W03": week, "2025-01": month), else None."""
    return next((kind for kind, pattern in _SLUG.items() if pattern.fullmatch(text)), None)


def parse(kind: str, text: str) -> Period:
    """A slug ('2025-01-03' / '2025-W01' / '2025-01') to the Period of that kind; PeriodError when malformed."""
    pattern = _SLUG.get(kind)
    if pattern is None:
        raise PeriodError(f"unknown period kind {kind!r}: use day, week or month")
    match = pattern.fullmatch(text or "")
    try:
        if match and kind == "day":
            return Period.containing("day", dt.date.fromisoformat(text))
        if match and kind == "week":
            return Period.containing("week", dt.date.fromisocalendar(int(match[1]), int(match[2]), 1))
        if match and kind == "month":
            return Period.containing("month", dt.date(int(match[1]), int(match[2]), 1))
    except ValueError as exc:
        raise PeriodError(f"{text!r} is not {_EXAMPLE[kind]}: {exc}") from None
    raise PeriodError(f"{text!r} is not {_EXAMPLE[kind]}")


def parse_key(key: str) -> Period:
    """A digest key, 'daily:2026-06-30' or 'weekly:2026-W27', to its Period."""
    match = _KEY.fullmatch((key or "").strip())
    if not match:
        raise PeriodError(f"{key!r} is not a period: use daily:YYYY-MM-DD or weekly:YYYY-Www")
    try:
        return parse(_KIND_OF_FREQUENCY[match["frequency"]], match["slug"])
    except PeriodError as exc:
        raise PeriodError(f"{key!r} is not a period: {exc}") from None


def daily(day: dt.date) -> Period:
    return Period.containing("day", day)


def weekly(day: dt.date) -> Period:
    """The weekly period of the ISO week holding ``day``."""
    return Period.containing("week", day)

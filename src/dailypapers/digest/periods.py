"""Digest periods: what a ledger key means. Pure: no database, no clock.

A daily period is named by an arXiv listing date ("daily:2026-06-30"); a weekly period by
an ISO week ("weekly:2026-W27"). The key is what makes a digest exist once per subscriber.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

_KEY = re.compile(r"^(?:daily:(?P<day>\d{4}-\d{2}-\d{2})|weekly:(?P<year>\d{4})-W(?P<week>\d{2}))$")


class PeriodError(ValueError):
    """A period key cannot be understood; the message shows the accepted forms."""


@dataclass(frozen=True)
class Period:
    kind: str  # "daily" or "weekly"
    day: dt.date  # daily: the listing date; weekly: the Monday of the ISO week

    @property
    def key(self) -> str:
        if self.kind == "daily":
            return f"daily:{self.day.isoformat()}"
        year, week, _ = self.day.isocalendar()
        return f"weekly:{year}-W{week:02d}"

    @property
    def last_day(self) -> dt.date:
        return self.day if self.kind == "daily" else self.day + dt.timedelta(days=6)

    def window(self, days: int) -> tuple[dt.date, dt.date]:
        """First and last date (inclusive) whose papers are candidates for this digest."""
        first = self.day - dt.timedelta(days=days - 1) if self.kind == "daily" else self.day
        return first, self.last_day

    def title(self) -> str:
        if self.kind == "daily":
            return self.day.strftime("%A %d %B %Y").replace(" 0", " ")
        year, week, _ = self.day.isocalendar()
        return f"week {week}, {year}"


def daily(day: dt.date) -> Period:
    return Period("daily", day)


def weekly(day: dt.date) -> Period:
    """The weekly period of the ISO week holding ``day``."""
    return Period("weekly", day - dt.timedelta(days=day.weekday()))


def parse(key: str) -> Period:
    """'daily:2026-06-30' or 'weekly:2026-W27' -> Period."""
    match = _KEY.match(key.strip())
    if not match:
        raise PeriodError(f"{key!r} is not a period: use daily:YYYY-MM-DD or weekly:YYYY-Www")
    try:
        if match.group("day"):
            return daily(dt.date.fromisoformat(match.group("day")))
        return weekly(dt.date.fromisocalendar(int(match.group("year")), int(match.group("week")), 1))
    except ValueError as exc:
        raise PeriodError(f"{key!r} is not a period: {exc}") from exc

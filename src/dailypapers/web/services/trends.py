"""Topic trends: papers and votes per category and per keyword, per day or ISO week.

A paper counts once in each bucket (day or week) in which it was featured on a daily list;
its votes in a bucket are the Hugging Face upvotes of its entries featured then plus our
community's votes cast then. A category series holds the papers listing that category; a
keyword series the papers whose title or abstract contains the words (case-insensitive).
Each series is one or two aggregate queries whatever the range, and the range is bounded.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field

from django.db.models import Max, Min, Q

from dailypapers.community.models import Vote
from dailypapers.lists.listings import clean_category
from dailypapers.store.models import DailyEntry
from dailypapers.store.visibility import shown

BUCKETS = ("day", "week")
DEFAULT_SPAN = {"day": 30, "week": 12 * 7}  # days shown when no range is asked for
MAX_SPAN = {"day": 183, "week": 2 * 366}  # longest range served, in days
MAX_SERIES = 8
DEFAULT_CATEGORIES = 5
MAX_KEYWORD_CHARS = 60
EARLIEST = dt.date(1991, 1, 1)  # arXiv's first year: no list is older
FUTURE_DAYS = 366  # how far ahead a range may reach (dates beyond overflow date arithmetic near year 9999)


class TrendsError(ValueError):
    """A request the page answers with a sentence (bad date, range too long, ...)."""


@dataclass
class Series:
    kind: str  # "category" | "keyword"
    name: str
    papers: list[int] = field(default_factory=list)  # one count per bucket
    votes: list[int] = field(default_factory=list)

    @property
    def total_papers(self) -> int:
        return sum(self.papers)

    @property
    def total_votes(self) -> int:
        return sum(self.votes)


@dataclass
class Trends:
    by: str
    start: dt.date
    end: dt.date
    buckets: list[dt.date]  # each bucket's first day
    series: list[Series]

    def labels(self) -> list[str]:
        return [bucket_label(self.by, b) for b in self.buckets]

    def partial_starts(self) -> list[dt.date]:
        """The weeks the range cuts: it starts after their Monday or ends before their Friday
        (lists come out on weekdays), so their counts cover only some of their lists."""
        if self.by != "week" or not self.buckets:
            return []
        cut = []
        if self.buckets[0] < self.start:
            cut.append(self.buckets[0])
        if self.buckets[-1] + dt.timedelta(days=4) > self.end and self.buckets[-1] not in cut:
            cut.append(self.buckets[-1])
        return cut

    def partial(self) -> list[str]:
        """Labels of the weeks the range cuts (their counts cover only some of their days)."""
        return [bucket_label("week", b) for b in self.partial_starts()]

    def plotted(self) -> list[int]:
        """Indexes of the buckets the charts draw: all but cut weeks, which would read as a drop
        (they stay in the table and the JSON), unless fewer than two would be left."""
        cut = set(self.partial_starts())
        whole = [i for i, b in enumerate(self.buckets) if b not in cut]
        return whole if len(whole) >= 2 else list(range(len(self.buckets)))

    def as_json(self) -> dict:
        return {
            "by": self.by,
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "buckets": self.labels(),
            "bucket_starts": [b.isoformat() for b in self.buckets],
            "partial_buckets": self.partial(),
            "series": [
                {**asdict(s), "total_papers": s.total_papers, "total_votes": s.total_votes} for s in self.series
            ],
        }


def bucket_start(by: str, day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday()) if by == "week" else day


def bucket_label(by: str, start: dt.date) -> str:
    if by == "week":
        year, week, _ = start.isocalendar()
        return f"{year}-W{week:02d}"
    return start.isoformat()


def clean_keyword(text: str) -> str:
    """Words to look for, trimmed and with runs of spaces folded; '' when nothing is left."""
    return re.sub(r"\s+", " ", text or "").strip()[:MAX_KEYWORD_CHARS]


def _today() -> dt.date:
    return dt.datetime.now(dt.timezone.utc).date()


def _shown_entries():
    # Never past tomorrow: a list day imported in the future (refused at import now, but kept
    # from older imports) must not drag the default range into empty years.
    return DailyEntry.objects.filter(shown("paper__"), date__lte=_today() + dt.timedelta(days=1))


def newest_list_day() -> dt.date | None:
    return _shown_entries().aggregate(d=Max("date"))["d"]


def default_end(by: str) -> dt.date | None:
    """Where the chart ends when no range is asked for: the newest list day that every source
    still listing papers within the default span has reached. A source whose lists stop earlier
    (bundled arXiv lists end in July, Hugging Face's in August) would otherwise show every
    category falling to a few papers a week, a drop that is only missing data."""
    newest = dict(_shown_entries().values("source").annotate(d=Max("date")).values_list("source", "d").order_by())
    if not newest:
        return None
    last = max(newest.values())
    recent = [day for day in newest.values() if (last - day).days < DEFAULT_SPAN[by]]
    return min(recent)


def resolve_range(by: str, start: dt.date | None, end: dt.date | None) -> tuple[dt.date, dt.date]:
    """The range to show: the one asked for, else the DEFAULT_SPAN days up to the newest lists."""
    if by not in BUCKETS:
        raise TrendsError(f"by={by!r} is not one of: day, week.")
    latest = _today() + dt.timedelta(days=FUTURE_DAYS)
    for name, value in (("from", start), ("to", end)):
        if value is not None and not EARLIEST <= value <= latest:
            raise TrendsError(f"{name}={value.isoformat()} is out of range: dates run from {EARLIEST} to {latest}.")
    end = end or (default_end(by) if start is None else None) or newest_list_day() or _today()
    # A default weekly range starts on a Monday: its first week is whole, not cut.
    start = start or bucket_start(by, end - dt.timedelta(days=DEFAULT_SPAN[by] - 1))
    if start > end:
        raise TrendsError(f"The range starts ({start}) after it ends ({end}).")
    if (end - start).days + 1 > MAX_SPAN[by]:
        raise TrendsError(
            f"A {by}ly chart covers at most {MAX_SPAN[by]} days; "
            f"{start} to {end} is {(end - start).days + 1}. Shorten it or use by=week."
        )
    return start, end


def topic_trends(
    by: str = "week",
    start: dt.date | None = None,
    end: dt.date | None = None,
    categories: list[str] | None = None,
    keywords: list[str] | None = None,
) -> Trends:
    """The series asked for (default: the range's busiest categories) over ``start``..``end``,
    narrowed to the days that have lists (empty ends are not plotted as zeros)."""
    start, end = resolve_range(by, start, end)
    start, end = _held_range(start, end)
    first = bucket_start(by, start)
    step = 7 if by == "week" else 1
    buckets = [first + dt.timedelta(days=i) for i in range(0, (end - first).days + 1, step)]
    index = {b: i for i, b in enumerate(buckets)}
    cats = [c for c in dict.fromkeys(clean_category(c) for c in categories or []) if c][:MAX_SERIES]
    words = [k for k in dict.fromkeys(clean_keyword(k) for k in keywords or []) if k][: MAX_SERIES - len(cats)]
    entries = DailyEntry.objects.filter(shown("paper__"), date__range=(start, end))
    series: list[Series] = []
    if cats or not words:
        rows = list(entries.values_list("paper_id", "date", "source", "upvotes", "paper__categories"))
        paper_cats = {paper_id: set(text.split()) for paper_id, _, _, _, text in rows}
        if not cats:  # the busiest categories of the range
            counted = Counter(c for names in paper_cats.values() for c in names)
            cats = [name for name, _ in counted.most_common(DEFAULT_CATEGORIES)]
        votes = _our_votes(start, end, Q(paper_id__in=list(paper_cats)) if cats else Q(pk=None))
        for name in cats:
            series.append(
                _series(
                    "category", name, rows, votes, index, by, lambda pid, name=name: name in paper_cats.get(pid, ())
                )
            )
    for word in words:
        match = Q(paper__title__icontains=word) | Q(paper__abstract__icontains=word)
        rows = list(entries.filter(match).values_list("paper_id", "date", "source", "upvotes", "paper__categories"))
        ids = {r[0] for r in rows}
        votes = _our_votes(start, end, Q(paper_id__in=list(ids)))
        series.append(_series("keyword", word, rows, votes, index, by, ids.__contains__))
    return Trends(by=by, start=start, end=end, buckets=buckets, series=series)


def _held_range(start: dt.date, end: dt.date) -> tuple[dt.date, dt.date]:
    """``start``..``end`` narrowed to the first list day and the last list day or vote in it."""
    held = _shown_entries().filter(date__range=(start, end)).aggregate(first=Min("date"), last=Max("date"))
    if held["first"] is None:
        return start, end
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(0), tzinfo=dt.timezone.utc)
    voted = Vote.objects.filter(created_at__lt=until).aggregate(at=Max("created_at"))["at"]
    last = max(held["last"], min(voted.astimezone(dt.timezone.utc).date(), end) if voted else held["last"])
    return max(start, held["first"]), min(end, last)


def _our_votes(start: dt.date, end: dt.date, which: Q) -> list[tuple[int, dt.date]]:
    """(paper id, day) of each of our votes cast in the range on the papers ``which`` selects."""
    since = dt.datetime.combine(start, dt.time(0), tzinfo=dt.timezone.utc)
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(0), tzinfo=dt.timezone.utc)
    return [
        (pid, at.astimezone(dt.timezone.utc).date())
        for pid, at in Vote.objects.filter(which, created_at__gte=since, created_at__lt=until).values_list(
            "paper_id", "created_at"
        )
    ]


def _series(kind: str, name: str, rows, votes, index: dict[dt.date, int], by: str, member) -> Series:
    papers: dict[int, set[int]] = defaultdict(set)
    counts = [0] * len(index)
    for paper_id, day, source, upvotes, _ in rows:
        if not member(paper_id):
            continue
        slot = index[bucket_start(by, day)]
        papers[slot].add(paper_id)
        if source == "hf":
            counts[slot] += upvotes or 0
    for paper_id, day in votes:
        if member(paper_id):
            slot = index.get(bucket_start(by, day))
            if slot is not None:
                counts[slot] += 1
    return Series(kind=kind, name=name, papers=[len(papers[i]) for i in range(len(index))], votes=counts)

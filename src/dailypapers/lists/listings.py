"""The queries behind every list page, feed, API list and `dailypapers list`: a constant number of queries each.

A period (day, ISO week, month) lists the papers featured on any daily list in it.
A day without a list (weekend, holiday, no data yet) falls back to the last day that has one,
and the page says exactly why (day_notice). Periods themselves are dailypapers/periods.py,
shared with the digests.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from django.db.models import Count, F, Max, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from dailypapers.community.marks import not_interested_rows, without_not_interested
from dailypapers.community.models import Vote
from dailypapers.periods import Period
from dailypapers.rank.trending import explain
from dailypapers.search.rules import CATEGORY
from dailypapers.store import listing_days, taxonomy
from dailypapers.store.compiled import compiled
from dailypapers.store.models import DailyEntry, Paper
from dailypapers.store.ranking import params
from dailypapers.store.visibility import shown_papers

PAGE_SIZE = 50
TRENDING_PAGE_SIZE = 30
SORTS = ("votes", "newest")
_ORDER = {
    "votes": ["-total_votes", "-first_submitted", "-arxiv_id"],
    "newest": ["-first_submitted", "-arxiv_id"],
    "trending": [F("stats__trending_score").desc(nulls_last=True), "-arxiv_id"],
}


def clean_category(value: str | None) -> str:
    """The category a filter asks for, in the taxonomy's spelling ("cs.cv" is cs.CV: stored
    categories are canonical, so every case finds the same papers); "" when it is no category."""
    value = (value or "").strip()
    if not CATEGORY.match(value):  # one category rule for lists, feeds and search
        return ""
    return taxonomy.canonical(value) or value


def for_reader(qs: QuerySet[Paper], reader=None) -> QuerySet[Paper]:
    """The one rule every list applies for a signed-in reader (a user or a user's id; None or
    anonymous: anyone): without the papers they marked not interested (a subquery in the list's
    own query, so pages stay full and the count agrees)."""
    reader_id = reader if reader is None or isinstance(reader, int) else reader_key(reader)
    return qs if reader_id is None else qs.exclude(id__in=not_interested_rows(reader_id))


def without_hidden(reader, papers: list) -> list:
    """The same rule for papers the search engine chose (one query): see for_reader."""
    return papers if reader is None else without_not_interested(reader, papers)


def in_category(qs: QuerySet[Paper], category: str) -> QuerySet[Paper]:
    """Papers listing ``category`` among their space-separated categories (exact token match)."""
    if not category:
        return qs
    return qs.filter(
        Q(categories=category)
        | Q(categories__startswith=category + " ")
        | Q(categories__endswith=" " + category)
        | Q(categories__contains=f" {category} ")
    )


def with_stats(qs: QuerySet[Paper]) -> QuerySet[Paper]:
    """Join the stats row and add ``total_votes`` (ours + Hugging Face's) for sorting and display."""
    return qs.select_related("stats").annotate(
        total_votes=Coalesce(F("stats__community_votes"), Value(0)) + Coalesce(F("stats__hf_votes"), Value(0)),
    )


@dataclass(slots=True)
class ListedEntry:
    """A daily-list entry as lists and the API show it."""

    date: dt.date
    source: str
    submitted_by: str
    github_repo: str
    github_stars: int | None
    project_page: str
    organization: str
    ai_summary: str
    ai_keywords: list


@dataclass(slots=True, eq=False)
class ListedPaper:
    """A paper as lists, feeds and the API show it.

    Read with ``values_list``: no model instance and no unused column per row, which took
    ~40% off the ORM time of a list query. The attribute names are Paper's, so code that shows
    a paper takes either. ``comment_count`` is PaperStats.comments (Paper.comments is arXiv's comment line).
    """

    pk: int
    arxiv_id: str
    title: str
    abstract: str
    authors: list[str]
    categories: str
    first_submitted: dt.datetime | None
    announced: dt.date | None
    community_votes: int
    hf_votes: int
    comment_count: int
    categories_predicted: bool = False  # predicted from the text until a source gives them (store/predicted.py)
    period_entries: list[ListedEntry] = field(default_factory=list)  # the listed period's, by date
    # Why a paper trends (attach_reasons):
    votes_24h: int = 0
    votes_7d: int = 0
    first_featured: dt.date | None = None
    featured_days_ago: int | None = None
    why: str = ""  # rank.trending.explain(): the numbers the score is made of
    trending_score: float = 0.0  # read by trending_page only
    entry_rows: list[CardEntry] | None = None  # all its entries, by date (attach_reasons)

    @property
    def total_votes(self) -> int:
        return self.community_votes + self.hf_votes

    @property
    def category_list(self) -> list[str]:
        return self.categories.split()


class CardEntry(NamedTuple):
    """The DailyEntry columns a list card reads (web.services.cards.HfEntry; docs/hf-fields.md says
    what each holds), named: attach_reasons reads the first four."""

    paper_id: int
    date: dt.date
    source: str
    upvotes: int
    num_comments: int
    submitted_by: str
    submitter_fullname: str
    submitter_avatar: str
    organization: str
    organization_info: Any
    github_repo: str
    github_stars: int | None
    project_page: str
    ai_summary: str
    ai_keywords: Any
    thumbnail: str


CARD_ENTRY_COLUMNS = CardEntry._fields

# The columns a ListedPaper is read from, by the field each fills (``paper__`` in front when read
# through a DailyEntry: hf_lists).
LISTED_COLUMNS = {
    "pk": "id",
    "arxiv_id": "arxiv_id",
    "title": "title",
    "abstract": "abstract",
    "authors": "authors",
    "categories": "categories",
    "first_submitted": "first_submitted",
    "announced": "announced",
    "community_votes": "stats__community_votes",
    "hf_votes": "stats__hf_votes",
    "comment_count": "stats__comments",
    "categories_predicted": "categories_predicted",
}
_COUNTS = ("community_votes", "hf_votes", "comment_count")  # NULL for a paper without a stats row
_ENTRY_COLUMNS = tuple(ListedEntry.__dataclass_fields__)


def listed(values: dict[str, Any]) -> ListedPaper:
    """A ListedPaper from its fields' values (LISTED_COLUMNS' keys, and any other field it has)."""
    for name in _COUNTS:
        values[name] = values[name] or 0
    values["categories_predicted"] = bool(values.get("categories_predicted"))
    return ListedPaper(**values)


def _listed_rows(rows, names: tuple[str, ...] = tuple(LISTED_COLUMNS)) -> list[ListedPaper]:
    return [listed(dict(zip(names, row, strict=True))) for row in rows]


def reader_key(reader) -> int | None:
    """What of ``reader`` a list query depends on (for_reader): a signed-in reader's id."""
    return reader.pk if reader is not None and reader.is_authenticated else None


def entry_rows(paper_ids: list[int], period: tuple[dt.date, dt.date] | None = None) -> list[CardEntry]:
    """The card columns of the papers' entries (in ``period``, when given), oldest first."""
    return [CardEntry._make(row) for row in _entry_rows(tuple(paper_ids), period)]


@compiled(size=1024)
def _entry_rows(paper_ids: tuple[int, ...], period: tuple[dt.date, dt.date] | None) -> QuerySet:
    qs = DailyEntry.objects.filter(paper_id__in=paper_ids)
    if period:
        qs = qs.filter(date__range=period)
    return qs.order_by("date", "id").values_list(*CARD_ENTRY_COLUMNS)


def attach_entries(papers: list[ListedPaper], period: Period) -> None:
    """Set ``period_entries`` on each paper: its entries in ``period``, by date (one query)."""
    by_id = {p.pk: p for p in papers}
    if not by_id:
        return
    rows = (
        DailyEntry.objects.filter(paper_id__in=by_id, date__range=(period.start, period.end))
        .order_by("date", "source")
        .values_list("paper_id", *_ENTRY_COLUMNS)
    )
    for paper_id, *values in rows:
        by_id[paper_id].period_entries.append(ListedEntry(*values))


def counts(paper: Paper | ListedPaper) -> tuple[int, int, int]:
    """(our votes, Hugging Face votes, comments) of a ListedPaper or a Paper from with_stats()."""
    if isinstance(paper, ListedPaper):
        return paper.community_votes, paper.hf_votes, paper.comment_count
    # getattr: a paper without a stats row would raise RelatedObjectDoesNotExist on .stats.
    stats = getattr(paper, "stats", None)
    if stats is None:
        return 0, 0, 0
    return stats.community_votes, stats.hf_votes, stats.comments


@dataclass
class Page:
    papers: list[ListedPaper] | list[Paper]  # search results are Papers
    number: int
    has_next: bool
    total: int | None = None

    @property
    def has_previous(self) -> bool:
        return self.number > 0


@dataclass
class Listing:
    period: Period
    page: Page
    requested: dt.date | None = None  # set when a day without a list fell back to ``period``
    previous: Period | None = None
    following: Period | None = None
    empty_reason: str = ""
    notice: str = ""  # why a day page shows another day than the one asked for (day_notice)
    extras: dict = field(default_factory=dict)


def period_listing(
    kind: str,
    anchor: dt.date | None,
    category: str = "",
    sort: str = "votes",
    page: int = 0,
    page_size: int = PAGE_SIZE,
    entries: bool = True,
    reader=None,
) -> Listing:
    """The papers featured in the period containing ``anchor`` (default: the last listing day);
    without what ``reader`` (a signed-in user) marked not interested (for_reader)."""
    today = timezone.localdate()
    requested = anchor
    day = anchor or today
    if kind == "day":
        # The last day with a list on or before the one asked for (before the first list: the first),
        # and the listed days around it, in one statement.
        around = listing_days.around_day(day)
        day = around.shown or day
    period = Period.containing(kind, day)
    if kind != "day":
        around = listing_days.around_period(period.start, period.end)
    papers = period_papers(period, category, sort, page, page_size, entries=entries, reader=reader)
    listing = Listing(
        period=period,
        page=papers,
        requested=requested if requested and requested != period.start and kind == "day" else None,
    )
    before, after = around.before, around.after
    listing.previous = Period.containing(kind, before) if before else None
    listing.following = Period.containing(kind, after) if after else None
    if kind == "day" and period.start != (requested or today) and (before or after or papers.papers):
        listing.notice = day_notice(requested, today, period.start, before, after)
    if not papers.papers:
        listing.empty_reason = (
            f"No papers in {category} were featured in this period."
            if category
            else "No papers have been featured yet."
        )
    return listing


def _long_date(day: dt.date) -> str:
    return f"{day:%A, %B} {day.day}, {day.year}"


def _ago(day: dt.date, today: dt.date) -> str:
    days = (today - day).days
    return "today" if days == 0 else "yesterday" if days == 1 else f"{days} days ago"


def _weekend_only(first: dt.date, last: dt.date) -> bool:
    """Whether every day from ``first`` to ``last`` (inclusive) is a Saturday or Sunday."""
    days = (last - first).days + 1
    return 0 < days <= 2 and all((first + dt.timedelta(d)).weekday() >= 5 for d in range(days))


def day_notice(
    requested: dt.date | None, today: dt.date, shown: dt.date, before: dt.date | None, after: dt.date | None
) -> str:
    """Why a day page shows ``shown`` rather than the day asked for (``requested``; None: the home page).

    Pure: the reason follows from where the asked day lies against the days that have lists
    (``before``/``after``: the nearest listed days around ``shown``). arXiv lists nothing on
    weekends; a weekday between two listed days had no list (a holiday); a day after the
    newest list has no data yet; a day before the first list is before the archive.
    """
    label = _long_date(shown)
    if requested is None:  # the home page: say when the newest list is not today's
        why = " (today is a weekend)" if _weekend_only(shown + dt.timedelta(1), today) else ""
        newer = (
            "" if shown >= today - dt.timedelta(days=1) else " Run `dailypapers sync` to bring the lists up to date."
        )
        return (
            f"The newest list is from {label} ({_ago(shown, today)}){why}; nothing newer has been imported yet.{newer}"
        )
    asked = _long_date(requested)
    if requested < shown:
        return (
            f"The archive starts on {label}: there is no list for {asked}, which is before it. "
            f"Showing the first day with a list."
        )
    if requested > today:
        return f"{asked} is in the future; showing the newest list, from {label}."
    if after is None and not _weekend_only(shown + dt.timedelta(1), requested):
        return (
            f"There is no list for {asked} yet: the newest list is from {label} ({_ago(shown, today)}). "
            f"Showing that day."
        )
    if requested.weekday() >= 5:
        return (
            f"No papers were featured on {asked}: arXiv announces nothing on weekends. "
            f"Showing {label}, the last day before it with a list."
        )
    return (
        f"No papers were featured on {asked}, a weekday between two days with lists (a holiday). "
        f"Showing {label}, the last day before it with a list."
    )


def period_papers(
    period: Period,
    category: str = "",
    sort: str = "votes",
    page: int = 0,
    page_size: int = PAGE_SIZE,
    count: bool = True,
    entries: bool = True,
    reader=None,
) -> Page:
    """One page of the papers featured in ``period``; ``count=False`` skips counting them all."""

    key = (period.kind, period.start, period.end, category, sort, page, page_size, reader_key(reader))
    rows = _listed_rows(_period_rows(*key))
    has_next = len(rows) > page_size
    rows = rows[:page_size]
    if entries:  # the site's cards read their entries themselves (web.services.cards)
        attach_entries(rows, period)
    total = None
    if count:
        # The last page (one that has rows) counts itself; other pages ask the database, without the
        # stats join, annotation and sort: a plain COUNT(*), ~4x cheaper than the list query.
        total = (
            page * page_size + len(rows)
            if rows and not has_next
            else _featured(period.start, period.end, category, reader_key(reader)).count()
        )
    return Page(papers=rows, number=page, has_next=has_next, total=total)


def _featured(start: dt.date, end: dt.date, category: str, reader: int | None) -> QuerySet[Paper]:
    featured = DailyEntry.objects.filter(date__range=(start, end)).values("paper_id")
    return for_reader(in_category(shown_papers().filter(id__in=featured), category), reader)


@compiled()
def _period_rows(
    kind: str, start: dt.date, end: dt.date, category: str, sort: str, page: int, page_size: int, reader: int | None
) -> QuerySet:
    qs = with_stats(_featured(start, end, category, reader)).order_by(*_ORDER.get(sort, _ORDER["votes"]))
    if kind == "day" and sort == "votes":
        qs = _by_day_votes(qs, start)
    # One more than a page: is there a next page?
    return qs[page * page_size : (page + 1) * page_size + 1].values_list(*LISTED_COLUMNS.values())


def _by_day_votes(qs: QuerySet[Paper], day: dt.date) -> QuerySet[Paper]:
    """A day's list in Hugging Face's order: the upvotes its entry had that day (plus ours), then the
    entry's recorded place in Hugging Face's list (its tie-break), then newest.

    A paper featured again later has more upvotes in its stats than it had on the earlier day;
    this keeps each recorded day in the order it was recorded in."""
    that_day = DailyEntry.objects.filter(paper=OuterRef("pk"), date=day).order_by("-upvotes")
    day_votes = Coalesce(F("stats__community_votes"), Value(0)) + Coalesce(
        Subquery(that_day.values("upvotes")[:1]), Value(0)
    )
    position = Subquery(that_day.filter(source="hf").values("list_position")[:1])
    return qs.annotate(day_votes=day_votes, day_position=position).order_by(
        "-day_votes", F("day_position").asc(nulls_last=True), "-first_submitted", "-arxiv_id"
    )


# Older than this, the newest list and vote make trending speak "as of" them (trending_as_of).
STALE_AFTER = dt.timedelta(days=1)


def trending_as_of(now: dt.datetime | None = None) -> dt.datetime | None:
    """The moment trending's worths are told at when the data is days old, else None (now).

    Ranking by stored scores does not depend on the moment (every score decays alike), but the
    worths do: with a newest list 108 days old every paper read "worth under 0.01 fresh votes".
    The moment is the newest of the newest list's day (00:00 UTC, when its upvotes count as
    cast) and the newest vote here, never later than ``now``."""
    now = now or timezone.now()
    newest_day = DailyEntry.objects.filter(date__lte=now.date()).aggregate(d=Max("date"))["d"]
    if newest_day is None:
        return None
    newest = dt.datetime.combine(newest_day, dt.time(0), tzinfo=dt.timezone.utc)
    voted = Vote.objects.aggregate(at=Max("created_at"))["at"]
    if voted is not None:
        newest = max(newest, voted)
    return newest if now - newest > STALE_AFTER else None


def trending_page(
    category: str = "", page: int = 0, page_size: int = TRENDING_PAGE_SIZE, now: dt.datetime | None = None, reader=None
) -> Page:
    """Papers by stored trending score (an indexed ORDER BY), with why each ranks there (as of ``now``)."""
    now = now or timezone.now()

    rows = _listed_rows(
        _trending_rows(category, page, page_size, reader_key(reader)), (*LISTED_COLUMNS, "trending_score")
    )
    has_next = len(rows) > page_size
    rows = rows[:page_size]
    attach_reasons(rows, now)
    return Page(papers=rows, number=page, has_next=has_next)


@compiled()
def _trending_rows(category: str, page: int, page_size: int, reader: int | None) -> QuerySet:
    qs = with_stats(for_reader(in_category(shown_papers().filter(stats__trending_score__gt=0), category), reader))
    qs = qs.order_by("-stats__trending_score", "-arxiv_id")
    # The score rides along in the same query: the why line states its numbers (attach_reasons).
    return qs[page * page_size : (page + 1) * page_size + 1].values_list(
        *LISTED_COLUMNS.values(), "stats__trending_score"
    )


def attach_reasons(papers: list[ListedPaper], now: dt.datetime) -> None:
    """Set votes_24h, votes_7d, first_featured, featured_days_ago and ``why`` on each paper (two queries)."""
    ids = [p.pk for p in papers]
    if not ids:
        return
    # Only papers with any of our votes can have recent ones (often none: imported votes only).
    voted = [p.pk for p in papers if p.community_votes]
    recent = (
        {
            row["paper_id"]: row
            for row in Vote.objects.filter(paper_id__in=voted)
            .values("paper_id")
            .annotate(
                day=Count("id", filter=Q(created_at__gte=now - dt.timedelta(hours=24))),
                week=Count("id", filter=Q(created_at__gte=now - dt.timedelta(days=7))),
                newest=Max("created_at"),
            )
            .order_by()
        }
        if voted
        else {}
    )
    first: dict[int, dt.date] = {}
    hf: dict[int, tuple[int, dt.date]] = {}  # the entry the score counts: the most upvotes seen (store.ranking)
    by_id = {p.pk: p for p in papers}
    for p in papers:
        p.entry_rows = []
    # Every column a card shows, not only the four read here: the cards take these rows instead of
    # asking again (cards.hf_entries), one query where there were two.
    for row in entry_rows(ids):
        paper_id, day = row.paper_id, row.date
        by_id[paper_id].entry_rows.append(row)
        first[paper_id] = min(day, first.get(paper_id, day))
        if row.source == "hf" and row.upvotes > hf.get(paper_id, (0, day))[0]:
            hf[paper_id] = (row.upvotes, day)
    trending = params()
    for paper in papers:
        row = recent.get(paper.pk, {})
        paper.votes_24h = row.get("day", 0)
        paper.votes_7d = row.get("week", 0)
        paper.first_featured = first.get(paper.pk)
        paper.featured_days_ago = (now.date() - paper.first_featured).days if paper.first_featured else None
        _, hf_day = hf.get(paper.pk, (0, None))
        hf_at = dt.datetime.combine(hf_day, dt.time(0), tzinfo=dt.timezone.utc) if hf_day else None
        paper.why = explain(
            paper.community_votes, row.get("newest"), paper.hf_votes, hf_at, paper.trending_score, now, trending
        )

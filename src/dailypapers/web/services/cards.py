"""What a paper card shows: one plain record per paper, gathered once per page.

The markup is a template (web/_cards.html, one include per page, not per card: an include
per card was most of an uncached list page's cost); formatting (dates, plurals, URL-encoding)
is the template's. This module only collects the values, in a constant number of queries:
the page's papers come from listings, and one more query reads each paper's Hugging Face
entry (the one in the listed period, else its latest) for the summary, keywords, code,
organization, submitter, discussion count and thumbnail.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.urls import reverse
from django.utils.text import Truncator, slugify

from dailypapers.store import media
from dailypapers.store.models import DailyEntry, Paper
from dailypapers.web.services.listings import ListedPaper, counts

SNIPPET_CHARS = 300
CARD_KEYWORDS = 6  # AI keywords shown on a card (the paper page shows all)


class MediaPaths:
    """Our address for an image whose source is a URL ('' when there is none): reverse() once per kind
    and page, then the key appended (keys are 40 hex digits, which a path needs no quoting for)."""

    def __init__(self) -> None:
        self.prefix = {kind: reverse("web:media", args=[kind, "0" * 40])[:-40] for kind in media.KINDS}

    def __call__(self, url: str | None, kind: str) -> str:
        url = media.absolute_url(url)
        return self.prefix[kind] + media.media_key(url) if url else ""


@dataclass(slots=True)
class HfEntry:
    """What Hugging Face says about a featured paper (one DailyEntry), ready to show."""

    date: dt.date
    upvotes: int
    comments: int  # Hugging Face's discussion count, not ours
    submitted_by: str
    submitter_avatar: str  # our /media URL, or ''
    organization: str
    organization_avatar: str
    github_repo: str
    github_stars: int | None
    project_page: str
    ai_summary: str
    ai_keywords: list[str]
    thumbnail: str  # our /media URL, or ''
    page_url: str  # the paper's page on Hugging Face (its discussion is there)

    @property
    def repo_label(self) -> str:
        """``owner/name`` of a GitHub repository URL (the URL itself otherwise)."""
        head, _, rest = self.github_repo.partition("://")
        rest = rest or head
        return rest.removeprefix("www.").removeprefix("github.com/").rstrip("/")


@dataclass(slots=True)
class PaperCard:
    """One paper as a list shows it; the template formats every value."""

    arxiv_id: str
    anchor: str  # the card's id attribute
    title: str
    authors: list[str]
    first_submitted: dt.datetime | None
    categories: list[str]  # at most three
    total_votes: int
    community_votes: int
    hf_votes: int
    comments: int  # ours
    hf: HfEntry | None = None
    voted: bool = False
    snippet: str = ""  # search results: the engine's highlighted snippet (SafeString) or the abstract's start
    # Why a paper trends (trending only; see listings.attach_reasons):
    why: bool = False
    votes_24h: int = 0
    votes_7d: int = 0
    first_featured: dt.date | None = None
    featured_days_ago: int | None = None
    keywords: list[str] = field(default_factory=list)  # the card's share of hf.ai_keywords
    submitted_here: list[str] = field(default_factory=list)  # who submitted it on this site

    @property
    def url(self) -> str:
        # A property: the cached card body needs it only when it is rendered afresh.
        return reverse("web:paper", args=[self.arxiv_id])

    @property
    def more_authors(self) -> bool:
        return len(self.authors) > 3

    @property
    def fingerprint(self) -> str:
        """A digest of every value the card's cached body shows (all but ``voted``, which the vote button shows)."""
        values = [getattr(self, name) for name in self.__slots__ if name != "voted"]
        return hashlib.blake2b(repr(values).encode(), digest_size=16).hexdigest()


# Entry columns a card reads; the optional ones are used once the store keeps them.
_ENTRY_COLUMNS = ("paper_id", "date", "source", "upvotes", "num_comments", "submitted_by", "organization",
                  "github_repo", "github_stars", "project_page", "ai_summary", "ai_keywords")
_OPTIONAL_COLUMNS = ("thumbnail", *media.AVATAR_FIELDS)


def _entry_columns() -> tuple[str, ...]:
    names = {f.name for f in DailyEntry._meta.concrete_fields}
    return _ENTRY_COLUMNS + tuple(c for c in _OPTIONAL_COLUMNS if c in names)


class _Row:
    """A values_list row read by attribute, as store.media.entry_media reads entries."""

    def __init__(self, names: tuple[str, ...], values: tuple) -> None:
        self.__dict__.update(zip(names, values))


def hf_entries(papers: list[ListedPaper | Paper], period: tuple[dt.date, dt.date] | None = None,
               submitted_here: dict[int, list[str]] | None = None) -> dict[int, HfEntry]:
    """Each paper's Hugging Face entry: its latest in ``period`` (start, end), else its latest (one query).

    ``submitted_here`` collects, per paper, who submitted it on this site (community entries)."""
    ids = {p.pk: p.arxiv_id for p in papers}
    if not ids:
        return {}
    qs = DailyEntry.objects.filter(paper_id__in=ids)
    if period:
        qs = qs.filter(date__range=period)
    names = _entry_columns()
    latest: dict[int, tuple] = {}
    for values in qs.order_by("date").values_list(*names):  # the latest overwrites the older
        if values[2] == "hf":
            latest[values[0]] = values
        elif submitted_here is not None and values[5]:
            submitted_here.setdefault(values[0], []).append(values[5])
    site = settings.CONFIG["DAILYPAPERS_HF_SITE_URL"].rstrip("/")
    media_path = MediaPaths()
    found: dict[int, HfEntry] = {}
    for paper_id, values in latest.items():
        row = _Row(names, values)
        arxiv_id = ids[paper_id]
        thumbnail = media.thumbnail_url(arxiv_id, row.source, getattr(row, "thumbnail", None))
        found[paper_id] = HfEntry(
            date=row.date, upvotes=row.upvotes, comments=row.num_comments, submitted_by=row.submitted_by,
            submitter_avatar=media_path(getattr(row, "submitter_avatar", ""), "avatar"),
            organization=row.organization,
            organization_avatar=media_path(getattr(row, "organization_avatar", ""), "avatar"),
            github_repo=row.github_repo, github_stars=row.github_stars, project_page=row.project_page,
            ai_summary=row.ai_summary, ai_keywords=list(row.ai_keywords or ()),
            thumbnail=media_path(thumbnail, "thumbnail"), page_url=f"{site}/papers/{arxiv_id}",
        )
    return found


def paper_cards(papers: Iterable[ListedPaper | Paper], voted: set[int] = frozenset(), *, why: bool = False,
                snippet: bool = False, period: tuple[dt.date, dt.date] | None = None) -> list[PaperCard]:
    """Cards for listings' papers, or Papers from listings.with_stats() (``why``: listings.attach_reasons())."""
    papers = list(papers)
    submitted_here: dict[int, list[str]] = {}
    entries = hf_entries(papers, period, submitted_here)
    cards = []
    for paper in papers:
        community, hf_votes, comments = counts(paper)
        hf = entries.get(paper.pk)
        cards.append(PaperCard(
            arxiv_id=paper.arxiv_id, anchor=slugify(paper.arxiv_id),
            title=paper.title, authors=paper.authors, first_submitted=paper.first_submitted,
            categories=paper.category_list[:3], total_votes=community + hf_votes,
            community_votes=community, hf_votes=hf_votes, comments=comments, hf=hf,
            keywords=hf.ai_keywords[:CARD_KEYWORDS] if hf else [], submitted_here=submitted_here.get(paper.pk, []),
            voted=paper.pk in voted,
            # Search results bring a highlighted snippet (SafeString, escaped by the engine).
            snippet=(getattr(paper, "snippet_html", "") or Truncator(paper.abstract).chars(SNIPPET_CHARS)) if snippet else "",
            why=why, votes_24h=getattr(paper, "votes_24h", 0), votes_7d=getattr(paper, "votes_7d", 0),
            first_featured=getattr(paper, "first_featured", None),
            featured_days_ago=getattr(paper, "featured_days_ago", None),
        ))
    return cards

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
from collections.abc import Iterable
from dataclasses import dataclass, field
from operator import attrgetter

from django.conf import settings
from django.template.loader import get_template
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator, slugify

from dailypapers import latex
from dailypapers.lists.listings import CardEntry, ListedPaper, counts, entry_rows
from dailypapers.newest import Newest
from dailypapers.store import media
from dailypapers.store.models import Paper
from dailypapers.web.services.links import safe_link

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


def _column(name: str) -> property:
    read = attrgetter(name)
    return property(lambda self: read(self.row))


class HfEntry:
    """What Hugging Face says about a featured paper (one DailyEntry row), read when shown.

    Lazy on purpose: a card whose cached body is still good never needs its URLs worked out."""

    __slots__ = ("_paths", "_site", "arxiv_id", "row")

    def __init__(self, row: CardEntry, arxiv_id: str, paths: MediaPaths, site: str) -> None:
        self.row, self.arxiv_id, self._paths, self._site = row, arxiv_id, paths, site

    date = _column("date")
    upvotes = _column("upvotes")
    comments = _column("num_comments")  # Hugging Face's discussion count, not ours
    organization = _column("organization")
    github_stars = _column("github_stars")

    # Imported links become links only when http(s) (the one rule, ingest/urls.py): rows stored
    # before the importer checked them are covered too.
    @property
    def github_repo(self) -> str:
        return safe_link(self.row.github_repo)

    @property
    def project_page(self) -> str:
        return safe_link(self.row.project_page)

    ai_summary = _column("ai_summary")

    @property
    def ai_keywords(self) -> list[str]:
        return list(self.row.ai_keywords or ())

    @property
    def submitted_by(self) -> str:
        """The submitter's display name (their username when they gave none)."""
        return self.row.submitter_fullname or self.row.submitted_by

    @property
    def submitter_avatar(self) -> str:  # our /media URL, or ''
        return self._paths(self.row.submitter_avatar, "avatar")

    @property
    def organization_avatar(self) -> str:
        return self._paths(media.organization_avatar(self.row.organization_info), "avatar")

    @property
    def thumbnail(self) -> str:
        return self._paths(media.thumbnail_url(self.arxiv_id, "hf", self.row.thumbnail), "thumbnail")

    @property
    def page_url(self) -> str:
        """The paper's page on Hugging Face (its discussion is there)."""
        return f"{self._site}/papers/{self.arxiv_id}"

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
    categories_predicted: bool  # predicted from the text, shown as such until arXiv's arrive
    total_votes: int
    community_votes: int
    hf_votes: int
    comments: int  # ours
    hf: HfEntry | None = None
    voted: bool = False
    listing_day: dt.date | None = None  # shown when the paper has no submission time (arXiv listings only)
    snippet: str = ""  # search results: the engine's highlighted snippet (SafeString) or the abstract's start
    # Why a paper trends (trending only; see listings.attach_reasons):
    why: bool = False
    votes_24h: int = 0
    votes_7d: int = 0
    first_featured: dt.date | None = None
    featured_days_ago: int | None = None
    explain: str = ""  # the score's own numbers (rank.trending.explain), on trending
    submitted_here: list[str] = field(default_factory=list)  # who submitted it on this site
    saved: bool = False  # in the viewer's default collection (the save button; not in the cached body)
    vote_url: str = ""
    save_url: str = ""
    save_confirm_url: str = ""  # the logged-out save link: log in, then this page completes the save
    abstract: str = ""  # library pages: the abstract, shown on demand (a <details>)
    item: object = None  # library pages: the page's own record for the paper (not in the cached body)

    def __getitem__(self, name: str):
        # Django's templates try card[name] before card.name: answering it spares a raised TypeError on
        # each of a page's few hundred lookups.
        try:
            return getattr(self, name)
        except AttributeError:
            raise KeyError(name) from None

    @property
    def url(self) -> str:
        # A property: the cached card body needs it only when it is rendered afresh.
        return reverse("web:paper", args=[self.arxiv_id])

    @property
    def more_authors(self) -> bool:
        return len(self.authors) > 3

    @property
    def keywords(self) -> list[str]:
        """The card's share of Hugging Face's AI keywords (the paper page shows them all)."""
        return self.hf.ai_keywords[:CARD_KEYWORDS] if self.hf else []

    @property
    def fingerprint(self) -> str:
        """A hash of every value the card's cached body shows (all but ``voted``, which the vote button
        shows), with the settings that shape its links, after the paper's id.

        Python's own hash: the cache it keys lives in this process, as the hash's seed does; only two
        versions of one paper's card could collide, at odds of about one in 2**64. (A blake2 digest of
        the values' repr() cost a tenth of an uncached trending page.)"""
        values = (
            self.arxiv_id,
            self.title,
            tuple(self.authors),
            self.first_submitted,
            self.listing_day,
            tuple(self.categories),
            self.categories_predicted,
            self.total_votes,
            self.community_votes,
            self.hf_votes,
            self.comments,
            _frozen(self.hf.row) if self.hf else None,
            self.snippet,
            self.abstract,
            self.why,
            self.votes_24h,
            self.votes_7d,
            self.first_featured,
            self.featured_days_ago,
            self.explain,
            tuple(self.submitted_here),
            settings.CONFIG["DAILYPAPERS_HF_SITE_URL"],
            settings.CONFIG["DAILYPAPERS_HF_THUMBNAIL_URL"],
        )
        try:
            digest = hash(values)
        except TypeError:  # a JSON column holding something nested: its repr() stands in
            digest = hash(repr(values))
        return f"{self.arxiv_id}:{digest:x}"


def _frozen(row: CardEntry) -> CardEntry:
    """An entry row with its two JSON columns (a dict, a list) made hashable."""
    return row._replace(organization_info=repr(row.organization_info), ai_keywords=tuple(row.ai_keywords or ()))


def hf_entries(
    papers: list[ListedPaper | Paper],
    period: tuple[dt.date, dt.date] | None = None,
    submitted_here: dict[int, list[str]] | None = None,
) -> dict[int, HfEntry]:
    """Each paper's Hugging Face entry: its latest in ``period`` (start, end), else its latest (one query).

    ``submitted_here`` collects, per paper, who submitted it on this site (community entries)."""
    ids = {p.pk: p.arxiv_id for p in papers}
    if not ids:
        return {}
    read = [getattr(p, "entry_rows", None) for p in papers]
    if period is None and all(rows is not None for rows in read):
        rows = [row for paper_rows in read for row in paper_rows]  # read already (listings.attach_reasons)
    else:
        rows = entry_rows(list(ids), period)
    latest: dict[int, CardEntry] = {}
    for values in rows:  # by date: the latest overwrites the older
        if values.source == "hf":
            latest[values.paper_id] = values
        elif submitted_here is not None and values.submitted_by:
            submitted_here.setdefault(values.paper_id, []).append(values.submitted_by)
    site = settings.CONFIG["DAILYPAPERS_HF_SITE_URL"].rstrip("/")
    paths = MediaPaths()
    found = {paper_id: HfEntry(values, ids[paper_id], paths, site) for paper_id, values in latest.items()}
    return found


class _Paths:
    """A card's per-paper URLs: reverse() once per page with a placeholder id, then the id put in its place
    (arXiv ids are path-safe: digits, letters, '.', '-' and '/'). Per card, reverse() was a tenth of a render."""

    _ID = "0000.00000"

    def __init__(self) -> None:
        self.parts = {
            name: reverse(name, args=[self._ID]).split(self._ID)
            for name in ("web:vote", "library:save", "library:save_confirm")
        }

    def __call__(self, name: str, arxiv_id: str) -> str:
        head, tail = self.parts[name]
        return head + arxiv_id + tail


# Rendered card bodies by fingerprint, in this process. Not a Django cache: those pickle every value
# and check every key, which for a page of 30 cards cost more than the rest of reading them. The
# values are immutable strings and a fingerprint is never reused for other content, so nothing
# needs expiring but the oldest.
_BODIES = Newest(5000)


def card_bodies(cards: list[PaperCard]) -> list[SafeString]:
    """The cached body of each card (web/_card_body.html), in order; the missed ones are rendered and
    kept. Keyed by PaperCard.fingerprint, a hash of every value the body shows, so a changed value is a
    new key (the old one ages out)."""
    keys = [card.fingerprint for card in cards]
    bodies = [_BODIES.get(key) for key in keys]
    if None in bodies:
        template = get_template("web/_card_body.html")
        search_url = reverse("web:search")
        missed = {}
        for index, (key, card) in enumerate(zip(keys, cards)):
            if bodies[index] is None:
                bodies[index] = missed[key] = str(template.render({"card": card, "search_url": search_url}))
        _BODIES.put(missed)
    return [mark_safe(body) for body in bodies]


def paper_cards(
    papers: Iterable[ListedPaper | Paper],
    voted: set[int] = frozenset(),
    *,
    why: bool = False,
    snippet: bool = False,
    saved: set[int] = frozenset(),
    period: tuple[dt.date, dt.date] | None = None,
) -> list[PaperCard]:
    """Cards for listings' papers, or Papers from listings.with_stats() (``why``: listings.attach_reasons())."""
    papers = list(papers)
    submitted_here: dict[int, list[str]] = {}
    entries = hf_entries(papers, period, submitted_here)
    cards = []
    paths = _Paths()
    for paper in papers:
        community, hf_votes, comments = counts(paper)
        hf = entries.get(paper.pk)
        cards.append(
            PaperCard(
                arxiv_id=paper.arxiv_id,
                anchor=slugify(paper.arxiv_id),
                title=paper.title,
                authors=paper.authors,
                first_submitted=paper.first_submitted,
                # Papers known only from an arXiv listing have no submission time: their listing day.
                listing_day=getattr(paper, "announced", None),
                categories=paper.category_list[:3],
                categories_predicted=getattr(paper, "categories_predicted", False),
                total_votes=community + hf_votes,
                community_votes=community,
                hf_votes=hf_votes,
                comments=comments,
                hf=hf,
                submitted_here=submitted_here.get(paper.pk, []),
                voted=paper.pk in voted,
                saved=paper.pk in saved,
                vote_url=paths("web:vote", paper.arxiv_id),
                save_url=paths("library:save", paper.arxiv_id),
                save_confirm_url=paths("library:save_confirm", paper.arxiv_id),
                # Search results bring a highlighted snippet (SafeString, escaped by the engine).
                snippet=(
                    getattr(paper, "snippet_html", "")
                    or Truncator(latex.outside_math(paper.abstract)).chars(SNIPPET_CHARS)
                )
                if snippet
                else "",
                why=why,
                votes_24h=getattr(paper, "votes_24h", 0),
                votes_7d=getattr(paper, "votes_7d", 0),
                first_featured=getattr(paper, "first_featured", None),
                featured_days_ago=getattr(paper, "featured_days_ago", None),
                explain=getattr(paper, "why", "") if why else "",
            )
        )
    return cards

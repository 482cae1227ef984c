"""What a paper card shows, computed once per page in plain Python.

Rendering 30 cards through ``{% include %}`` and a dozen filters each cost ~13 ms of a
24 ms /trending render (the uncached page is what logged-in users always get), so list
pages build one small record per card here and web/templatetags/cards.py writes the
markup. Values here are plain text, which the markup side escapes, except a search snippet
the engine has already escaped and marked safe.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import quote

from django.urls import reverse
from django.utils import timezone
from django.utils.text import Truncator, slugify

from dailypapers.store.models import Paper
from dailypapers.web.services.listings import ListedPaper, counts

SNIPPET_CHARS = 300
# English month abbreviations, as the templates' date:"M j, Y" printed them (LANGUAGE_CODE is en-us).
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# What Django's reverse() leaves unquoted in a path (django.urls.resolvers._reverse_with_prefix).
_PATH_SAFE = "!$&'()*+,;=/~:@"


def s(count: int) -> str:
    """The plural suffix, as the ``pluralize`` filter writes it."""
    return "" if count == 1 else "s"


def short_date(value: dt.date | dt.datetime | None) -> str:
    """``Jan 2, 2025`` (the templates' ``date:"M j, Y"``), in the current time zone."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
    return f"{_MONTHS[value.month - 1]} {value.day}, {value.year}"


def iso_datetime(value: dt.datetime | None) -> str:
    """The templates' ``date:'c'``: ISO 8601 in the current time zone."""
    if value is None:
        return ""
    return (timezone.localtime(value) if timezone.is_aware(value) else value).isoformat()


def _iso_day(value: dt.date | None) -> str:
    return value.isoformat() if value else ""


class PaperUrls:
    """reverse() for the paper routes at the cost of one reverse() per page, not two per card.

    The routes are ``papers/<id>`` and ``papers/<id>/vote``; the id is quoted as reverse() does
    (a test compares the two on new- and old-style ids).
    """

    def __init__(self) -> None:
        self.prefix = reverse("web:paper", args=["0"])[:-1]

    def paper(self, arxiv_id: str) -> str:
        return self.prefix + quote(arxiv_id, safe=_PATH_SAFE)

    def vote(self, arxiv_id: str) -> str:
        return self.paper(arxiv_id) + "/vote"


@dataclass(slots=True)
class PaperCard:
    """One paper as a list shows it; every field is plain text or a number."""

    arxiv_id: str
    anchor: str  # the card's id attribute
    url: str
    vote_url: str
    title: str
    authors: str  # "3 authors: A, B, C et al."
    date_iso: str
    date_text: str
    categories: list[tuple[str, str]]  # (name, url-encoded name), at most three
    total_votes: int
    community_votes: int
    hf_votes: int
    comments: int
    submitted_by: list[str]  # per featured entry in the listed period
    voted: bool = False
    snippet: str = ""  # search results: the engine's highlighted snippet (SafeString) or the abstract's start
    why: str = ""


def _authors(names: list[str]) -> str:
    text = f"{len(names)} author{s(len(names))}"
    if names:
        text += ": " + ", ".join(names[:3]) + (" et al." if len(names) > 3 else "")
    return text


def _why(paper: ListedPaper) -> str:
    text = f"Why here: {paper.votes_24h} vote{s(paper.votes_24h)} in the last 24 h, {paper.votes_7d} in 7 days"
    if paper.first_featured:
        days = paper.featured_days_ago
        text += f", featured {short_date(paper.first_featured)} ({days} day{s(days)} ago)"
    hf = counts(paper)[1]
    if hf:
        text += f", {hf} Hugging Face vote{s(hf)} (weighted)"
    return text + "."


def paper_cards(papers: Iterable[ListedPaper | Paper], voted: set[int] = frozenset(), *, why: bool = False,
                snippet: bool = False, urls: PaperUrls | None = None) -> list[PaperCard]:
    """Cards for listings' papers, or Papers from listings.with_stats() (``why``: listings.attach_reasons())."""
    urls = urls or PaperUrls()
    cards = []
    for paper in papers:
        community, hf, comments = counts(paper)
        url = urls.paper(paper.arxiv_id)
        cards.append(PaperCard(
            arxiv_id=paper.arxiv_id, anchor=slugify(paper.arxiv_id), url=url, vote_url=url + "/vote",
            title=paper.title, authors=_authors(paper.authors),
            # Papers known only from an arXiv listing have no submission time: their listing day.
            date_iso=iso_datetime(paper.first_submitted) if paper.first_submitted else _iso_day(getattr(paper, "announced", None)),
            date_text=short_date(paper.first_submitted or getattr(paper, "announced", None)),
            categories=[(c, quote(c, safe="/")) for c in paper.category_list[:3]],
            total_votes=community + hf,
            community_votes=community, hf_votes=hf, comments=comments,
            submitted_by=[e.submitted_by for e in getattr(paper, "period_entries", ()) if e.submitted_by],
            voted=paper.pk in voted,
            # Search results bring a highlighted snippet (SafeString, escaped by the engine).
            snippet=(getattr(paper, "snippet_html", "") or Truncator(paper.abstract).chars(SNIPPET_CHARS)) if snippet else "",
            why=_why(paper) if why else "",
        ))
    return cards

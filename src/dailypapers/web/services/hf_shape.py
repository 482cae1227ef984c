"""Our papers in the item shape of Hugging Face's /api/daily_papers, so its clients work against us.

``upvotes`` is the total a client should sort by (our votes + imported Hugging Face votes);
``communityUpvotes`` and ``hfUpvotes`` give the two parts separately.
"""

from __future__ import annotations

import datetime as dt

from dailypapers.store.models import DailyEntry, Paper
from dailypapers.web.services.listings import ListedEntry, ListedPaper, counts

AnyPaper = Paper | ListedPaper
AnyEntry = DailyEntry | ListedEntry


def _iso(value: dt.datetime | dt.date | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return f"{value.isoformat()}T00:00:00.000Z"


def paper_item(paper: AnyPaper, entry: AnyEntry | None = None) -> dict:
    """The ``paper`` object of an item (also the answer of GET /api/papers/{id})."""
    community, hf, _ = counts(paper)
    return {
        "id": paper.arxiv_id,
        "authors": [{"name": name, "hidden": False} for name in paper.authors],
        "publishedAt": _iso(paper.first_submitted or paper.announced),
        "submittedOnDailyAt": _iso(entry.date) if entry else None,
        "title": paper.title,
        "summary": paper.abstract,
        "upvotes": community + hf,
        "communityUpvotes": community,
        "hfUpvotes": hf,
        "discussionId": str(paper.pk),
        "ai_summary": entry.ai_summary if entry and entry.ai_summary else None,
        "ai_keywords": entry.ai_keywords if entry and entry.ai_keywords else None,
        "githubRepo": entry.github_repo if entry and entry.github_repo else None,
        "githubStars": entry.github_stars if entry else None,
        "projectPage": entry.project_page if entry and entry.project_page else None,
        "organization": {"name": entry.organization} if entry and entry.organization else None,
        "categories": paper.category_list,
    }


def daily_item(paper: AnyPaper, entry: AnyEntry | None = None) -> dict:
    """One element of /api/daily_papers (and /api/papers/search)."""
    _, _, comments = counts(paper)
    submitter = entry.submitted_by if entry else ""
    return {
        "paper": paper_item(paper, entry),
        "publishedAt": _iso(entry.date if entry else paper.first_submitted),
        "title": paper.title,
        "summary": paper.abstract,
        "thumbnail": None,
        "numComments": comments,
        "submittedBy": {"name": submitter, "fullname": submitter, "type": "user"} if submitter else None,
        "isAuthorParticipating": False,
    }


def first_entry(paper: AnyPaper) -> AnyEntry | None:
    """The first of the entries a listing attached as ``period_entries`` (in its period), if any."""
    entries = getattr(paper, "period_entries", None)
    return entries[0] if entries else None

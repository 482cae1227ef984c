"""Our papers in the item shape of Hugging Face's /api/daily_papers, so its clients work against us.

Every field Hugging Face gave for an entry is written back at the path it came from
(docs/hf-fields.md). Counts add our community's to Hugging Face's:

* ``paper.upvotes`` = the entry's Hugging Face upvotes + our votes (what a client sorts by);
  ``paper.hfUpvotes`` and ``paper.communityUpvotes`` are the two parts;
* ``numComments`` = Hugging Face's comment count + ours; ``hfNumComments`` and
  ``communityNumComments`` are the parts.

The extra keys are camelCase like Hugging Face's; huggingface_hub keeps unknown keys as
attributes, so they do not break it.
"""

from __future__ import annotations

import datetime as dt

from dailypapers.lists.listings import ListedEntry, ListedPaper, counts
from dailypapers.store.models import DailyEntry, Paper

AnyPaper = Paper | ListedPaper
AnyEntry = DailyEntry | ListedEntry


def _iso(value: dt.datetime | dt.date | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return f"{value.isoformat()}T00:00:00.000Z"


def _hf(entry: AnyEntry | None, name: str, default=None):
    """A Hugging Face field of the entry; ListedEntry (the cards' rows) has only some of them."""
    value = getattr(entry, name, None) if entry is not None else None
    return default if value in (None, "", [], {}) else value


def _extra(entry: AnyEntry | None, part: str) -> dict:
    extra = _hf(entry, "extra", {})
    return extra.get(part) or {} if isinstance(extra, dict) else {}


def _authors(paper: AnyPaper, entry: AnyEntry | None) -> list[dict]:
    recorded = _hf(entry, "hf_authors")
    if recorded and len(recorded) == len(paper.authors):
        return recorded
    return [{"name": name, "hidden": False} for name in paper.authors]


def _organization(entry: AnyEntry | None) -> dict | None:
    info = _hf(entry, "organization_info")
    if info:
        return info
    name = _hf(entry, "organization")
    return {"name": name, "fullname": name} if name else None


def paper_item(paper: AnyPaper, entry: AnyEntry | None = None) -> dict:
    """The ``paper`` object of an item (also the answer of GET /api/papers/{id})."""
    community, best_hf, _ = counts(paper)
    # A Hugging Face entry carries the upvotes seen for that day; without one, the paper's best.
    seen = getattr(entry, "upvotes", None) if getattr(entry, "source", "") == "hf" else None
    hf = best_hf if seen is None else seen
    item = {
        "id": paper.arxiv_id,
        "authors": _authors(paper, entry),
        "publishedAt": _iso(_hf(entry, "published_at") or paper.first_submitted or paper.announced),
        "submittedOnDailyAt": _iso(_hf(entry, "submitted_on_daily_at") or (entry.date if entry else None)),
        "title": paper.title,
        "submittedOnDailyBy": _hf(entry, "submitted_on_daily_by") or _user(entry),
        "summary": paper.abstract,
        "upvotes": community + hf,
        "discussionId": _hf(entry, "discussion_id") or str(paper.pk),
        "projectPage": _hf(entry, "project_page"),
        "githubRepo": _hf(entry, "github_repo"),
        "githubRepoAddedBy": _hf(entry, "github_repo_added_by"),
        "ai_summary": _hf(entry, "ai_summary"),
        "ai_keywords": _hf(entry, "ai_keywords"),
        "ai_summary_model": _hf(entry, "ai_summary_model"),
        "githubStars": entry.github_stars if entry is not None else None,
        "organization": _organization(entry),
        **_extra(entry, "paper"),
        # Ours:
        "numComments": _comments(paper, entry),
        "communityUpvotes": community,
        "hfUpvotes": hf,
        "categories": paper.category_list,
        "categoriesPredicted": bool(getattr(paper, "categories_predicted", False)),
    }
    return item


def _comments(paper: AnyPaper, entry: AnyEntry | None) -> int:
    _, _, community_comments = counts(paper)
    return _hf_comments(entry) + community_comments


def _hf_comments(entry: AnyEntry | None) -> int:
    return (getattr(entry, "num_comments", 0) or 0) if getattr(entry, "source", "") == "hf" else 0


def _user(entry: AnyEntry | None) -> dict | None:
    """submittedOnDailyBy for an entry that did not record one (ours, or HF's older shape)."""
    username = _hf(entry, "submitted_by")
    if not username:
        return None
    return {
        "name": username,
        "user": username,
        "fullname": _hf(entry, "submitter_fullname", username),
        "avatarUrl": _hf(entry, "submitter_avatar"),
        "type": "user",
    }


def _submitter(entry: AnyEntry | None) -> dict | None:
    info = _hf(entry, "submitter_info")
    username = _hf(entry, "submitted_by")
    if info:
        return {**info, "name": username or info.get("name")}
    if not username:
        return None
    return {
        "name": username,
        "fullname": _hf(entry, "submitter_fullname", username),
        "avatarUrl": _hf(entry, "submitter_avatar"),
        "type": "user",
    }


# Paper fields also sent at the top of an item: huggingface_hub's PaperInfo reads them there
# (list_daily_papers and list_papers results would have them empty otherwise).
_LIFTED = ("submittedOnDailyAt", "ai_summary", "ai_keywords", "githubRepo", "githubStars", "projectPage")


def daily_item(paper: AnyPaper, entry: AnyEntry | None = None) -> dict:
    """One element of /api/daily_papers (and /api/papers/search)."""
    _, _, community_comments = counts(paper)
    hf_comments = _hf_comments(entry)
    inner = paper_item(paper, entry)
    item = {
        "paper": inner,
        "publishedAt": _iso(_hf(entry, "listed_at") or (entry.date if entry else paper.first_submitted)),
        "title": paper.title,
        "summary": paper.abstract,
        "thumbnail": _hf(entry, "thumbnail"),
        "numComments": hf_comments + community_comments,
        "submittedBy": _submitter(entry),
        "isAuthorParticipating": bool(_hf(entry, "is_author_participating", False)),
        "organization": _organization(entry),
        "mediaUrls": _hf(entry, "media_urls"),
        "submitterOrganization": _hf(entry, "submitter_organization"),
        **_extra(entry, "entry"),
        # Ours:
        **{name: inner[name] for name in _LIFTED},
        "hfNumComments": hf_comments,
        "communityNumComments": community_comments,
    }
    return item

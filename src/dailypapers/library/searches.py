"""Saved searches: one query (words, categories, author, dates, sort, mode) kept by name, run on demand.

New matches are the papers we stored after the reader last marked the search seen (a POST:
GET never writes).
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from dailypapers.library.models import SavedSearch
from dailypapers.lists import search_requests
from dailypapers.search import rules
from dailypapers.store.visibility import shown_papers


@dataclass
class Run:
    papers: list
    total: int
    new_ids: set[int]
    error: str = ""
    new_papers: list = field(default_factory=list)  # matches stored since the reader last looked (run(new=True))
    new_total: int = 0


def save(user, name: str, params: Mapping[str, str]) -> SavedSearch:
    """Keep the search ``params`` asks for (the search page's q, category, author, from, to, sort,
    mode), read by the search page's own rules, so the saved search finds what the page found."""
    wanted = search_requests.parse_request(params)
    if wanted.error:
        raise ValidationError(wanted.error)
    query = wanted.query[:500]
    if not query:
        raise ValidationError("A saved search needs some words to search for.")
    name = " ".join((name or query).split())[:200]
    f = wanted.filters
    category, author = " ".join(f.categories), f.authors[0] if f.authors else ""
    for label, value in (("category", category), ("author", author)):
        if len(value) > SavedSearch._meta.get_field(label).max_length:
            raise ValidationError(f"The {label} filter is too long to save.")
    try:
        with transaction.atomic():
            return SavedSearch.objects.create(
                user=user,
                name=name,
                query=query,
                category=category,
                author=author,
                date_from=f.date_from,
                date_to=f.date_to,
                sort=wanted.sort,
                mode=wanted.mode,
                feed_token=secrets.token_urlsafe(24),
                seen_at=timezone.now(),
            )
    except IntegrityError:
        raise ValidationError(f"You already have a saved search named “{name}”.") from None


def request(saved: SavedSearch) -> search_requests.SearchRequest:
    """The saved search as the search page would read it from its own link: one rule for both."""
    return search_requests.parse_request(search_url_params(saved))


def _stored_since(since: dt.datetime | None) -> list[str]:
    """arXiv ids of the shown papers stored after ``since`` (all of them for None), newest first."""
    rows = shown_papers()
    if since is not None:
        rows = rows.filter(created_at__gt=since)
    return list(rows.order_by("-created_at", "-id").values_list("arxiv_id", flat=True))


def new_matches(saved: SavedSearch, since: dt.datetime | None, limit: int = 50) -> search_requests.SearchPage:
    """The matches stored after ``since``, however low they rank among all matches; all counted."""
    return search_requests.matches_among(request(saved), _stored_since(since), limit, reader=saved.user)


def run(saved: SavedSearch, limit: int = 50, offset: int = 0, new: bool = False) -> Run:
    """One page of the saved search's matches; ``new`` also finds every match stored since the reader
    last looked (``new_ids``, ``new_total``), not only those on this page."""
    try:
        page = search_requests.run(request(saved), limit, offset, reader=saved.user)
        fresh = new_matches(saved, saved.seen_at, limit) if new and saved.seen_at is not None else None
    except rules.QueryError as exc:
        return Run([], 0, set(), str(exc))
    # Page, feed (fetched by the owner's private token) and JSON all show the owner's run: without what
    # the owner marked not interested.
    papers, total = page.papers, page.total
    new_ids = {p.pk for p in papers if saved.seen_at is None or p.created_at > saved.seen_at}
    if fresh is None:
        return Run(papers, total, new_ids)
    return Run(papers, total, new_ids | {p.pk for p in fresh.papers}, new_papers=fresh.papers, new_total=fresh.total)


def mark_seen(saved: SavedSearch) -> None:
    saved.seen_at = timezone.now()
    saved.save(update_fields=["seen_at"])


def search_url_params(saved: SavedSearch) -> dict[str, str]:
    params = {"q": saved.query, "sort": saved.sort}
    if saved.mode and saved.mode != "auto":
        params["mode"] = saved.mode
    if saved.category:
        params["category"] = saved.category
    if saved.author:
        params["author"] = saved.author
    if saved.date_from:
        params["from"] = saved.date_from.isoformat()
    if saved.date_to:
        params["to"] = saved.date_to.isoformat()
    return params

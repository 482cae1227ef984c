"""Saved searches: one query (words, category, dates, sort) kept by name, run on demand.

New matches are the papers we stored after the reader last marked the search seen (a POST:
GET never writes).
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from dailypapers.library.models import SavedSearch
from dailypapers.search import rules
from dailypapers.web import search_adapter
from dailypapers.web.services.listings import clean_category


@dataclass
class Run:
    papers: list
    total: int
    new_ids: set[int]
    error: str = ""


def _date(value) -> dt.date | None:
    if not value:
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ValidationError(f"“{value}” is not a date (YYYY-MM-DD).") from None


def save(
    user, name: str, query: str, category: str = "", date_from=None, date_to=None, sort: str = "relevance"
) -> SavedSearch:
    name = " ".join((name or query or "").split())[:200]
    query = (query or "").strip()[:500]
    if not query:
        raise ValidationError("A saved search needs some words to search for.")
    if sort not in search_adapter.SORTS:
        raise ValidationError(f"Unknown sort “{sort}”: use relevance, newest or votes.")
    try:
        with transaction.atomic():
            return SavedSearch.objects.create(
                user=user,
                name=name,
                query=query,
                category=clean_category(category),
                date_from=_date(date_from),
                date_to=_date(date_to),
                sort=sort,
                feed_token=secrets.token_urlsafe(24),
                seen_at=timezone.now(),
            )
    except IntegrityError:
        raise ValidationError(f"You already have a saved search named “{name}”.") from None


def run(saved: SavedSearch, limit: int = 50, offset: int = 0) -> Run:
    filters = search_adapter.SearchFilters(
        categories=(saved.category,) if saved.category else (), date_from=saved.date_from, date_to=saved.date_to
    )
    try:
        wanted = search_adapter.SearchRequest(query=saved.query, filters=filters, sort=rules.check_sort(saved.sort))
        page = search_adapter.run(wanted, limit, offset, reader=saved.user)
    except (search_adapter.SearchError, rules.QueryError) as exc:
        return Run([], 0, set(), str(exc))
    # Page, feed (fetched by the owner's private token) and JSON all show the owner's run: without what
    # the owner marked not interested.
    papers, total = page.papers, page.total
    new = {p.pk for p in papers if saved.seen_at is None or p.created_at > saved.seen_at}
    return Run(papers, total, new)


def mark_seen(saved: SavedSearch) -> None:
    saved.seen_at = timezone.now()
    saved.save(update_fields=["seen_at"])


def search_url_params(saved: SavedSearch) -> dict[str, str]:
    params = {"q": saved.query, "sort": saved.sort}
    if saved.category:
        params["category"] = saved.category
    if saved.date_from:
        params["from"] = saved.date_from.isoformat()
    if saved.date_to:
        params["to"] = saved.date_to.isoformat()
    return params

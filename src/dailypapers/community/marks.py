"""A reader's marks on papers besides votes and saves: "not interested" and read.

Every list leaves out what a reader marked not interested (dailypapers.lists.listings.for_reader)."""

from __future__ import annotations

from django.utils import timezone

from dailypapers.community.models import ReaderMark
from dailypapers.store.models import Paper


def set_not_interested(user, paper: Paper, value: bool) -> None:
    ReaderMark.objects.update_or_create(user=user, paper=paper, defaults={"not_interested": value})


def mark_read(user, paper: Paper, value: bool = True) -> None:
    """Opened or marked read (value False marks it unread again).

    ``updated_at`` is set by hand: ``update()`` skips auto_now, and For you's cache key
    (foryou.taste_version) must change when a paper is marked read or unread."""
    now = timezone.now()
    if value:
        updated = ReaderMark.objects.filter(user=user, paper=paper, read_at__isnull=True).update(
            read_at=now, updated_at=now
        )
        if not updated:
            ReaderMark.objects.get_or_create(user=user, paper=paper, defaults={"read_at": now})
    else:
        ReaderMark.objects.filter(user=user, paper=paper, read_at__isnull=False).update(read_at=None, updated_at=now)


def mark_for(user, paper: Paper) -> ReaderMark | None:
    if not user.is_authenticated:
        return None
    return ReaderMark.objects.filter(user=user, paper=paper).first()


def not_interested_rows(user):
    """The ids of the papers ``user`` marked not interested, as a query (a subquery in a list's own)."""
    return ReaderMark.objects.filter(user=user, not_interested=True).values_list("paper_id", flat=True)


def without_not_interested(user, papers: list) -> list:
    """The papers (anything with ``pk``) minus those the reader marked not interested: one query."""
    if not user.is_authenticated or not papers:
        return papers
    hidden = set(not_interested_rows(user).filter(paper_id__in=[p.pk for p in papers]))
    return [p for p in papers if p.pk not in hidden] if hidden else papers

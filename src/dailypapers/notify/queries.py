"""The one read layer for notifications and follows: the page, the header count, the feed and the API."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone

from dailypapers.notify.models import Follow, Notification

PAGE_SIZE = 50


def unread_count(user) -> int:
    if not user.is_authenticated:
        return 0
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def notifications(user, unread_only: bool = False) -> QuerySet[Notification]:
    found = Notification.objects.filter(recipient=user)
    return found.filter(read_at__isnull=True) if unread_only else found


def page(user, number: int, size: int = PAGE_SIZE) -> tuple[list[Notification], bool]:
    """One page, newest first, and whether there is a next one (one query: a row more than shown)."""
    rows = list(notifications(user)[number * size : (number + 1) * size + 1])
    return rows[:size], len(rows) > size


def mark_read(user, ids: list[int] | None = None) -> int:
    """Mark these (or all) of the reader's unread notifications read; how many changed."""
    found = notifications(user, unread_only=True)
    if ids is not None:
        found = found.filter(pk__in=ids)
    return found.update(read_at=timezone.now())


def follows(user) -> QuerySet[Follow]:
    return Follow.objects.filter(user=user)

"""Moderators' decisions about papers, as store writes (the feed tells the search indexes)."""

from __future__ import annotations

from django.db import transaction

from dailypapers.store import changes
from dailypapers.store.models import Paper, PaperChange


def set_paper_hidden(paper_id: int, hidden: bool) -> bool:
    """Hide a paper from every list, feed, search and digest (or show it again); True if it changed."""
    with transaction.atomic():
        changes.begin_write()
        arxiv_id = Paper.objects.filter(pk=paper_id).values_list("arxiv_id", flat=True).first()
        if arxiv_id is None:
            raise Paper.DoesNotExist(f"no paper with id {paper_id}")
        with changes.paper_writes():
            moved = Paper.objects.filter(pk=paper_id).exclude(hidden=hidden).update(hidden=hidden)
        if moved:
            changes.record([(paper_id, arxiv_id)], PaperChange.HIDDEN)
    return bool(moved)

"""Moderators hide papers (they leave every list, feed, search and digest: store.visibility)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction

from dailypapers.store import moderation as store_moderation
from dailypapers.store.models import Paper
from dailypapers.web.models import PaperModeration


def set_paper_hidden(moderator, paper: Paper, hidden: bool, reason: str = "") -> None:
    """Hide or show a paper; the decision and its reason are kept in PaperModeration."""
    if not moderator.has_perm("web.moderate"):
        raise PermissionDenied("Only moderators can hide papers.")
    with transaction.atomic():
        store_moderation.set_paper_hidden(paper.pk, hidden)
        PaperModeration.objects.update_or_create(paper=paper, defaults={"hidden": hidden, "reason": reason})
    paper.hidden = hidden

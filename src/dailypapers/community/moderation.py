"""Moderators hide papers (they leave every list, feed, search and digest: store.visibility)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from dailypapers.community.models import PaperModeration
from dailypapers.store import moderation as store_moderation
from dailypapers.store.models import Paper


def set_paper_hidden(moderator, paper: Paper, hidden: bool, reason: str = "") -> None:
    """Hide or show a paper; the decision and its reason are kept in PaperModeration."""
    if not moderator.has_perm("community.moderate"):
        raise PermissionDenied("Only moderators can hide papers.")
    reason = (reason or "").strip()
    limit = PaperModeration._meta.get_field("reason").max_length
    if len(reason) > limit or "\x00" in reason:  # PostgreSQL would refuse either with a 500
        raise ValidationError(f"A reason can be at most {limit} characters, without NUL characters.")
    with transaction.atomic():
        store_moderation.set_paper_hidden(paper.pk, hidden)
        PaperModeration.objects.update_or_create(paper=paper, defaults={"hidden": hidden, "reason": reason})
    paper.hidden = hidden

"""Moderators hide papers (they leave every list, feed and API answer)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError

from dailypapers.store.models import Paper
from dailypapers.web.models import PaperModeration


def set_paper_hidden(moderator, paper: Paper, hidden: bool, reason: str = "") -> None:
    if not moderator.has_perm("web.moderate"):
        raise PermissionDenied("Only moderators can hide papers.")
    reason = (reason or "").strip()
    limit = PaperModeration._meta.get_field("reason").max_length
    if len(reason) > limit or "\x00" in reason:  # PostgreSQL would refuse either with a 500
        raise ValidationError(f"A reason can be at most {limit} characters, without NUL characters.")
    PaperModeration.objects.update_or_create(paper=paper, defaults={"hidden": hidden, "reason": reason})

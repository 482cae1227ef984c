"""Per-paper signals besides votes and saves: "not interested" and read status; interests."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils import timezone

from dailypapers.library.models import Interests, PaperSignal
from dailypapers.store.models import Paper

_CATEGORY = re.compile(r"^[a-z-]+(\.[A-Za-z-]+)?$")


def set_not_interested(user, paper: Paper, value: bool) -> None:
    PaperSignal.objects.update_or_create(user=user, paper=paper, defaults={"not_interested": value})


def mark_read(user, paper: Paper, value: bool = True) -> None:
    """Opened or marked read (value False marks it unread again)."""
    if value:
        updated = PaperSignal.objects.filter(user=user, paper=paper, read_at__isnull=True).update(
            read_at=timezone.now())
        if not updated:
            PaperSignal.objects.get_or_create(user=user, paper=paper, defaults={"read_at": timezone.now()})
    else:
        PaperSignal.objects.filter(user=user, paper=paper).update(read_at=None)


def not_interested_ids(user) -> set[int]:
    if not user.is_authenticated:
        return set()
    return set(PaperSignal.objects.filter(user=user, not_interested=True).values_list("paper_id", flat=True))


def read_ids(user) -> set[int]:
    if not user.is_authenticated:
        return set()
    return set(PaperSignal.objects.filter(user=user, read_at__isnull=False).values_list("paper_id", flat=True))


def signal_for(user, paper: Paper) -> PaperSignal | None:
    if not user.is_authenticated:
        return None
    return PaperSignal.objects.filter(user=user, paper=paper).first()


def interests_of(user) -> Interests:
    found = Interests.objects.filter(user=user).first()
    return found or Interests(user=user)


def set_interests(user, categories: str, keywords: str) -> Interests:
    """Categories (cs.LG, stat.ML, ...) and keywords, each separated by commas or spaces for categories."""
    cats = [c for c in re.split(r"[\s,]+", categories or "") if c]
    bad = [c for c in cats if not _CATEGORY.match(c)]
    if bad:
        raise ValidationError(f"“{bad[0]}” is not an arXiv category (like cs.LG or stat.ML).")
    words = [w.strip() for w in (keywords or "").split(",") if w.strip()]
    if len(cats) > 50 or len(words) > 50:
        raise ValidationError("Choose at most 50 categories and 50 keywords.")
    interests, _ = Interests.objects.update_or_create(user=user, defaults={
        "categories": list(dict.fromkeys(cats)), "keywords": list(dict.fromkeys(words))})
    return interests


def without_not_interested(user, papers: list) -> list:
    """The papers (anything with ``pk``) minus those the reader marked not interested: one query."""
    if not user.is_authenticated or not papers:
        return papers
    hidden = set(PaperSignal.objects.filter(user=user, not_interested=True, paper_id__in=[p.pk for p in papers])
                 .values_list("paper_id", flat=True))
    return [p for p in papers if p.pk not in hidden] if hidden else papers

"""Per-paper signals besides votes and saves: "not interested" and read status; interests."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils import timezone

from dailypapers.library.models import Interests, PaperSignal
from dailypapers.search import rules
from dailypapers.search.service import known_categories
from dailypapers.store.models import Paper


def set_not_interested(user, paper: Paper, value: bool) -> None:
    PaperSignal.objects.update_or_create(user=user, paper=paper, defaults={"not_interested": value})


def mark_read(user, paper: Paper, value: bool = True) -> None:
    """Opened or marked read (value False marks it unread again).

    ``updated_at`` is set by hand: ``update()`` skips auto_now, and For you's cache key
    (foryou.signals_version) must change when a paper is marked read or unread."""
    now = timezone.now()
    if value:
        updated = PaperSignal.objects.filter(user=user, paper=paper, read_at__isnull=True).update(
            read_at=now, updated_at=now
        )
        if not updated:
            PaperSignal.objects.get_or_create(user=user, paper=paper, defaults={"read_at": now})
    else:
        PaperSignal.objects.filter(user=user, paper=paper, read_at__isnull=False).update(read_at=None, updated_at=now)


def signal_for(user, paper: Paper) -> PaperSignal | None:
    if not user.is_authenticated:
        return None
    return PaperSignal.objects.filter(user=user, paper=paper).first()


def interests_of(user) -> Interests:
    found = Interests.objects.filter(user=user).first()
    return found or Interests(user=user)


def clean_interests(categories: str, keywords: str) -> tuple[list[str], list[str]]:
    """Categories (cs.LG, stat.ML, ...; commas or spaces between) by the one category rule
    (search/rules.py: a known category, in its stored spelling) and keywords (commas between);
    ValidationError says in a sentence what is wrong."""
    cats = [c for c in re.split(r"[\s,]+", categories or "") if c]
    words = [w.strip() for w in (keywords or "").split(",") if w.strip()]
    if len(cats) > 50 or len(words) > 50:
        raise ValidationError("Choose at most 50 categories and 50 keywords.")
    if any(len(w) > 100 for w in words):
        raise ValidationError("Keep each keyword under 100 characters.")
    try:
        cats = list(rules.canonical_categories(cats, known_categories(cats))) if cats else []
    except rules.QueryError as exc:
        raise ValidationError(str(exc)) from None
    return cats, list(dict.fromkeys(words))


def set_interests(user, categories: str, keywords: str) -> Interests:
    """The reader's interests, cleaned by clean_interests."""
    return keep_interests(user, *clean_interests(categories, keywords))


def keep_interests(user, categories: list[str], keywords: list[str]) -> Interests:
    """Store interests already cleaned by clean_interests (the sign-up form cleans them first)."""
    interests, _ = Interests.objects.update_or_create(
        user=user, defaults={"categories": categories, "keywords": keywords}
    )
    return interests


def not_interested_rows(user):
    """The ids of the papers ``user`` marked not interested, as a query (a subquery in a list's own)."""
    return PaperSignal.objects.filter(user=user, not_interested=True).values_list("paper_id", flat=True)


def without_not_interested(user, papers: list) -> list:
    """The papers (anything with ``pk``) minus those the reader marked not interested: one query."""
    if not user.is_authenticated or not papers:
        return papers
    hidden = set(not_interested_rows(user).filter(paper_id__in=[p.pk for p in papers]))
    return [p for p in papers if p.pk not in hidden] if hidden else papers

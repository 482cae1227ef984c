"""A reader's interests: categories and keywords they chose, for recommendations before they have
marked or saved papers."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError

from dailypapers.library.models import Interests
from dailypapers.search import rules
from dailypapers.search.service import known_categories


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

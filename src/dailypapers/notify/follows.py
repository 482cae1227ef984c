"""Following and muting: the writes behind the follow buttons, the API and the CLI."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from dailypapers.notify import models as m
from dailypapers.notify.models import Follow, Mute, Organization
from dailypapers.search.text import normalize_name
from dailypapers.store.models import Paper
from dailypapers.store.taxonomy import canonical

MAX_FOLLOWS = 500  # per reader: each new paper is matched against follows by key, never by scanning them


def target_of(kind: str, value: str) -> tuple[str, str]:
    """(key matched against new papers, label shown) for what the reader asked to follow."""
    value = (value or "").strip()
    if kind == m.AUTHOR:
        key = normalize_name(value)
        if not key:
            raise ValidationError("Give an author's name to follow.")
        return key, value[:300]
    if kind == m.ORG:
        org = Organization.objects.filter(name=value).first()
        if org is None:
            raise ValidationError(f"There is no organisation named {value[:100]!r}.")
        return org.name, str(org)[:300]
    if kind == m.CATEGORY:
        code = canonical(value)
        if code is None:
            raise ValidationError(f"{value[:100]!r} is not an arXiv category.")
        return code, code
    if kind == m.PAPER:
        paper = Paper.objects.filter(arxiv_id=value).only("arxiv_id", "title").first()
        if paper is None:
            raise ValidationError(f"There is no paper {value[:100]!r}.")
        return paper.arxiv_id, paper.title[:300]
    raise ValidationError(f"One can follow an author, an organisation, a category or a paper, not {kind[:20]!r}.")


def follow(user, kind: str, value: str) -> Follow:
    """Follow (idempotent: following twice is one follow)."""
    key, label = target_of(kind, value)
    found = Follow.objects.filter(user=user, kind=kind, target=key).first()
    if found is not None:
        return found
    if Follow.objects.filter(user=user).count() >= MAX_FOLLOWS:
        raise ValidationError(f"You can follow at most {MAX_FOLLOWS} things; unfollow some first.")
    try:
        with transaction.atomic():
            return Follow.objects.create(user=user, kind=kind, target=key, label=label)
    except IntegrityError:  # the same follow, posted twice at once
        return Follow.objects.get(user=user, kind=kind, target=key)


def unfollow(user, kind: str, value: str) -> bool:
    try:
        key, _ = target_of(kind, value)
    except ValidationError:
        key = (value or "").strip()
    return Follow.objects.filter(user=user, kind=kind, target=key).delete()[0] > 0


def is_following(user, kind: str, key: str) -> bool:
    return bool(user.is_authenticated) and Follow.objects.filter(user=user, kind=kind, target=key).exists()


def set_muted(user, paper: Paper, muted: bool) -> None:
    """A muted discussion stays muted: no reply, mention or comment notice from it until unmuted."""
    if muted:
        Mute.objects.get_or_create(user=user, paper=paper)
    else:
        Mute.objects.filter(user=user, paper=paper).delete()


def is_muted(user, paper: Paper) -> bool:
    return bool(user.is_authenticated) and Mute.objects.filter(user=user, paper=paper).exists()

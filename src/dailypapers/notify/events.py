"""The one door for telling a reader something: ``notify(recipient, kind, text=, url=, key=)``.

Other parts call it (comments here through ``comment_posted``; the groups app for invitations and
meetings). The key is unique per recipient, so an event seen twice is stored once; a notice about a
paper whose discussion the recipient muted is dropped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.urls import reverse

from dailypapers.notify import models as m
from dailypapers.notify.models import Follow, Mute, Notification

MAX_TEXT = 500
# @name as Django's usernames allow it (letters, digits, @.+-_); a trailing dot ends a sentence, not a name.
MENTION = re.compile(r"(?<![\w@])@([\w.@+-]{1,150})")


def notify(recipient, kind: str, *, text: str, url: str, key: str, paper_id: int | None = None) -> Notification | None:
    """Store one notification; None when it exists already (same key) or its paper's thread is muted."""
    if kind not in dict(m.NOTIFICATION_KINDS):
        raise ValueError(f"unknown notification kind {kind!r}")
    if paper_id is not None and Mute.objects.filter(user=recipient, paper_id=paper_id).exists():
        return None
    try:
        with transaction.atomic():  # a savepoint: a duplicate key leaves the caller's transaction usable
            return Notification.objects.create(
                recipient=recipient, kind=kind, text=text[:MAX_TEXT], url=url[:500], key=key[:200]
            )
    except IntegrityError:
        return None


def mentioned_usernames(body: str) -> set[str]:
    return {name.rstrip(".") for name in MENTION.findall(body or "")}


def comment_posted(comment, paper, author, parent=None) -> list[Notification]:
    """A new or edited comment: its parent's author (reply), the people it @mentions, and the paper's
    discussion followers each get one notice. One key per comment and recipient, so a reply that also
    mentions the parent's author, or an edit that adds a mention, never notifies anyone twice."""
    url = f"{reverse('web:paper', args=[paper.arxiv_id])}#comment-{comment.pk}"
    title = paper.title if len(paper.title) <= 120 else paper.title[:119] + "…"
    who = author.get_username()
    recipients: dict[int, tuple[object, str, str]] = {}

    for user in get_user_model().objects.filter(
        pk__in=Follow.objects.filter(kind=m.PAPER, target=paper.arxiv_id).values("user_id")
    ):
        recipients[user.pk] = (user, m.DISCUSSION, f"{who} commented on {title}")
    names = mentioned_usernames(comment.body)
    if names:
        for user in get_user_model().objects.filter(username__in=names):
            recipients[user.pk] = (user, m.MENTION, f"{who} mentioned you on {title}")
    if parent is not None and parent.user_id is not None:
        recipients[parent.user_id] = (parent.user, m.REPLY, f"{who} replied to your comment on {title}")
    recipients.pop(author.pk, None)
    made = []
    for user, kind, text in recipients.values():
        note = notify(user, kind, text=text, url=url, key=f"comment:{comment.pk}", paper_id=paper.pk)
        if note is not None:
            made.append(note)
    return made


def notify_many(recipients: Iterable, kind: str, *, text: str, url: str, key: str) -> int:
    """The same notice to several readers (a meeting for a whole group); how many were new."""
    return sum(notify(user, kind, text=text, url=url, key=key) is not None for user in recipients)

"""Writing, editing, deleting and hiding comments; the paper's comment count follows."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from dailypapers import ratelimit
from dailypapers.community.community_stats import lock_stats, refresh_papers
from dailypapers.community.markup import render_comment
from dailypapers.community.models import Comment
from dailypapers.notify import events
from dailypapers.store.models import Paper

MAX_LENGTH = 10_000


def _clean(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise ValidationError("A comment cannot be empty.")
    if len(body) > MAX_LENGTH:
        raise ValidationError(f"A comment can be at most {MAX_LENGTH} characters.")
    if "\x00" in body:  # PostgreSQL cannot store it; refused on every backend alike
        raise ValidationError("A comment cannot contain a NUL character (U+0000).")
    return body


def _parent(paper: Paper, parent_id: int | None) -> Comment | None:
    """The top-level comment a reply attaches to; a hidden or deleted one takes no replies."""
    if not parent_id:
        return None
    parent = Comment.objects.select_related("parent").filter(pk=parent_id, paper=paper).first()
    if parent is None:
        raise ValidationError("The comment you reply to does not exist.")
    parent = parent.parent or parent
    if parent.hidden:
        raise ValidationError("The comment you reply to was hidden by a moderator; it takes no replies.")
    if parent.deleted:
        raise ValidationError("The comment you reply to was deleted; it takes no replies.")
    return parent


def add(user, paper: Paper, body: str, parent_id: int | None = None) -> Comment:
    """Post a comment; a reply to a reply attaches to the top-level comment (one level of replies)."""
    body = _clean(body)
    ratelimit.limit_write(user)
    parent = _parent(paper, parent_id)
    # Rendered before the transaction: the write lock is held for the insert only.
    body_html = render_comment(body)
    with transaction.atomic():
        lock_stats(paper.pk)
        comment = Comment.objects.create(paper=paper, user=user, parent=parent, body=body, body_html=body_html)
        refresh_papers([paper.pk])
    events.comment_posted(comment, paper, user, parent)
    return comment


def edit(user, comment: Comment, body: str) -> Comment:
    """Edits are writes like any other: rate-limited, and rendered outside any transaction."""
    if comment.user_id != user.pk or comment.deleted:
        raise PermissionDenied("You can only edit your own comments.")
    body = _clean(body)
    ratelimit.limit_write(user)
    comment.body, comment.body_html, comment.edited_at = body, render_comment(body), timezone.now()
    comment.save(update_fields=["body", "body_html", "edited_at"])
    # A mention added by an edit is news; the others were told already (one key per comment and reader).
    events.comment_posted(comment, comment.paper, user, comment.parent)
    return comment


def delete(user, comment: Comment) -> None:
    """The author's deletion erases the text; replies stay under a "[deleted]" placeholder."""
    if comment.user_id != user.pk:
        raise PermissionDenied("You can only delete your own comments.")
    _erase([comment])


def set_hidden(moderator, comment: Comment, hidden: bool) -> None:
    if not moderator.has_perm("community.moderate"):
        raise PermissionDenied("Only moderators can hide comments.")
    with transaction.atomic():
        lock_stats(comment.paper_id)
        Comment.objects.filter(pk=comment.pk).update(hidden=hidden)
        refresh_papers([comment.paper_id])


def _erase(comments: list[Comment]) -> None:
    with transaction.atomic():
        for comment in comments:
            comment.body = comment.body_html = ""
            comment.deleted = True
            comment.save(update_fields=["body", "body_html", "deleted"])
        refresh_papers({c.paper_id for c in comments})


def erase_all_by(user) -> None:
    """Account deletion: every comment of the user is erased (see the privacy note in docs/site.md)."""
    _erase(list(Comment.objects.filter(user=user, deleted=False)))

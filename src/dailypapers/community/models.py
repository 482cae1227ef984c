"""What our community adds to the paper store: votes, comments, submissions, tokens, moderation.

Papers themselves live in dailypapers.store; nothing here writes Paper rows. The tables keep the
names they had when these models lived in the web app (``web_<model>``): moving the code moved no data.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from dailypapers.store.models import Paper


class Profile(models.Model):
    """Per-user state Django's User lacks. A banned user is also made inactive (cannot log in)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    email_confirmed = models.BooleanField(default=False)
    banned = models.BooleanField(default=False)
    banned_reason = models.CharField(max_length=500, blank=True, default="")

    class Meta:
        db_table = "web_profile"


class Vote(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="votes")
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="votes")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "web_vote"
        constraints = [models.UniqueConstraint(fields=["user", "paper"], name="one_vote_per_user_paper")]
        indexes = [models.Index(fields=["paper", "created_at"], name="vote_paper_time")]


class Comment(models.Model):
    """A comment on a paper; ``parent`` allows one level of replies (a reply's parent is top level)."""

    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="community_comments")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="comments"
    )
    parent = models.ForeignKey("self", on_delete=models.CASCADE, null=True, blank=True, related_name="replies")
    body = models.TextField()  # what the author typed (plain text / Markdown subset)
    body_html = models.TextField()  # sanitized rendering, made once on save
    created_at = models.DateTimeField(auto_now_add=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    hidden = models.BooleanField(default=False)  # by a moderator
    deleted = models.BooleanField(default=False)  # by its author (or their account deletion)

    class Meta:
        db_table = "web_comment"
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["paper", "created_at"], name="comment_paper_time")]
        permissions = [("moderate", "Can hide papers and comments and ban users")]

    @property
    def visible(self) -> bool:
        return not (self.hidden or self.deleted)


class PaperModeration(models.Model):
    """A moderator's decision about a paper; hidden papers leave every list, feed and API answer."""

    paper = models.OneToOneField(Paper, on_delete=models.CASCADE, primary_key=True, related_name="moderation")
    hidden = models.BooleanField(default=True)
    reason = models.CharField(max_length=500, blank=True, default="")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "web_papermoderation"


class Submission(models.Model):
    """A user put a paper on today's community list."""

    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="submissions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="submissions")
    date = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "web_submission"
        constraints = [models.UniqueConstraint(fields=["paper", "date"], name="one_submission_per_paper_day")]


class ApiToken(models.Model):
    """A per-user API key for the write endpoints; only its SHA-256 is stored."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    digest = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)  # shown in the token list so users can tell them apart
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "web_apitoken"


class PendingSubmission(models.Model):
    """A submission made while arXiv could not be reached: the worker fetches it later.

    Once fetched it becomes an ordinary Submission on the list of the day it was made
    (state done, paper set); an id arXiv does not know ends failed, with the reason shown
    on the submitter's account page.
    """

    WAITING = "waiting"
    DONE = "done"
    FAILED = "failed"
    STATES = [(s, s) for s in (WAITING, DONE, FAILED)]

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="pending_submissions"
    )
    submitted_by = models.CharField(max_length=150)  # the name shown on the list, as recorded then
    arxiv_id = models.CharField(max_length=64)
    date = models.DateField()  # the community list it goes on: the day it was submitted
    state = models.CharField(max_length=16, choices=STATES, default=WAITING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    paper = models.ForeignKey(Paper, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "web_pendingsubmission"
        constraints = [
            models.UniqueConstraint(
                fields=["arxiv_id", "date"],
                condition=models.Q(state="waiting"),
                name="one_waiting_submission_per_paper_day",
            )
        ]
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="pending_submission_due")]


class ReaderMark(models.Model):
    """What a reader told us about one paper besides votes and saves: not interested, read.

    The table and its constraint names are the library's, where the model started."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reader_marks")
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="reader_marks")
    not_interested = models.BooleanField(default=False)
    read_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "library_papersignal"
        constraints = [models.UniqueConstraint(fields=["user", "paper"], name="unique_paper_signal")]
        indexes = [models.Index(fields=["user", "not_interested"], name="signal_user_not_interested")]


class AuthorClaim(models.Model):
    """A reader says they are one of a paper's authors. Confirmed by a moderator (the admin's action), or
    at once when their confirmed email is in the paper's metadata or at its organisation's domain."""

    PENDING, CONFIRMED, REJECTED = "pending", "confirmed", "rejected"
    STATUSES = [(s, s) for s in (PENDING, CONFIRMED, REJECTED)]
    MODERATOR, EMAIL, DOMAIN = "moderator", "email", "domain"
    METHODS = [(m, m) for m in (MODERATOR, EMAIL, DOMAIN)]

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="author_claims")
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="author_claims")
    author_name = models.CharField(max_length=300)  # which of the paper's authors the reader says they are
    status = models.CharField(max_length=16, choices=STATUSES, default=PENDING, db_index=True)
    method = models.CharField(max_length=16, choices=METHODS, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "paper"], name="unique_author_claim")]
        indexes = [models.Index(fields=["user", "status"], name="claim_user_status")]

    def __str__(self) -> str:
        return f"{self.user} as {self.author_name} on {self.paper_id}: {self.status}"

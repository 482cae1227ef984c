"""Follows, notifications, muted threads, per-reader mail choices, organisations and the feed cursor."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from dailypapers.store.models import Paper

AUTHOR, ORG, CATEGORY, PAPER = "author", "org", "category", "paper"
FOLLOW_KINDS = [(AUTHOR, "author"), (ORG, "organisation"), (CATEGORY, "category"), (PAPER, "paper discussion")]

REPLY, MENTION, DISCUSSION, NEW_PAPER, GROUP, MEETING, CLAIM = (
    "reply",
    "mention",
    "discussion",
    "paper",
    "group",
    "meeting",
    "claim",
)
NOTIFICATION_KINDS = [
    (REPLY, "replies to your comments"),
    (MENTION, "@mentions of you"),
    (DISCUSSION, "comments in discussions you follow"),
    (NEW_PAPER, "new papers by authors, organisations and categories you follow"),
    (GROUP, "group invitations"),
    (MEETING, "reading-group meetings"),
    (CLAIM, "your authorship claims"),
]


class Follow(models.Model):
    """One thing a reader follows. ``target`` is the key matched against new papers: an author's
    normalised name (the author pages' rule), an organisation's Hugging Face name, a category code, or
    a paper's arXiv id (its discussion); ``label`` is what the reader typed or saw, for display."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="follows")
    kind = models.CharField(max_length=16, choices=FOLLOW_KINDS)
    target = models.CharField(max_length=300)
    label = models.CharField(max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "label"]
        constraints = [models.UniqueConstraint(fields=["user", "kind", "target"], name="unique_follow")]
        indexes = [models.Index(fields=["kind", "target"], name="follow_kind_target")]


class Notification(models.Model):
    """One thing a reader was told. ``key`` is unique per recipient: the same event, seen twice (an edited
    comment, a paper re-imported, a retried round), is the same row, so nothing is notified twice."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=16, choices=NOTIFICATION_KINDS)
    text = models.CharField(max_length=500)
    url = models.CharField(max_length=500)
    key = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)
    mailed_at = models.DateTimeField(null=True, blank=True)  # set once, when a summary took it (or skipped it)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["recipient", "key"], name="unique_notification_key")]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="notification_unread"),
            models.Index(fields=["mailed_at", "recipient"], name="notification_unmailed"),
        ]


class Mute(models.Model):
    """A paper's discussion the reader silenced: no reply, mention or discussion notice from it."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mutes")
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "paper"], name="unique_mute")]


class NotifySettings(models.Model):
    """A reader's choices: which kinds stay out of the mail summary, and the private feed's token."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notify_settings")
    mail_off = models.JSONField(default=list)  # kinds never mailed
    feed_token = models.CharField(max_length=64, unique=True)
    last_summary_at = models.DateTimeField(null=True, blank=True)


class Organization(models.Model):
    """An organisation as Hugging Face names it on daily-paper entries (``organization_info``);
    ``domain`` is set by an administrator: a confirmed email there confirms claims on its papers."""

    name = models.CharField(max_length=200, unique=True)  # the Hugging Face handle, e.g. "google"
    fullname = models.CharField(max_length=300, blank=True, default="")
    avatar = models.TextField(blank=True, default="")
    domain = models.CharField(max_length=200, blank=True, default="", help_text="e.g. example.org")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.fullname or self.name


class FeedCursor(models.Model):
    """How far a reader of the store's change feed got (the highest change id it handled)."""

    name = models.CharField(max_length=64, unique=True)
    position = models.BigIntegerField(default=0)

"""A group: its members, invitations, shared collections and notes, meetings and digests sent."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from dailypapers.store.models import Paper


class Group(models.Model):
    """Private groups exist only for their members (every route answers 404 to anyone else)."""

    DIGEST_CHOICES = [("", "off"), ("daily", "daily"), ("weekly", "weekly")]

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=120, unique=True, allow_unicode=True)
    description = models.TextField(blank=True, default="")
    private = models.BooleanField(default=True)
    digest = models.CharField(max_length=8, blank=True, default="", choices=DIGEST_CHOICES)
    calendar_token = models.CharField(max_length=64, unique=True)  # the iCalendar feed's private address
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    OWNER, MEMBER = "owner", "member"
    ROLES = [(OWNER, "owner"), (MEMBER, "member")]

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="group_memberships")
    role = models.CharField(max_length=8, choices=ROLES, default=MEMBER)
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["joined_at", "id"]
        constraints = [models.UniqueConstraint(fields=["group", "user"], name="one_membership_per_group_user")]
        indexes = [models.Index(fields=["user", "group"], name="membership_user_group")]


class Invitation(models.Model):
    """By email (single use, ``email`` set) or by link (``email`` empty: anyone holding it may join)."""

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="invitations")
    token = models.CharField(max_length=64, unique=True)
    email = models.EmailField(blank=True, default="")
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    used_at = models.DateTimeField(null=True, blank=True)
    revoked = models.BooleanField(default=False)


class SharedCollection(models.Model):
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="collections")
    name = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["group", "name"], name="unique_shared_collection_name")]


class SharedItem(models.Model):
    """A paper in a shared collection; ``note`` is the annotation any member may edit."""

    collection = models.ForeignKey(SharedCollection, on_delete=models.CASCADE, related_name="items")
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="+")
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    note = models.TextField(blank=True, default="")
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-added_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["collection", "paper"], name="unique_shared_item")]


class GroupNote(models.Model):
    """One message in a group's thread about one paper: seen by the group's members only."""

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="notes")
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="+")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["group", "paper", "created_at"], name="group_note_thread")]


class Meeting(models.Model):
    """A reading-group session: one paper, a presenter, a time; reminded once (``reminded_at``)."""

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="meetings")
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="+")
    presenter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    starts_at = models.DateTimeField()
    minutes = models.PositiveIntegerField(default=60)
    location = models.CharField(max_length=200, blank=True, default="")
    notes_url = models.URLField(max_length=500, blank=True, default="")
    slides_url = models.URLField(max_length=500, blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["starts_at", "id"]
        indexes = [
            models.Index(fields=["group", "starts_at"], name="meeting_group_time"),
            models.Index(fields=["reminded_at", "starts_at"], name="meeting_reminder_due"),
        ]


class MeetingComment(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]


class GroupDigest(models.Model):
    """One row per group and period, written in the transaction that queues the period's mails:
    the unique constraint is what makes a group's digest go out exactly once per period."""

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="digests")
    period = models.CharField(max_length=16)  # periods.Period.key
    recipients = models.IntegerField(default=0)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["group", "period"], name="one_group_digest_per_period")]

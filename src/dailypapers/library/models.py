"""A reader's library: named collections of papers, interests, saved searches and imports.

The per-paper marks (not interested, read) live beside votes: community.models.ReaderMark."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from dailypapers.store.models import Paper

DEFAULT_COLLECTION = "Reading list"


class Collection(models.Model):
    """Private unless ``share_token`` is set: then anyone with /shared/<token> may read it."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="collections")
    name = models.CharField(max_length=200)
    position = models.IntegerField(default=0)
    share_token = models.CharField(max_length=64, blank=True, default="", db_index=True)
    share_notes = models.BooleanField(default=False)  # notes stay private on the shared page unless chosen
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["user", "name"], name="unique_collection_name")]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.name}"


class CollectionItem(models.Model):
    collection = models.ForeignKey(Collection, on_delete=models.CASCADE, related_name="items")
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="collection_items")
    note = models.TextField(blank=True, default="")
    position = models.IntegerField(default=0)
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["collection", "paper"], name="unique_collection_paper")]


class Interests(models.Model):
    """Categories and keywords a reader chose, for recommendations before they have marked or saved papers."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="interests")
    categories = models.JSONField(default=list)
    keywords = models.JSONField(default=list)
    updated_at = models.DateTimeField(auto_now=True)


class SavedSearch(models.Model):
    """A search kept by name: a page, a feed (by its private token), a JSON endpoint."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_searches")
    name = models.CharField(max_length=200)
    query = models.CharField(max_length=500)
    category = models.CharField(max_length=200, blank=True, default="")  # any of these, space separated
    author = models.CharField(max_length=200, blank=True, default="")  # a full name, or ""
    date_from = models.DateField(null=True, blank=True)
    date_to = models.DateField(null=True, blank=True)
    sort = models.CharField(max_length=16, default="relevance")
    mode = models.CharField(max_length=16, default="auto")  # keyword, semantic, hybrid or auto
    feed_token = models.CharField(max_length=64, unique=True)
    seen_at = models.DateTimeField(null=True, blank=True)  # "new" marks papers stored after this
    created_at = models.DateTimeField(auto_now_add=True)
    mail = models.CharField(max_length=8, blank=True, default="")  # "", "daily" or "weekly"
    mailed_at = models.DateTimeField(null=True, blank=True)  # mails carry papers stored after this

    class Meta:
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["user", "name"], name="unique_saved_search_name")]


class CollectionImport(models.Model):
    """An import too large for one request, done by `dailypapers worker` in batches.

    Counts move after every committed batch, so the collection page shows progress, and an import
    that stops early (worker killed, statement cancelled, collection full) says exactly what was saved.
    """

    WAITING, RUNNING, DONE, STOPPED = "waiting", "running", "done", "stopped"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="collection_imports")
    collection = models.ForeignKey(Collection, on_delete=models.CASCADE, related_name="imports")
    text = models.TextField(blank=True, default="")  # emptied once the import has ended
    fetch = models.BooleanField(default=False)
    state = models.CharField(max_length=8, default=WAITING)
    total = models.IntegerField(default=0)  # entries read from the text (0 until the worker parsed it)
    processed = models.IntegerField(default=0)  # entries dealt with, in order: the next one starts here
    added = models.IntegerField(default=0)
    already = models.IntegerField(default=0)
    fetched = models.IntegerField(default=0)
    missing = models.IntegerField(default=0)
    unreadable = models.IntegerField(default=0)
    lines = models.JSONField(default=list)  # the first error/missing sentences, at most MAX_REPORTED
    stop_reason = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["state", "updated_at"], name="collection_import_state")]

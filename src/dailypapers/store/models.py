"""What we keep about papers.

A Paper is one arXiv id (no version). Its fields hold the newest version any source
has shown us; ``sources`` records which sources contributed and when. Every write to a
paper goes through a store function (upsert.py, moderation.py, ranking.py, changes.py),
which appends a PaperChange row in the same transaction: derived indexes (keyword,
vector) follow that feed and catch up after a crash. A bare ``save()`` or
``QuerySet.update()`` on Paper raises (see changes.paper_writes). Hugging Face daily
entries are their own rows (DailyEntry), so their imported votes never mix with our
community's votes.
"""

from __future__ import annotations

from django.db import models

from dailypapers.store.guard import require_paper_writes


class PaperQuerySet(models.QuerySet):
    """Refuses writes outside the store's write functions: every paper write must reach the feed."""

    def update(self, **kwargs):
        require_paper_writes("Paper.objects.update()")
        return super().update(**kwargs)

    def bulk_update(self, objs, fields, batch_size=None):
        require_paper_writes("Paper.objects.bulk_update()")
        return super().bulk_update(objs, fields, batch_size=batch_size)

    def bulk_create(self, objs, *args, **kwargs):
        require_paper_writes("Paper.objects.bulk_create()")
        return super().bulk_create(objs, *args, **kwargs)

    def delete(self):
        require_paper_writes("Paper.objects.delete()")
        return super().delete()


class Paper(models.Model):
    arxiv_id = models.CharField(max_length=64, unique=True)
    title = models.TextField()
    abstract = models.TextField(blank=True, default="")
    authors = models.JSONField(default=list)  # names, in order
    primary_category = models.CharField(max_length=32, blank=True, default="", db_index=True)
    categories = models.CharField(max_length=512, blank=True, default="")  # space separated, store/taxonomy.py's
    # True while ``categories`` were predicted from the text (store/predicted.py), not given by arXiv.
    categories_predicted = models.BooleanField(default=False)
    # MSC and ACM classes, space separated ("68T50 68T07", "I.2.7"): kept apart from arXiv's categories.
    msc_classes = models.CharField(max_length=256, blank=True, default="")
    acm_classes = models.CharField(max_length=256, blank=True, default="")
    comments = models.TextField(blank=True, default="")
    journal_ref = models.TextField(blank=True, default="")
    doi = models.CharField(max_length=256, blank=True, default="")
    license = models.CharField(max_length=256, blank=True, default="")
    submitter = models.CharField(max_length=256, blank=True, default="")
    latest_version = models.PositiveIntegerField(null=True, blank=True)
    first_submitted = models.DateTimeField(null=True, blank=True, db_index=True)
    last_updated = models.DateTimeField(null=True, blank=True)
    announced = models.DateField(null=True, blank=True, db_index=True)
    withdrawn = models.BooleanField(default=False)
    deleted = models.BooleanField(default=False)
    sources = models.JSONField(default=dict)  # {source: fetched_at ISO}
    hidden = models.BooleanField(default=False)  # by a moderator (store.moderation)
    created_at = models.DateTimeField(auto_now_add=True)
    # Feed id of the paper's last metadata change: an embedding made from an older text is stale.
    change_seq = models.BigIntegerField(default=0, db_index=True)

    objects = PaperQuerySet.as_manager()

    class Meta:
        ordering = ["-announced", "-arxiv_id"]

    def save(self, *args, **kwargs):
        require_paper_writes("Paper.save()")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        require_paper_writes("Paper.delete()")
        return super().delete(*args, **kwargs)

    def __str__(self) -> str:
        return f"{self.arxiv_id}: {self.title[:80]}"

    @property
    def category_list(self) -> list[str]:
        return self.categories.split()

    @property
    def msc_list(self) -> list[str]:
        return self.msc_classes.split()

    @property
    def acm_list(self) -> list[str]:
        return self.acm_classes.split()

    @property
    def abs_url(self) -> str:
        return f"https://arxiv.org/abs/{self.arxiv_id}"

    @property
    def pdf_url(self) -> str:
        return f"https://arxiv.org/pdf/{self.arxiv_id}"


class PaperVersion(models.Model):
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    date = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["number"]
        constraints = [models.UniqueConstraint(fields=["paper", "number"], name="unique_paper_version")]


class DailyEntry(models.Model):
    """A paper featured on a daily list (Hugging Face's, or our own community's)."""

    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="daily_entries")
    date = models.DateField(db_index=True)
    source = models.CharField(max_length=32, default="hf")
    upvotes = models.IntegerField(default=0)  # as seen at import
    num_comments = models.IntegerField(default=0)
    submitted_by = models.CharField(max_length=256, blank=True, default="", db_index=True)  # username
    github_repo = models.URLField(max_length=512, blank=True, default="")
    github_stars = models.IntegerField(null=True, blank=True)
    project_page = models.URLField(max_length=512, blank=True, default="")
    organization = models.CharField(max_length=256, blank=True, default="")  # its fullname, for display
    ai_summary = models.TextField(blank=True, default="")
    ai_keywords = models.JSONField(default=list)
    seen_at = models.DateTimeField(null=True, blank=True)
    fetched_at = models.DateTimeField()
    # Hugging Face's own fields, as its /api/daily_papers gave them (docs/hf-fields.md says
    # what each one means and where it comes from). Empty/None where the source did not say.
    listed_at = models.DateTimeField(null=True, blank=True)  # top-level publishedAt
    submitted_on_daily_at = models.DateTimeField(null=True, blank=True)  # paper.submittedOnDailyAt
    published_at = models.DateTimeField(null=True, blank=True)  # paper.publishedAt, as HF has it
    thumbnail = models.TextField(blank=True, default="")  # URL on HF's CDN
    media_urls = models.JSONField(default=list)  # top-level mediaUrls (old shape: mediaUrl)
    organization_info = models.JSONField(null=True, blank=True)  # {_id, name, fullname, avatar}
    submitter_organization = models.JSONField(null=True, blank=True)  # the submitter's org object
    submitter_fullname = models.CharField(max_length=256, blank=True, default="")
    submitter_avatar = models.TextField(blank=True, default="")
    submitter_id = models.CharField(max_length=64, blank=True, default="")
    submitter_info = models.JSONField(null=True, blank=True)  # the whole submittedBy object
    submitted_on_daily_by = models.JSONField(null=True, blank=True)  # paper.submittedOnDailyBy
    is_author_participating = models.BooleanField(null=True, blank=True)
    hf_authors = models.JSONField(default=list)  # paper.authors with _id, hidden, user, status
    github_repo_added_by = models.CharField(max_length=32, blank=True, default="")
    ai_summary_model = models.CharField(max_length=256, blank=True, default="")
    discussion_id = models.CharField(max_length=64, blank=True, default="")
    list_position = models.PositiveIntegerField(null=True, blank=True)  # 1-based place in HF's day list
    extra = models.JSONField(default=dict)  # {"entry": {...}, "paper": {...}}: any field not above

    class Meta:
        ordering = ["-date", "-upvotes"]
        constraints = [
            models.UniqueConstraint(fields=["source", "paper", "date"], name="unique_daily_entry"),
        ]
        verbose_name_plural = "daily entries"


class ImportCheckpoint(models.Model):
    """How far an import of one file got; committed with each batch, so a killed run resumes."""

    path = models.TextField()
    size = models.BigIntegerField()
    mtime_ns = models.BigIntegerField()
    format = models.CharField(max_length=32)
    items_done = models.BigIntegerField(default=0)
    finished = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["path", "size", "mtime_ns"], name="unique_import_file"),
        ]


class SyncState(models.Model):
    """Where `dailypapers sync` stopped, per source (a date, and an OAI resumption token mid-harvest)."""

    source = models.CharField(max_length=64, unique=True)
    state = models.JSONField(default=dict)
    updated_at = models.DateTimeField(auto_now=True)


class PaperStats(models.Model):
    """Per-paper counters and the stored trending score the site orders by.

    Kept beside Paper (not on it) so a vote never rewrites the paper row; a changed vote
    total appends a "votes" change to the feed, so search indexes re-read it for their
    "votes" sort (see store/ranking.py). ``trending_score`` is recomputed there, in the
    writing transaction, when a vote or an imported entry arrives, never over the whole
    table per request. ``community_score`` is the trending score of our own votes alone
    (reported by the community layer with its vote times), so an import can rescore a
    paper without reading the community's tables.
    """

    paper = models.OneToOneField(Paper, on_delete=models.CASCADE, related_name="stats", primary_key=True)
    community_votes = models.IntegerField(default=0)  # our users' votes
    hf_votes = models.IntegerField(default=0)  # best imported Hugging Face upvote count
    comments = models.IntegerField(default=0)
    trending_score = models.FloatField(default=0.0, db_index=True)
    community_score = models.FloatField(default=0.0)  # log2 of our votes' summed weights (0: none)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "paper stats"


class PaperChange(models.Model):
    """The change feed: one row per write that affects a paper, appended in the write's
    transaction by the store's write functions only. ``id`` is the sequence readers follow;
    ids are allocated under the paper write lock (changes.py), so they commit in order.

    No foreign key: the feed must outlive nothing and block nothing; ``arxiv_id`` is kept so
    a reader can drop a paper from an index even if its row is gone.
    """

    METADATA, DELETED, HIDDEN, VOTES, EMBEDDING = "metadata", "deleted", "hidden", "votes", "embedding"
    KINDS = [(k, k) for k in (METADATA, DELETED, HIDDEN, VOTES, EMBEDDING)]

    id = models.BigAutoField(primary_key=True)
    paper_id = models.BigIntegerField()
    arxiv_id = models.CharField(max_length=64)
    kind = models.CharField(max_length=16, choices=KINDS)
    at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["paper_id", "id"], name="paperchange_paper")]


class MediaItem(models.Model):
    """An image we show (a paper's thumbnail, an avatar), queued at import and fetched by us.

    Readers' browsers never load it from its source: the site serves the stored copy from
    /media/KIND/KEY, KEY being ``media_key(url)`` (see dailypapers.store.media), so a page can
    name an image's address from its source URL alone, without reading this table.
    """

    QUEUED, FETCHED, FAILED, REFUSED = "queued", "fetched", "failed", "refused"
    STATUSES = [(s, s) for s in (QUEUED, FETCHED, FAILED, REFUSED)]

    key = models.CharField(max_length=64, unique=True)
    url = models.TextField()
    kind = models.CharField(max_length=16)  # "thumbnail" | "avatar"
    status = models.CharField(max_length=16, choices=STATUSES, default=QUEUED, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    content_type = models.CharField(max_length=64, blank=True, default="")
    size = models.PositiveIntegerField(null=True, blank=True)
    error = models.TextField(blank=True, default="")  # why the last attempt failed, in a sentence
    queued_at = models.DateTimeField()
    fetched_at = models.DateTimeField(null=True, blank=True)


class WorkClaim(models.Model):
    """A lease on one item of shared work (a paper to embed, an image to fetch): see store/claims.py.

    A row exists only while a worker holds the item; it is deleted when the work is stored, and
    taken over when ``expires`` (seconds since the epoch) has passed or its worker is gone."""

    kind = models.CharField(max_length=100)  # "embed:<model id>", "media"
    item = models.CharField(max_length=64)
    worker = models.CharField(max_length=200)
    expires = models.FloatField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "item"], name="workclaim_kind_item")]

"""The one upsert every importer and sync shares.

Rules:
- a record with a newer version (or, without versions, a later update date) overwrites
  the fields it has; an older or equal one only fills fields the paper lacks, so an
  older record never overwrites a newer one and re-importing changes nothing;
- each batch is one transaction, written under the paper write lock; it appends one feed
  change per paper it changed (changes.py) and rescores papers whose Hugging Face entries
  changed (ranking.py), in that same transaction;
- counts are per input record: new / updated / unchanged.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from dailypapers.store import changes, ranking
from dailypapers.store.bulk import insert_rows, insert_values, update_rows
from dailypapers.store.media import entry_media, queue_media
from dailypapers.store.models import DailyEntry, Paper, PaperChange, PaperVersion
from dailypapers.store.records import DailyEntryRecordLike as DailyEntryRecord
from dailypapers.store.records import PaperRecordLike as PaperRecord
from dailypapers.store.records import is_daily_entry

_EPOCH = dt.datetime(1, 1, 1, tzinfo=dt.timezone.utc)

# Paper fields a newer record overwrites (when it has a value) and an older one may only fill.
_OVERWRITABLE = (
    "title",
    "abstract",
    "authors",
    "primary_category",
    "categories",
    "msc_classes",
    "acm_classes",
    "comments",
    "journal_ref",
    "doi",
    "license",
    "submitter",
    "latest_version",
    "last_updated",
    "withdrawn",
)
# Facts about the paper's first appearance: set once, never moved by later records.
_FIRST_SEEN = ("first_submitted", "announced")
_ENTRY_FIELDS = (
    "upvotes",
    "num_comments",
    "submitted_by",
    "github_repo",
    "github_stars",
    "project_page",
    "organization",
    "ai_summary",
    "ai_keywords",
    "seen_at",
    # Hugging Face's own fields (docs/hf-fields.md)
    "listed_at",
    "submitted_on_daily_at",
    "published_at",
    "thumbnail",
    "media_urls",
    "organization_info",
    "submitter_organization",
    "submitter_fullname",
    "submitter_avatar",
    "submitter_id",
    "submitter_info",
    "submitted_on_daily_by",
    "is_author_participating",
    "hf_authors",
    "github_repo_added_by",
    "ai_summary_model",
    "discussion_id",
    "list_position",
    "extra",
)


@dataclass
class BatchCounts:
    new: int = 0
    updated: int = 0
    unchanged: int = 0

    def add(self, other: BatchCounts) -> None:
        self.new += other.new
        self.updated += other.updated
        self.unchanged += other.unchanged


def _record_values(record: PaperRecord) -> dict:
    """The record as Paper field values; None where the source does not say."""
    return {
        "title": record.title or None,
        "abstract": record.abstract,
        "authors": record.authors,
        "primary_category": record.primary_category,
        "categories": " ".join(record.categories) if record.categories else None,
        "msc_classes": " ".join(record.msc_classes) if record.msc_classes else None,
        "acm_classes": " ".join(record.acm_classes) if record.acm_classes else None,
        "comments": record.comments,
        "journal_ref": record.journal_ref,
        "doi": record.doi,
        "license": record.license,
        "submitter": record.submitter,
        "latest_version": record.latest_version,
        "last_updated": record.last_updated,
        "withdrawn": record.withdrawn,
        "first_submitted": record.first_submitted,
        "announced": record.announced,
    }


def _age_key(version: int | None, updated: dt.datetime | None) -> tuple[int, dt.datetime]:
    return (version or 0, updated or _EPOCH)


def _is_empty(value) -> bool:
    return value is None or value == "" or value == [] or (value is False)


def merge_into(paper: Paper, record: PaperRecord) -> list[str]:
    """Apply ``record`` to ``paper`` by the rules above; return the names of changed fields."""
    values = _record_values(record)
    newer = _age_key(record.latest_version, record.last_updated) > _age_key(paper.latest_version, paper.last_updated)
    changed = []
    taken = set()
    if paper.categories_predicted and values["categories"] is not None:
        # A source's categories always replace predicted ones, whatever the record's age.
        paper.categories, paper.categories_predicted = values["categories"], False
        paper.primary_category = values["primary_category"] or values["categories"].split()[0]
        changed += ["categories", "categories_predicted", "primary_category"]
        taken = {"categories", "primary_category"}
    for name in _OVERWRITABLE:
        value = values[name]
        if value is None or name in taken:
            continue
        current = getattr(paper, name)
        if current == value:
            continue
        if newer or _is_empty(current):
            setattr(paper, name, value)
            changed.append(name)
    for name in _FIRST_SEEN:
        value = values[name]
        current = getattr(paper, name)
        if value is not None and (current is None or value < current):
            setattr(paper, name, value)
            changed.append(name)
    if record.deleted and not paper.deleted:
        paper.deleted = True
        changed.append("deleted")
    return changed


def _new_paper(record: PaperRecord) -> Paper:
    values = {k: v for k, v in _record_values(record).items() if v is not None}
    return Paper(arxiv_id=record.arxiv_id, deleted=record.deleted, **values)


def write_batch(records: Sequence[PaperRecord | DailyEntryRecord], fetched_at: dt.datetime) -> BatchCounts:
    """Write one batch of records in one transaction; return what happened to each."""
    counts = BatchCounts()
    if not records:
        return counts
    stamp = fetched_at.isoformat()
    with transaction.atomic():
        seq = changes.begin_write()
        ids = {_paper_of(r).arxiv_id for r in records}
        papers: dict[str, Paper] = Paper.objects.in_bulk(ids, field_name="arxiv_id")
        created: dict[str, Paper] = {}
        dirty: dict[str, set[str]] = {}
        outcome: list[str] = []  # per record: "new" / "updated" / "unchanged"
        for record in records:
            paper_record = _paper_of(record)
            key = paper_record.arxiv_id
            paper = papers.get(key)
            if paper is None:
                if paper_record.deleted:  # a deletion of a paper we never had: nothing to keep
                    outcome.append("unchanged")
                    continue
                paper = _new_paper(paper_record)
                paper.sources = {paper_record.source: stamp}
                paper.change_seq = seq
                papers[key] = created[key] = paper
                outcome.append("new")
                continue
            changed = merge_into(paper, paper_record)
            if paper_record.source not in paper.sources:
                changed.append("sources")
            if changed:  # the contributing source is stamped with this fetch
                paper.sources = {**paper.sources, paper_record.source: stamp}
                paper.change_seq = seq
                if key not in created:
                    dirty.setdefault(key, set()).update(changed, {"sources", "change_seq"})
            outcome.append("updated" if changed and key not in created else "unchanged")
        _insert_papers(created)
        _write_versions(records, papers, created)
        if dirty:
            fields = sorted(set().union(*dirty.values()))
            update_rows(Paper, [papers[k] for k in dirty], fields)
        _record_changes(papers, created, dirty)
        entry_outcome = _write_entries(records, papers, fetched_at)
        for i, result in enumerate(outcome):
            result = entry_outcome.get(i, result) if result == "unchanged" else result
            setattr(counts, result, getattr(counts, result) + 1)
    return counts


_PAPER_COLUMNS = [f.name for f in Paper._meta.concrete_fields if not f.primary_key]
_ENTRY_COLUMNS = [f.name for f in DailyEntry._meta.concrete_fields if not f.primary_key]


def _insert_papers(created: dict[str, Paper]) -> None:
    """Insert new papers in one statement per batch, then learn their primary keys."""
    if not created:
        return
    now = timezone.now()
    for paper in created.values():
        paper.created_at = now
    insert_rows(Paper, created.values(), _PAPER_COLUMNS)
    for arxiv_id, pk in Paper.objects.filter(arxiv_id__in=list(created)).values_list("arxiv_id", "pk"):
        created[arxiv_id].pk = pk


def _paper_of(record: PaperRecord | DailyEntryRecord) -> PaperRecord:
    return record.paper if is_daily_entry(record) else record  # type: ignore[union-attr,return-value]


def _record_changes(papers: dict[str, Paper], created: dict[str, Paper], dirty: dict[str, set[str]]) -> None:
    """One feed change per written paper: "deleted" when this batch deleted it, else "metadata"."""
    gone = [k for k in dirty if "deleted" in dirty[k]]
    changes.record(
        ((papers[k].pk, k) for k in list(created) + [k for k in dirty if k not in gone]), PaperChange.METADATA
    )
    changes.record(((papers[k].pk, k) for k in gone), PaperChange.DELETED)


def _write_versions(records: Iterable, papers: dict[str, Paper], created: dict[str, Paper]) -> None:
    """Versions of new papers go in on the fast path; versions of known papers may already exist."""
    fresh: dict[tuple[int, int], tuple] = {}
    known: list[PaperVersion] = []
    for record in records:
        paper_record = _paper_of(record)
        paper = papers.get(paper_record.arxiv_id)
        if paper is None or not paper_record.versions:
            continue
        if paper_record.arxiv_id in created:
            for version in paper_record.versions:
                fresh.setdefault((paper.pk, version.number), (paper.pk, version.number, version.date))
        else:
            known += [PaperVersion(paper_id=paper.pk, number=v.number, date=v.date) for v in paper_record.versions]
    insert_values(PaperVersion, ["paper", "number", "date"], fresh.values())
    if known:
        PaperVersion.objects.bulk_create(known, ignore_conflicts=True, batch_size=500)


def _write_entries(records: Sequence, papers: dict[str, Paper], fetched_at: dt.datetime) -> dict[int, str]:
    """Insert or refresh daily entries; a later snapshot of the same (source, paper, date) updates it."""
    wanted = [(i, r) for i, r in enumerate(records) if is_daily_entry(r) and r.paper.arxiv_id in papers]
    if not wanted:
        return {}
    paper_ids = {papers[r.paper.arxiv_id].pk for _, r in wanted}
    existing = {
        (e.source, e.paper_id, e.date): e
        for e in DailyEntry.objects.filter(paper_id__in=paper_ids, date__in={r.date for _, r in wanted})
    }
    outcome: dict[int, str] = {}
    to_create: dict[tuple, DailyEntry] = {}
    to_update: dict[tuple, DailyEntry] = {}
    for i, record in wanted:
        paper = papers[record.paper.arxiv_id]
        key = (record.source, paper.pk, record.date)
        # None means "this source does not say": it never blanks a value another source gave.
        values = {name: getattr(record, name) for name in _ENTRY_FIELDS if getattr(record, name) is not None}
        entry = existing.get(key) or to_create.get(key)
        if entry is None:
            to_create[key] = entry = DailyEntry(
                paper_id=paper.pk, date=record.date, source=record.source, fetched_at=fetched_at, **values
            )
            outcome[i] = "new"
            continue
        if entry.seen_at and record.seen_at and record.seen_at < entry.seen_at:
            outcome[i] = "unchanged"  # an older snapshot never overwrites a newer one
            continue
        changed = [k for k, v in values.items() if getattr(entry, k) != v]
        if changed:
            for k in changed:
                setattr(entry, k, values[k])
            entry.fetched_at = fetched_at
            if key not in to_create:
                to_update[key] = entry
        # A later look that saw the same values only moves seen_at: the entry is unchanged.
        outcome[i] = "updated" if set(changed) - {"seen_at"} else "unchanged"
    insert_rows(DailyEntry, to_create.values(), _ENTRY_COLUMNS)
    update_rows(DailyEntry, to_update.values(), list(_ENTRY_FIELDS) + ["fetched_at"])
    # Entries carry imported votes: rescore their papers here, in the batch's transaction
    # (a moved vote total reaches the feed as a "votes" change).
    touched = {papers[r.paper.arxiv_id].pk for i, r in wanted if outcome.get(i) != "unchanged"}
    ranking.rescore(touched)
    # Their thumbnails and avatars join the media queue (`dailypapers media fetch` empties it).
    queue_media(item for i, r in wanted if outcome.get(i) != "unchanged" for item in entry_media(r.paper.arxiv_id, r))
    return outcome

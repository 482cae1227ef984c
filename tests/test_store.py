"""The shared upsert: newer versions win, older records only fill gaps, re-imports change nothing."""

from __future__ import annotations

import datetime as dt

import pytest

from dailypapers.ingest.records import DailyEntryRecord, PaperRecord, VersionRecord
from dailypapers.store.models import DailyEntry, Paper, PaperVersion
from dailypapers.store.upsert import write_batch

pytestmark = pytest.mark.django_db
UTC = dt.timezone.utc
NOW = dt.datetime(2026, 1, 2, 12, 0, tzinfo=UTC)


def paper(version: int | None = None, **fields) -> PaperRecord:
    base = dict(arxiv_id="2401.00001", title="A title", source="test")
    if version:
        base["versions"] = [VersionRecord(n, dt.datetime(2024, 1, n, tzinfo=UTC)) for n in range(1, version + 1)]
    base.update(fields)
    return PaperRecord(**base)


def test_new_then_unchanged_on_reimport():
    first = write_batch([paper(2, abstract="Abs.", authors=["A B", "C D"], categories=["cs.LG", "stat.ML"])], NOW)
    again = write_batch([paper(2, abstract="Abs.", authors=["A B", "C D"], categories=["cs.LG", "stat.ML"])], NOW)
    assert (first.new, first.updated, first.unchanged) == (1, 0, 0)
    assert (again.new, again.updated, again.unchanged) == (0, 0, 1)
    stored = Paper.objects.get()
    assert stored.latest_version == 2 and stored.primary_category == "cs.LG"
    assert stored.category_list == ["cs.LG", "stat.ML"] and stored.authors == ["A B", "C D"]
    assert stored.first_submitted == dt.datetime(2024, 1, 1, tzinfo=UTC)
    assert PaperVersion.objects.count() == 2


def test_newer_version_overwrites_and_older_never_does():
    write_batch([paper(1, title="Old title", abstract="old")], NOW)
    newer = write_batch([paper(3, title="New title", abstract="new")], NOW)
    older = write_batch([paper(2, title="Middle title", abstract="middle", doi="10.1/x")], NOW)
    stored = Paper.objects.get()
    assert newer.updated == 1
    assert stored.title == "New title" and stored.abstract == "new" and stored.latest_version == 3
    assert stored.doi == "10.1/x", "an older record may fill a field the paper lacks"
    assert older.updated == 1
    assert sorted(PaperVersion.objects.values_list("number", flat=True)) == [1, 2, 3]


def test_record_without_versions_only_fills_gaps_of_a_versioned_paper():
    write_batch([paper(2, title="Versioned")], NOW)
    write_batch([paper(None, title="From a listing", announced=dt.date(2024, 1, 3), comments="10 pages")], NOW)
    stored = Paper.objects.get()
    assert stored.title == "Versioned"
    assert stored.announced == dt.date(2024, 1, 3) and stored.comments == "10 pages"
    assert set(stored.sources) == {"test"}


def test_sources_record_each_contributor():
    write_batch([paper(1)], NOW)
    write_batch([paper(1, source="other", doi="10.2/y")], NOW + dt.timedelta(days=1))
    assert set(Paper.objects.get().sources) == {"test", "other"}


def test_change_seq_grows_only_on_real_changes():
    write_batch([paper(1)], NOW)
    seq1 = Paper.objects.get().change_seq
    write_batch([paper(1)], NOW)
    assert Paper.objects.get().change_seq == seq1
    write_batch([paper(2, title="v2")], NOW)
    assert Paper.objects.get().change_seq > seq1


def test_deleted_record_marks_the_paper():
    write_batch([paper(1)], NOW)
    write_batch([PaperRecord(arxiv_id="2401.00001", title="", source="oai", deleted=True)], NOW)
    assert Paper.objects.get().deleted is True
    counts = write_batch([PaperRecord(arxiv_id="2401.99999", title="", source="oai", deleted=True)], NOW)
    assert counts.unchanged == 1 and not Paper.objects.filter(arxiv_id="2401.99999").exists()


def entry(upvotes: int, seen: dt.datetime, **fields) -> DailyEntryRecord:
    return DailyEntryRecord(
        paper=paper(None, source="hf"), date=dt.date(2024, 5, 27), upvotes=upvotes, seen_at=seen, **fields
    )


def test_daily_entries_refresh_with_later_snapshots_only():
    t1, t2 = NOW, NOW + dt.timedelta(hours=5)
    assert write_batch([entry(3, t1, ai_keywords=["x"])], NOW).new == 1
    assert write_batch([entry(9, t2)], NOW).updated == 1
    assert write_batch([entry(5, t1)], NOW).unchanged == 1, "an older snapshot never overwrites a newer one"
    stored = DailyEntry.objects.get()
    assert stored.upvotes == 9 and stored.source == "hf"
    assert Paper.objects.count() == 1


def test_same_paper_twice_in_one_batch():
    counts = write_batch([paper(1, title="first"), paper(2, title="second")], NOW)
    assert Paper.objects.get().title == "second"
    assert (counts.new, counts.unchanged) == (1, 1)


def test_missing_entry_fields_never_blank_known_ones():
    write_batch([entry(3, NOW, submitted_by="alice", github_repo="https://github.com/a/b")], NOW)
    counts = write_batch([entry(3, NOW)], NOW)  # same snapshot from a source without those fields
    stored = DailyEntry.objects.get()
    assert (stored.submitted_by, stored.github_repo) == ("alice", "https://github.com/a/b")
    assert counts.unchanged == 1

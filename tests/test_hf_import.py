"""The import keeps every field of the recorded Hugging Face responses (docs/hf-fields.md),
re-imports change nothing, and a newer observation of an entry updates it."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from dailypapers.ingest.importer import import_paths
from dailypapers.store.models import DailyEntry, PaperStats
from tests.hf_recorded import DAYS, import_days, write_days

pytestmark = pytest.mark.django_db


def when(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def entry_of(item: dict, date: str) -> DailyEntry:
    return DailyEntry.objects.get(paper__arxiv_id=item["paper"]["id"], date=date, source="hf")


def test_every_recorded_field_is_kept(tmp_path):
    recorded = import_days(tmp_path / "days.jsonl")
    checked = 0
    for date in DAYS:
        for position, item in enumerate(recorded[date]["response"], 1):
            paper, entry = item["paper"], entry_of(item, date)
            assert entry.list_position == position
            assert entry.listed_at == when(item["publishedAt"])  # not midnight
            assert entry.published_at == when(paper["publishedAt"])
            assert entry.submitted_on_daily_at == (
                when(paper["submittedOnDailyAt"]) if "submittedOnDailyAt" in paper else None
            )
            assert entry.num_comments == item["numComments"] and entry.upvotes == paper["upvotes"]
            assert entry.thumbnail == item.get("thumbnail", "")
            media = item.get("mediaUrls") or ([item["mediaUrl"]] if item.get("mediaUrl") else [])
            assert entry.media_urls == media
            assert entry.organization_info == item.get("organization")
            assert entry.submitter_organization == item.get("submitterOrganization")
            submitter = item.get("submittedBy") or {}
            assert (entry.submitted_by, entry.submitter_fullname, entry.submitter_avatar, entry.submitter_id) == (
                submitter.get("name", ""),
                submitter.get("fullname", ""),
                submitter.get("avatarUrl", ""),
                submitter.get("_id", ""),
            )
            assert entry.submitter_info == (submitter or None)
            assert entry.submitted_on_daily_by == paper.get("submittedOnDailyBy")
            assert entry.is_author_participating == item.get("isAuthorParticipating")
            assert entry.hf_authors == paper["authors"]  # claims: user and status
            assert entry.github_repo_added_by == paper.get("githubRepoAddedBy", "")
            assert entry.ai_summary_model == paper.get("ai_summary_model", "")
            assert entry.ai_summary == " ".join((paper.get("ai_summary") or "").split())
            assert entry.discussion_id == paper.get("discussionId", "")
            assert entry.github_stars == paper.get("githubStars")
            checked += 1
    assert checked == sum(len(recorded[d]["response"]) for d in DAYS)
    claimed = DailyEntry.objects.filter(is_author_participating=True).count()
    assert claimed == sum(bool(i.get("isAuthorParticipating")) for d in DAYS for i in recorded[d]["response"]) > 0
    assert DailyEntry.objects.exclude(submitter_organization=None).exists()
    assert DailyEntry.objects.exclude(ai_summary_model="").exists()


def test_reimport_changes_nothing(tmp_path):
    import_days(tmp_path / "days.jsonl")
    before = list(DailyEntry.objects.order_by("id").values())
    again = tmp_path / "again.jsonl"  # another file: no checkpoint to skip it
    again.write_bytes((tmp_path / "days.jsonl").read_bytes())
    summary = import_paths([again], fmt="hf-raw")
    assert (summary.new, summary.updated, summary.rejected) == (0, 0, 0) and summary.unchanged > 0
    assert list(DailyEntry.objects.order_by("id").values()) == before


def test_a_newer_observation_updates_the_entry_and_an_older_one_does_not(tmp_path):
    recorded = write_days(tmp_path / "days.jsonl", ("2026-08-21",))
    import_paths([tmp_path / "days.jsonl"], fmt="hf-raw")
    day = recorded["2026-08-21"]
    item = day["response"][0]
    first = entry_of(item, "2026-08-21")

    later = json.loads(json.dumps(day))
    later["snapshot_committed_at"] = "2026-08-22T07:45:00+00:00"
    later["response"][0]["paper"]["upvotes"] += 40
    later["response"][0]["numComments"] += 3
    later["response"][0]["paper"]["githubStars"] = 999
    (tmp_path / "later.jsonl").write_text(json.dumps(later) + "\n")
    summary = import_paths([tmp_path / "later.jsonl"], fmt="hf-raw")
    assert summary.updated == 1
    entry = entry_of(item, "2026-08-21")
    assert (entry.upvotes, entry.num_comments, entry.github_stars) == (first.upvotes + 40, first.num_comments + 3, 999)
    assert PaperStats.objects.get(paper_id=entry.paper_id).hf_votes == first.upvotes + 40
    assert PaperStats.objects.get(paper_id=entry.paper_id).community_votes == 0  # theirs, not ours

    older = json.loads(json.dumps(day))
    older["snapshot_committed_at"] = "2026-08-20T07:45:00+00:00"
    older["response"][0]["paper"]["upvotes"] = 0
    (tmp_path / "older.jsonl").write_text(json.dumps(older) + "\n")
    assert import_paths([tmp_path / "older.jsonl"], fmt="hf-raw").updated == 0
    assert entry_of(item, "2026-08-21").upvotes == first.upvotes + 40

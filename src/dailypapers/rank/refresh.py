"""Keep PaperStats (counters and the stored trending score) in step with votes, comments and imports.

Scores are recomputed per paper when something about that paper changes (a vote, a
comment, a newly imported Hugging Face entry), never over the whole table per request.
``rebuild`` is the explicit one-off batch over every paper (`dailypapers rank --rebuild`).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from dailypapers.rank.trending import TrendingParams, trending_score
from dailypapers.store.changes import next_change_seq
from dailypapers.store.models import DailyEntry, Paper, PaperStats

CHUNK = 1000


def params() -> TrendingParams:
    return TrendingParams(half_life_hours=settings.TRENDING_HALF_LIFE_HOURS, hf_weight=settings.TRENDING_HF_WEIGHT)


@dataclass
class _Inputs:
    votes: list[dt.datetime] = field(default_factory=list)
    hf_votes: int = 0
    hf_featured_at: dt.datetime | None = None
    comments: int = 0


def lock_stats(paper_id: int) -> PaperStats:
    """The paper's stats row, locked until the transaction ends (PostgreSQL: row lock; SQLite:
    the IMMEDIATE transaction already holds the write lock), so concurrent voters queue.

    The paper write lock comes first: the recount may bump change_seq (see _write), and
    importers take that lock before stats rows, so the same order here cannot deadlock."""
    next_change_seq()
    PaperStats.objects.get_or_create(paper_id=paper_id)
    return PaperStats.objects.select_for_update().get(paper_id=paper_id)


def refresh_papers(paper_ids: Iterable[int]) -> int:
    """Recompute counters and trending score for these papers; return how many rows were written.

    The import path calls this with the ids of papers whose Hugging Face entries changed.
    """
    ids = sorted(set(paper_ids))
    written = 0
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        with transaction.atomic():
            written += _write(_inputs(chunk))
    return written


def rebuild() -> int:
    """Recompute every paper that has votes, comments, Hugging Face entries or a stats row."""
    from dailypapers.web.models import Comment, Vote

    ids: set[int] = set(PaperStats.objects.values_list("paper_id", flat=True))
    ids |= set(DailyEntry.objects.filter(source="hf").values_list("paper_id", flat=True).distinct())
    ids |= set(Vote.objects.values_list("paper_id", flat=True).distinct())
    ids |= set(Comment.objects.values_list("paper_id", flat=True).distinct())
    return refresh_papers(ids)


def _inputs(paper_ids: list[int]) -> dict[int, _Inputs]:
    from dailypapers.web.models import Comment, Vote

    found: dict[int, _Inputs] = defaultdict(_Inputs)
    for paper_id in paper_ids:
        found[paper_id]  # every id gets a row, so removed votes reset the score to 0
    for paper_id, created_at in Vote.objects.filter(paper_id__in=paper_ids).values_list("paper_id", "created_at"):
        found[paper_id].votes.append(created_at)
    # The best Hugging Face count wins; its listing day (00:00 UTC) is when those votes count as cast.
    entries = DailyEntry.objects.filter(paper_id__in=paper_ids, source="hf").values_list("paper_id", "upvotes", "date")
    for paper_id, upvotes, day in entries:
        current = found[paper_id]
        if upvotes > current.hf_votes:
            current.hf_votes = upvotes
            current.hf_featured_at = dt.datetime.combine(day, dt.time(0), tzinfo=dt.timezone.utc)
    visible = (Comment.objects.filter(paper_id__in=paper_ids, hidden=False, deleted=False)
               .values("paper_id").annotate(n=Count("id")).order_by())
    for row in visible:
        found[row["paper_id"]].comments = row["n"]
    return found


def _write(inputs: dict[int, _Inputs]) -> int:
    before = {pid: c + h for pid, c, h in PaperStats.objects.filter(paper_id__in=list(inputs))
              .values_list("paper_id", "community_votes", "hf_votes").order_by()}
    p = params()
    now = timezone.now()
    rows = [
        PaperStats(paper_id=paper_id, community_votes=len(i.votes), hf_votes=i.hf_votes, comments=i.comments,
                   trending_score=trending_score(i.votes, i.hf_votes, i.hf_featured_at, p), updated_at=now)
        for paper_id, i in inputs.items()
    ]
    PaperStats.objects.bulk_create(
        rows, batch_size=500, update_conflicts=True, unique_fields=["paper"],
        update_fields=["community_votes", "hf_votes", "comments", "trending_score", "updated_at"],
    )
    # The search index's "votes" sort follows change_seq: bump papers whose total moved.
    moved = [r.paper_id for r in rows if r.community_votes + r.hf_votes != before.get(r.paper_id, 0)]
    if moved:
        Paper.objects.filter(pk__in=moved).update(change_seq=next_change_seq())
    return len(rows)

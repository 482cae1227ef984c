"""PaperStats (counters and the stored trending score), written by the store's write path.

A score is recomputed per paper when something about that paper changes, never over the
whole table per request: the importer rescores papers whose Hugging Face entries changed
(upsert.py calls :func:`rescore` in its transaction), and the community layer reports a
paper's votes and visible comments through :func:`write_community` in the vote's
transaction. When a paper's vote total moves, a "votes" change goes to the feed (search
indexes sort by votes). The formula is pure and lives in dailypapers.rank.trending.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from dailypapers.rank.trending import TrendingParams, combined_score, trending_score
from dailypapers.store import changes
from dailypapers.store.models import DailyEntry, Paper, PaperChange, PaperStats

CHUNK = 1000
_STATS_FIELDS = ["community_votes", "community_score", "hf_votes", "comments", "trending_score", "updated_at"]


def params() -> TrendingParams:
    return TrendingParams(half_life_hours=settings.TRENDING_HALF_LIFE_HOURS, hf_weight=settings.TRENDING_HF_WEIGHT)


@dataclass(frozen=True)
class CommunityInputs:
    """What the community layer knows about one paper: when each of our votes was cast, and
    how many of its comments are visible."""

    vote_times: tuple[dt.datetime, ...] = ()
    comments: int = 0


def lock_stats(paper_id: int) -> PaperStats:
    """The paper's stats row, locked until the transaction ends (PostgreSQL: row lock; SQLite:
    the IMMEDIATE transaction already holds the write lock), so concurrent voters queue.

    The paper write lock comes first: importers take it before stats rows, so the same order
    here cannot deadlock."""
    changes.begin_write()
    PaperStats.objects.get_or_create(paper_id=paper_id)
    return PaperStats.objects.select_for_update().get(paper_id=paper_id)


def write_community(inputs: Mapping[int, CommunityInputs]) -> int:
    """Store our votes and comments for these papers and rescore them. Must run inside the
    transaction that changed the votes; returns how many stats rows were written."""
    return rescore(inputs.keys(), community=inputs)


def rescore(paper_ids: Iterable[int], community: Mapping[int, CommunityInputs] | None = None) -> int:
    """Recompute trending scores of these papers from their Hugging Face entries and their
    community part (given, else as stored). Inside a caller's transaction it joins it;
    otherwise each chunk of papers commits on its own."""
    ids = sorted(set(paper_ids))
    written = 0
    for start in range(0, len(ids), CHUNK):
        with transaction.atomic():
            changes.begin_write()
            written += _write(ids[start : start + CHUNK], community or {})
    return written


def _hf_parts(paper_ids: list[int]) -> dict[int, tuple[int, dt.datetime]]:
    """Per paper, the best Hugging Face count and its listing day (00:00 UTC: when those votes count as cast)."""
    best: dict[int, tuple[int, dt.datetime]] = {}
    rows = DailyEntry.objects.filter(paper_id__in=paper_ids, source="hf").values_list("paper_id", "upvotes", "date")
    for paper_id, upvotes, day in rows:
        if upvotes > best.get(paper_id, (0, None))[0]:
            best[paper_id] = (upvotes, dt.datetime.combine(day, dt.time(0), tzinfo=dt.timezone.utc))
    return best


def _write(paper_ids: list[int], community: Mapping[int, CommunityInputs]) -> int:
    stored = {
        row[0]: row[1:]
        for row in PaperStats.objects.filter(paper_id__in=paper_ids)
        .values_list("paper_id", "community_votes", "community_score", "hf_votes", "comments")
        .order_by()
    }
    hf = _hf_parts(paper_ids)
    p = params()
    now = timezone.now()
    rows, moved = [], []
    for paper_id in paper_ids:
        votes, score, old_hf, comments = stored.get(paper_id, (0, 0.0, 0, 0))
        before = votes + old_hf
        if paper_id in community:
            given = community[paper_id]
            votes, comments = len(given.vote_times), given.comments
            score = trending_score(given.vote_times, 0, None, p, now)
        hf_votes, featured = hf.get(paper_id, (0, None))
        rows.append(
            PaperStats(
                paper_id=paper_id,
                community_votes=votes,
                community_score=score,
                hf_votes=hf_votes,
                comments=comments,
                trending_score=combined_score(score, votes, hf_votes, featured, p, now),
                updated_at=now,
            )
        )
        if votes + hf_votes != before:
            moved.append(paper_id)
    PaperStats.objects.bulk_create(
        rows, batch_size=500, update_conflicts=True, unique_fields=["paper"], update_fields=_STATS_FIELDS
    )
    if moved:  # the search indexes' "votes" sort follows the feed
        changes.record(Paper.objects.filter(pk__in=moved).values_list("pk", "arxiv_id"), PaperChange.VOTES)
    return len(rows)

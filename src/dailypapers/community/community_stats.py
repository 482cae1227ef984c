"""Report our community's votes and visible comments to the store, which rescores papers.

The store never reads the community's tables (store must not import web): whoever changes
votes or comments calls :func:`refresh_papers` inside that transaction, after
:func:`lock_stats`, and the store's ranking writes counters, scores and feed changes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.db.models import Count

from dailypapers.community.models import Comment, Vote
from dailypapers.store.models import DailyEntry, PaperStats
from dailypapers.store.ranking import CommunityInputs, lock_stats, write_community

__all__ = ["lock_stats", "rebuild", "refresh_papers"]

CHUNK = 1000


def refresh_papers(paper_ids: Iterable[int]) -> int:
    """Recompute counters and trending score for these papers; return how many rows were written."""
    ids = sorted(set(paper_ids))
    written = 0
    for start in range(0, len(ids), CHUNK):
        written += write_community(_inputs(ids[start : start + CHUNK]))
    return written


def rebuild() -> int:
    """Recompute every paper that has votes, comments, Hugging Face entries or a stats row."""
    ids: set[int] = set(PaperStats.objects.values_list("paper_id", flat=True))
    ids |= set(DailyEntry.objects.filter(source="hf").values_list("paper_id", flat=True).distinct())
    ids |= set(Vote.objects.values_list("paper_id", flat=True).distinct())
    ids |= set(Comment.objects.values_list("paper_id", flat=True).distinct())
    return refresh_papers(ids)


def _inputs(paper_ids: list[int]) -> dict[int, CommunityInputs]:
    votes: dict[int, list] = defaultdict(list)
    for paper_id, created_at in Vote.objects.filter(paper_id__in=paper_ids).values_list("paper_id", "created_at"):
        votes[paper_id].append(created_at)
    visible = dict(
        Comment.objects.filter(paper_id__in=paper_ids, hidden=False, deleted=False)
        .values_list("paper_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    # Every id gets inputs, so removed votes reset the paper's community part to nothing.
    return {pid: CommunityInputs(tuple(votes.get(pid, ())), visible.get(pid, 0)) for pid in paper_ids}

"""One vote per user per paper; counts and the trending score change in the vote's transaction."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from dailypapers import ratelimit
from dailypapers.community.community_stats import lock_stats, refresh_papers
from dailypapers.community.models import Vote
from dailypapers.store.models import Paper, PaperStats


@dataclass(frozen=True)
class VoteResult:
    voted: bool
    community_votes: int
    hf_votes: int

    @property
    def total(self) -> int:
        return self.community_votes + self.hf_votes


def cast(user, paper: Paper, want: bool | None = None) -> VoteResult:
    """Set the user's vote on ``paper`` (``want=None`` toggles it) and return the new counts."""
    ratelimit.limit_write(user)
    with transaction.atomic():
        lock_stats(paper.pk)  # voters on one paper queue here, so the recount below is exact
        mine = Vote.objects.filter(user=user, paper=paper)
        has = mine.exists()
        voted = (not has) if want is None else want
        if voted and not has:
            Vote.objects.create(user=user, paper=paper)
        elif has and not voted:
            mine.delete()
        refresh_papers([paper.pk])
        stats = PaperStats.objects.get(paper_id=paper.pk)
    return VoteResult(voted=voted, community_votes=stats.community_votes, hf_votes=stats.hf_votes)

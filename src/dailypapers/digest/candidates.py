"""Load a period's candidate papers from the store, with their votes and trending score."""

from __future__ import annotations

from django.db.models import IntegerField, Max, Q, Value
from django.db.models.functions import Coalesce, Greatest

from dailypapers.digest.periods import Period
from dailypapers.digest.selection import Candidate, rank
from dailypapers.store.models import DailyEntry, Paper
from dailypapers.store.visibility import shown


def load_candidates(period: Period, window_days: int) -> list[Candidate]:
    """Papers announced, or featured on a daily list, within the period's window; ranked best first.

    Ranking reads the stored ``PaperStats.trending_score`` the site maintains (never a score
    of our own), then Hugging Face upvotes.
    """
    first, last = period.window(window_days)
    featured = DailyEntry.objects.filter(date__range=(first, last)).values("paper_id")
    rows = (
        Paper.objects.filter(Q(announced__range=(first, last)) | Q(id__in=featured))
        .filter(shown())  # the store's one visibility rule
        .annotate(
            hf=Greatest(
                Coalesce(Max("daily_entries__upvotes", filter=Q(daily_entries__source="hf")), Value(0)),
                Coalesce("stats__hf_votes", Value(0)),
                output_field=IntegerField(),
            ),
        )
        .values_list(
            "id", "arxiv_id", "title", "abstract", "categories", "stats__trending_score", "hf", "stats__community_votes"
        )
    )
    return rank(
        Candidate(
            paper_id=pk,
            arxiv_id=arxiv_id,
            title=title,
            abstract=abstract,
            categories=tuple(categories.split()),
            trending_score=score or 0.0,
            hf_upvotes=hf or 0,
            community_votes=votes or 0,
        )
        for pk, arxiv_id, title, abstract, categories, score, hf, votes in rows
    )

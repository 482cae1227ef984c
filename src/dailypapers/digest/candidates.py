"""Load a period's candidate papers from the store, with their votes and trending score."""

from __future__ import annotations

from django.db.models import Count, Max, Q, Value
from django.db.models.functions import Coalesce

from dailypapers.digest.periods import Period
from dailypapers.digest.selection import Candidate, rank
from dailypapers.store.models import DailyEntry, Paper
from dailypapers.store.visibility import shown


def load_candidates(period: Period, window_days: int) -> list[Candidate]:
    """Papers featured on a daily list within the period's window, or announced in it and featured on no
    other day's list; ranked best first: the period's own papers (a daily digest's window reaches back
    ``window_days`` for what a reader has not received yet), then by the window's votes: the Hugging
    Face upvotes its daily entries of those days recorded, plus our votes cast on those days.

    Not the stored trending score: it decays from today, so an old period's digest came out in
    feature-date order, and a paper's later fame is not this period's.
    """
    first, last = period.window(window_days)
    featured = DailyEntry.objects.filter(date__range=(first, last)).values("paper_id")
    # A paper announced in the window but featured only on other days' lists belongs to those days.
    featured_elsewhere = DailyEntry.objects.exclude(date__range=(first, last)).values("paper_id")
    rows = (
        Paper.objects.filter(Q(id__in=featured) | (Q(announced__range=(first, last)) & ~Q(id__in=featured_elsewhere)))
        .filter(shown())  # the store's one visibility rule
        .annotate(
            hf=Coalesce(
                Max(
                    "daily_entries__upvotes",
                    filter=Q(daily_entries__source="hf", daily_entries__date__range=(first, last)),
                ),
                Value(0),
            ),
            # Through the reverse relation: digest does not import community's Vote model.
            ours=Count("votes", filter=Q(votes__created_at__date__range=(first, last)), distinct=True),
            own=Count("daily_entries", filter=Q(daily_entries__date__range=(period.start, period.end))),
        )
        .values_list(
            "id",
            "arxiv_id",
            "title",
            "abstract",
            "categories",
            "stats__trending_score",
            "hf",
            "ours",
            "own",
            "announced",
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
            in_period=bool(own) or (announced is not None and period.start <= announced <= period.end),
        )
        for pk, arxiv_id, title, abstract, categories, score, hf, votes, own, announced in rows
    )

"""What the library gives the digest's "for you" section (registered in apps.py)."""

from __future__ import annotations

from collections.abc import Sequence

from dailypapers.digest.personal import Pick
from dailypapers.periods import Period
from dailypapers.store.models import Paper


def digest_picks(user, period: Period, limit: int, listed: Sequence[str]) -> list[Pick]:
    """The reader's For you ranking of the digest's period, its papers already in the mail left
    out; nothing until the ranking is personal (learned from votes and saves: a cold start by
    interests is what the mail's own list already is). For you itself never includes a paper the
    reader marked not interested or already saved."""
    # Imported here: the recommender brings scikit-learn, a second and ~100 MB at the start of
    # every process (apps.py registers this function at start-up); only a reader's mail needs it.
    from dailypapers.library.foryou import for_you

    result = for_you(user, period, limit=limit + len(listed))
    if not result.personal:
        return []
    skip = set(listed)
    items = [item for item in result.items if item.paper_id not in skip][:limit]
    titles = dict(Paper.objects.filter(arxiv_id__in=[i.paper_id for i in items]).values_list("arxiv_id", "title"))
    return [
        Pick(item.paper_id, titles[item.paper_id], "; ".join(item.why[:2])) for item in items if item.paper_id in titles
    ]

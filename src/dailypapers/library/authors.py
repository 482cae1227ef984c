"""Author pages: the papers whose author list holds the same normalised name.

The rule (the search index's author key, dailypapers.search.text.normalize_name): accents folded,
case and punctuation dropped, the words kept in order. So "José Müller", "Jose Muller" and
"jose müller" are one page, while "J. Müller" and "José Müller" stay two: initials are never
expanded, because arXiv's metadata cannot tell which J. Müller an initial stands for, and merging
different people is worse than splitting one. "Müller, José" (surname first) is another page too.
"""

from __future__ import annotations

from dailypapers.lists.listings import with_stats
from dailypapers.search import service
from dailypapers.search.keyword import Filters
from dailypapers.search.text import normalize_name
from dailypapers.store.models import Paper
from dailypapers.store.visibility import shown_papers


def key(name: str) -> str:
    return normalize_name(name)


def papers_by(name: str, limit: int = 50, offset: int = 0) -> tuple[list[Paper], int]:
    """Newest first, with how many there are in all (through the keyword index's author key)."""
    if not key(name):
        return [], 0
    results = service.search("", Filters(authors=(name,)), "newest", limit, offset)
    found = {p.arxiv_id: p for p in with_stats(shown_papers()).filter(arxiv_id__in=results.ids)}
    return [found[i] for i in results.ids if i in found], results.total

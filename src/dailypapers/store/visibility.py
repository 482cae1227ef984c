"""Which papers may be shown: the one rule every list, page, feed, search index and digest uses.

A paper is shown unless arXiv deleted it, it was withdrawn by its authors, or a moderator
hid it. Search indexes apply the same rule (a paper that stops being shown leaves the index
through a "hidden" or "deleted" change), so the CLI, the API, the pages and digests agree.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from dailypapers.store.models import Paper

_NOT_SHOWN_WHEN = ("deleted", "withdrawn", "hidden")  # any of these flags set: not shown


def shown(prefix: str = "") -> Q:
    """The rule as a filter; ``prefix`` reaches the paper from another model (``"paper__"``)."""
    return Q(**{f"{prefix}{flag}": False for flag in _NOT_SHOWN_WHEN})


def shown_papers() -> QuerySet[Paper]:
    """Papers that may be shown."""
    return Paper.objects.filter(shown())


def is_shown(deleted: bool, withdrawn: bool, hidden: bool) -> bool:
    """The same rule on plain values (the indexer reads rows as tuples)."""
    return not (deleted or withdrawn or hidden)

"""The digest's "for you" section: a hook that the reader's layer fills.

Recommendations belong to the library (reader marks, For you), which the digest may not import; the
library registers its provider here when Django starts (library/apps.py), as a lower part
declares a hook and an upper part fills it. Without a provider, or for a subscriber who is not
a signed-in reader, the section is simply absent.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from dailypapers.periods import Period

log = logging.getLogger(__name__)

PICKS = 5  # papers in a mail's "for you" section


@dataclass(frozen=True)
class Pick:
    """One recommended paper, with the reason a reader reads in the mail."""

    arxiv_id: str
    title: str
    why: str


Provider = Callable[[object, Period, int, Sequence[str]], list[Pick]]
_provider: Provider | None = None


def register(provider: Provider | None) -> None:
    """Install (or, with None, remove) the function that picks a reader's papers."""
    global _provider
    _provider = provider


def picks(subscriber, period: Period, listed: Sequence[str]) -> list[Pick]:
    """Up to PICKS papers for this subscriber's reader account, none of them in ``listed`` (the
    mail's own list); [] for an address with no account or a reader with no votes, saves or marks yet."""
    if _provider is None or subscriber.user_id is None:
        return []
    try:
        return list(_provider(subscriber.user, period, PICKS, listed))[:PICKS]
    except Exception:  # the section is a bonus: a failure in it must not hold back the digest itself
        log.exception("the 'for you' section for subscriber %s failed; the digest goes without it", subscriber.pk)
        return []

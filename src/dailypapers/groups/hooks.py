"""Events other parts may follow, without groups/ knowing who listens.

A listener is a plain callable appended to one of the lists below (from its app's ready()):

    from dailypapers.groups import hooks
    hooks.member_invited.append(lambda invitation: ...)
    hooks.meeting_scheduled.append(lambda meeting: ...)

Each is called after the change committed (transaction.on_commit), once per event. A listener
that raises is logged and skipped: an invitation or a meeting never fails because of one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import transaction

log = logging.getLogger(__name__)

# Called with the Invitation (its group, email or "" for a link, invited_by).
member_invited: list[Callable[[object], None]] = []
# Called with the Meeting (its group, paper, presenter, starts_at).
meeting_scheduled: list[Callable[[object], None]] = []


def fire(listeners: list[Callable[[object], None]], event: object) -> None:
    """Call every listener with ``event`` once the current transaction commits."""

    def call() -> None:
        for listener in list(listeners):
            try:
                listener(event)
            except Exception:  # a listener's failure is its own: the event already happened
                log.exception("group event listener %r failed", listener)

    transaction.on_commit(call)

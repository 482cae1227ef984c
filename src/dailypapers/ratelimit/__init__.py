"""The one rate limiter: fixed windows counted in a table of their own, for every entry point.

Every login (site, /admin/, failed API tokens), sign-up, request that sends mail, write
(vote, comment, comment edit, submission), library write, import and JSON API read goes
through one of the ``limit_*`` functions below, so a new form or endpoint gets the same brake by calling one line. Rates are the
DAILYPAPERS_*_RATE settings, parsed and validated once at start-up (config.parse_rate): a bad
value stops `dailypapers` with one sentence instead of failing at the first login.

The counters live in the store settings.RATELIMIT_STORE names (stores.py): by default the
``ratelimit_counter`` table, shared by every gunicorn worker, counted with one atomic upsert
and never evicted before its window ends (a cache culls entries when flooded with throw-away
keys, which reset every limit).

A RateLimited raised anywhere in a page view becomes a 429 page (RateLimitMiddleware); the
JSON API turns it into a 429 JSON answer. Both carry ``Retry-After``.
"""

from __future__ import annotations

import hashlib
import time
from functools import cache
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils.module_loading import import_string

from dailypapers.config import Rate, parse_rate

if TYPE_CHECKING:
    from dailypapers.ratelimit.stores import CounterStore


class RateLimited(Exception):
    """Too many requests in the current window."""

    def __init__(self, retry_after: int):
        super().__init__(f"Too many requests; try again in {retry_after} s.")
        self.retry_after = retry_after


def _rate(rate: Rate | str) -> Rate:
    # Settings hold parsed Rates; a string only arrives from a test's override.
    return rate if isinstance(rate, Rate) else parse_rate(rate)


@cache
def _store(path: str) -> CounterStore:
    return import_string(path)()


def store() -> CounterStore:
    """The counter store settings.RATELIMIT_STORE names (one instance per process)."""
    return _store(settings.RATELIMIT_STORE)


def reset() -> None:
    """Forget every counter: everyone gets a fresh allowance (tests; an operator unlocking all)."""
    store().clear()


def hit(scope: str, ident: str, rate: Rate | str) -> None:
    """Count one request by ``ident`` in ``scope``; raise RateLimited when over ``rate``.

    The window starts at the first request (not at a clock boundary), so a burst cannot
    straddle two windows and get twice the limit.
    """
    rate = _rate(rate)
    now = time.time()
    slot = hashlib.sha256(f"{scope}:{ident}".encode()).hexdigest()[:32]
    expires, count = store().count(slot, rate.seconds, now)
    if count > rate.count:
        raise RateLimited(retry_after=int(expires - now) + 1)


def _hit_all(rate: Rate | str, counts: list[tuple[str, str]]) -> None:
    """Count every (scope, ident) with a non-empty ident, then raise the longest wait if any is over.

    All are counted even when the first is over, so spreading over accounts still spends
    the client address's allowance.
    """
    waits = []
    for scope, ident in counts:
        if not ident:
            continue
        try:
            hit(scope, ident, rate)
        except RateLimited as exc:
            waits.append(exc.retry_after)
    if waits:
        raise RateLimited(retry_after=max(waits))


def client_address(request) -> str:
    # REMOTE_ADDR: `dailypapers serve` is reached directly (or through a proxy that the
    # operator configures to rewrite it); X-Forwarded-For from clients is not trusted.
    return request.META.get("REMOTE_ADDR", "") if request is not None else ""


def _norm(text: str | None) -> str:
    return (text or "").strip().lower()


def limit_login(request, account: str | None) -> None:
    """One login attempt (any login form, or a failed API token), per client address and per account name."""
    _hit_all(settings.LOGIN_RATE, [("login-ip", client_address(request)), ("login-user", _norm(account))])


def limit_signup(request) -> None:
    """One sign-up attempt per client address (its confirmation mail also goes through limit_mail)."""
    _hit_all(settings.LOGIN_RATE, [("signup-ip", client_address(request))])


def limit_mail(request, recipient: str | None = None, user=None) -> None:
    """One request that sends mail: per client address, per account and per address mailed.

    The count per address mailed is shared by every kind of mail (reset, email change,
    confirmation, digest subscription), so nobody can flood an inbox by mixing them.
    Call it before the mail is sent, whether or not an account exists for ``recipient``,
    so a 429 says nothing about who has an account.
    """
    _hit_all(
        settings.MAIL_RATE,
        [
            ("mail-ip", client_address(request)),
            ("mail-to", _norm(recipient)),
            ("mail-user", str(user.pk) if user is not None and user.pk else ""),
        ],
    )


def limit_write(user) -> None:
    """One write (vote, comment, comment edit, submission) by ``user``, web or API."""
    _hit_all(settings.WRITE_RATE, [("write", str(user.pk))])


def limit_library(user) -> None:
    """One library write (collections, saved papers, notes, saved searches, reader marks, interests) by ``user``, web or API."""
    _hit_all(settings.LIBRARY_RATE, [("library", str(user.pk))])


def limit_import(user) -> None:
    """One collection import by ``user`` (web or API): parsing and looking up a file is the costliest write."""
    _hit_all(settings.IMPORT_RATE, [("import", str(user.pk))])


def limit_api_read(request) -> None:
    """One JSON API read (GET or HEAD under /api/) per client address."""
    _hit_all(settings.API_READ_RATE, [("api-read", client_address(request))])

"""Signed links that act for a subscriber without a login (django.core.signing).

A token names the subscriber and the purpose, and carries the address it was made for,
so a token stops working if the row's address changes. Unsubscribe and preferences tokens
never expire (an old digest's unsubscribe link must keep working); confirmation tokens do.
"""

from __future__ import annotations

from django.core import signing

from dailypapers.digest.models import Subscriber

_SALT = "dailypapers.digest"
CONFIRM = "confirm"
MANAGE = "manage"  # preferences and unsubscribe
CONFIRM_MAX_AGE = 7 * 24 * 3600


class BadToken(Exception):
    """The link is forged, mangled, expired, or for an address no longer subscribed."""


def make_token(subscriber: Subscriber, purpose: str) -> str:
    # Compression only pays for long addresses (and zlib's set-up costs a tenth of a millisecond,
    # once per digest mail): a short payload is signed as it is, which is what compress=True
    # would have chosen for it anyway unless the address repeats itself. read_token takes both.
    payload = [subscriber.pk, subscriber.email, purpose]
    return signing.dumps(payload, salt=_SALT, compress=len(subscriber.email) > 40)


def read_token(token: str, purpose: str) -> Subscriber:
    max_age = CONFIRM_MAX_AGE if purpose == CONFIRM else None
    try:
        pk, email, signed_purpose = signing.loads(token, salt=_SALT, max_age=max_age)
    except (signing.BadSignature, ValueError, TypeError) as exc:
        raise BadToken("This link is not valid (it may be incomplete or expired).") from exc
    if signed_purpose != purpose:
        raise BadToken("This link is not valid here.")
    subscriber = Subscriber.objects.filter(pk=pk, email=email).first()
    if subscriber is None:
        raise BadToken("This subscription no longer exists.")
    return subscriber

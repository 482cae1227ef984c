"""A reader's notification choices: created on first use, with the private feed's token."""

from __future__ import annotations

import secrets

from django.db import IntegrityError, transaction

from dailypapers.notify import models as m
from dailypapers.notify.models import NotifySettings


def settings_for(user) -> NotifySettings:
    found = NotifySettings.objects.filter(user=user).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            return NotifySettings.objects.create(user=user, feed_token=secrets.token_urlsafe(32))
    except IntegrityError:  # created by a concurrent request
        return NotifySettings.objects.get(user=user)


def set_mail_off(user, kinds: list[str]) -> NotifySettings:
    """Kinds left out of the mail summary (the page and the feed still show them)."""
    known = dict(m.NOTIFICATION_KINDS)
    pref = settings_for(user)
    pref.mail_off = sorted({k for k in kinds if k in known})
    pref.save(update_fields=["mail_off"])
    return pref


def new_feed_token(user) -> NotifySettings:
    """A new private feed address; the old one stops working."""
    pref = settings_for(user)
    pref.feed_token = secrets.token_urlsafe(32)
    pref.save(update_fields=["feed_token"])
    return pref

"""The notifications mail summary, sent by the worker's round through the site's outbox.

Exactly once: in one transaction the summary claims its notifications (``mailed_at`` set where it was
still empty; a concurrent worker that claimed any of them first makes this one roll back and send
nothing) and stores the mail in the outbox; the outbox then sends it with its own exactly-once claim.
Kinds the reader switched off are claimed too, without a mail, so they are never mailed later.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from dailypapers.digest import outbox
from dailypapers.notify.models import Notification, NotifySettings
from dailypapers.notify.prefs import settings_for

MAX_LISTED = 50  # notifications listed in one mail; the page has the rest


class _Lost(Exception):
    """Another worker claimed some of these notifications first."""


def send_summaries(now: dt.datetime | None = None) -> dict[str, int]:
    now = now or timezone.now()
    interval = dt.timedelta(minutes=settings.NOTIFY_SUMMARY_MINUTES)
    waiting = defaultdict(list)
    for note in Notification.objects.filter(mailed_at__isnull=True).only("pk", "recipient_id", "kind").order_by("pk"):
        waiting[note.recipient_id].append(note)
    if not waiting:
        return {"mails": 0}
    users = get_user_model().objects.in_bulk(list(waiting))
    prefs = {s.user_id: s for s in NotifySettings.objects.filter(user_id__in=list(waiting))}
    confirmed = set(
        get_user_model()
        .objects.filter(pk__in=list(waiting), profile__email_confirmed=True, is_active=True)
        .exclude(email="")
        .values_list("pk", flat=True)
    )
    mails = 0
    for user_id, notes in waiting.items():
        pref = prefs.get(user_id)
        if pref and pref.last_summary_at and now - pref.last_summary_at < interval:
            continue
        off = set(pref.mail_off) if pref else set()
        try:
            mails += _summarise(users[user_id], notes, off, user_id in confirmed, now)
        except _Lost:
            continue
    return {"mails": mails}


def _summarise(user, notes: list[Notification], off: set[str], can_mail: bool, now: dt.datetime) -> int:
    ids = [n.pk for n in notes]
    with transaction.atomic():
        if Notification.objects.filter(pk__in=ids, mailed_at__isnull=True).update(mailed_at=now) != len(ids):
            raise _Lost
        mailed = [n for n in notes if n.kind not in off]
        if not mailed or not can_mail:
            return 0
        listed = list(
            Notification.objects.filter(pk__in=[n.pk for n in mailed]).order_by("-created_at", "-id")[:MAX_LISTED]
        )
        pref = settings_for(user)
        base = settings.BASE_URL.rstrip("/")
        context = {
            "username": user.get_username(),
            "notes": [{"text": n.text, "url": base + n.url} for n in listed],
            "more": len(mailed) - len(listed),
            "url": base + reverse("notify:index"),
            "settings_url": base + reverse("notify:settings"),
        }
        count = len(mailed)
        subject = f"{count} new notification{'s' if count != 1 else ''} on dailypapers"
        outbox.enqueue(
            outbox.compose(user.email, subject, "notify/email/summary", context), kind="notify-summary", user=user
        )
        NotifySettings.objects.filter(pk=pref.pk).update(last_summary_at=now)
    return 1

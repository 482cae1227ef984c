"""Saved searches by email: "mail me new matches daily/weekly".

`dailypapers searches send` (cron, like `digest send`) mails each due saved search's papers
stored since its last mail, one message per search, and moves its mark only after the mail
went out, so a failed send is retried by the next run and nothing is mailed twice.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.core.mail import EmailMessage
from django.urls import reverse
from django.utils import timezone

from dailypapers.library import searches
from dailypapers.library.models import SavedSearch

FREQUENCIES = {"daily": dt.timedelta(hours=20), "weekly": dt.timedelta(days=6, hours=12)}
MAX_PAPERS = 50


@dataclass
class SendResult:
    sent: int = 0
    nothing_new: int = 0
    failed: list[str] = field(default_factory=list)  # one sentence each


def set_mail(saved: SavedSearch, frequency: str) -> None:
    if frequency not in ("", *FREQUENCIES):
        from django.core.exceptions import ValidationError

        raise ValidationError(f"“{frequency}” is not daily, weekly or off.")
    saved.mail = frequency
    if frequency and saved.mailed_at is None:
        saved.mailed_at = timezone.now()  # new matches from now on, not the whole back catalogue
    saved.save(update_fields=["mail", "mailed_at"])


def due(now: dt.datetime) -> list[SavedSearch]:
    rows = SavedSearch.objects.filter(mail__in=list(FREQUENCIES)).select_related("user")
    return [s for s in rows if s.user.email and (s.mailed_at is None or now - s.mailed_at >= FREQUENCIES[s.mail])]


def body(saved: SavedSearch, papers) -> str:
    base = settings.BASE_URL
    lines = [f"New papers matching your saved search “{saved.name}” ({saved.query}):", ""]
    for paper in papers:
        lines += [paper.title, f"  {', '.join(paper.authors[:6])}{' et al.' if len(paper.authors) > 6 else ''}",
                  f"  {base}{reverse('web:paper', args=[paper.arxiv_id])}", ""]
    lines += [f"All matches: {base}{reverse('library:search', args=[saved.pk])}",
              "Change how often this comes on that page (Mail me: off)."]
    return "\n".join(lines)


def send_due(now: dt.datetime | None = None, dry_run: bool = False) -> SendResult:
    now = now or timezone.now()
    result = SendResult()
    for saved in due(now):
        since = saved.mailed_at
        run = searches.run(saved, MAX_PAPERS)
        fresh = [p for p in run.papers if since is None or p.created_at > since]
        if not fresh:
            result.nothing_new += 1
            continue
        if dry_run:
            result.sent += 1
            continue
        message = EmailMessage(f"{len(fresh)} new paper{'s' if len(fresh) != 1 else ''} for “{saved.name}”",
                               body(saved, fresh), to=[saved.user.email])
        try:
            message.send()
        except OSError as exc:
            result.failed.append(f"saved search {saved.pk} ({saved.user.email}): the mail could not be sent: {exc}.")
            continue
        SavedSearch.objects.filter(pk=saved.pk).update(mailed_at=now)
        result.sent += 1
    return result

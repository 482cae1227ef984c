"""Saved searches by email: "mail me new matches daily/weekly".

`dailypapers searches send` (cron, like `digest send`) mails each due saved search's papers
stored since its last mail, one message per search. It claims each period first by moving the
search's mark with a conditional UPDATE (see _claim), so concurrent senders (two workers, a worker and cron) never mail one
period twice, and hands the period back if the mail could not be sent. The worker runs
send_due at every wake-up (cli/jobs.py); a search is due once per its period.
"""

from __future__ import annotations

import datetime as dt
import smtplib
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
        lines += [
            paper.title,
            f"  {', '.join(paper.authors[:6])}{' et al.' if len(paper.authors) > 6 else ''}",
            f"  {base}{reverse('web:paper', args=[paper.arxiv_id])}",
            "",
        ]
    lines += [
        f"All matches: {base}{reverse('library:search', args=[saved.pk])}",
        "Change how often this comes on that page (Mail me: off).",
    ]
    return "\n".join(lines)


def _claim(saved: SavedSearch, since: dt.datetime | None, now: dt.datetime) -> bool:
    """Move the mark from ``since`` to ``now`` in one conditional UPDATE; False if it had moved already.

    The mark moves before the mail goes out, so two workers (or a worker and cron) never both
    send one period's mail: the second UPDATE finds the mark moved and matches no row. The
    price, chosen over duplicates: a sender killed between this commit and the server's reply
    loses that one period's mail; the next period's mail carries the papers stored since.
    """
    rows = SavedSearch.objects.filter(pk=saved.pk)
    rows = rows.filter(mailed_at__isnull=True) if since is None else rows.filter(mailed_at=since)
    return bool(rows.update(mailed_at=now))


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
        if not _claim(saved, since, now):
            continue  # another worker (or `searches send`) took this period's mail
        message = EmailMessage(
            f"{len(fresh)} new paper{'s' if len(fresh) != 1 else ''} for “{saved.name}”",
            body(saved, fresh),
            to=[saved.user.email],
        )
        try:
            message.send()
        except (OSError, smtplib.SMTPException) as exc:
            # Not sent: hand the period back (only if nobody moved the mark since), for the next run.
            SavedSearch.objects.filter(pk=saved.pk, mailed_at=now).update(mailed_at=since)
            result.failed.append(f"saved search {saved.pk} ({saved.user.email}): the mail could not be sent: {exc}.")
            continue
        result.sent += 1
    return result

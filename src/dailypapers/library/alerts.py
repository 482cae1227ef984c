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
from urllib.parse import urlsplit

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from dailypapers.latex import plain
from dailypapers.library import searches
from dailypapers.library.models import SavedSearch
from dailypapers.search import indexer, rules

FREQUENCIES = {"daily": dt.timedelta(hours=20), "weekly": dt.timedelta(days=6, hours=12)}
MAX_PAPERS = 50


@dataclass
class SendResult:
    sent: int = 0
    nothing_new: int = 0
    failed: list[str] = field(default_factory=list)  # one sentence each


def set_mail(saved: SavedSearch, frequency: str) -> None:
    if frequency not in ("", *FREQUENCIES):
        raise ValidationError(f"“{frequency}” is not daily, weekly or off.")
    saved.mail = frequency
    if frequency and saved.mailed_at is None:
        saved.mailed_at = timezone.now()  # new matches from now on, not the whole back catalogue
    saved.save(update_fields=["mail", "mailed_at"])


def due(now: dt.datetime) -> list[SavedSearch]:
    rows = SavedSearch.objects.filter(mail__in=list(FREQUENCIES)).select_related("user")
    return [s for s in rows if s.user.email and (s.mailed_at is None or now - s.mailed_at >= FREQUENCIES[s.mail])]


_TOKEN_SALT = "dailypapers.library.alerts"


def stop_token(saved: SavedSearch) -> str:
    """A signed, never-expiring link that turns this search's mail off without a login (RFC 8058
    one-click). It names the search's private feed token too, so a deleted search's link dies."""
    return signing.dumps([saved.pk, saved.feed_token], salt=_TOKEN_SALT)


def read_stop_token(token: str) -> SavedSearch | None:
    try:
        pk, feed_token = signing.loads(token, salt=_TOKEN_SALT)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    return SavedSearch.objects.filter(pk=pk, feed_token=feed_token).first()


def _context(saved: SavedSearch, papers, total: int) -> dict:
    base = settings.BASE_URL
    return {
        "saved": saved,
        "papers": [
            {
                "title": plain(paper.title),
                "authors": f"{', '.join(paper.authors[:6])}{' et al.' if len(paper.authors) > 6 else ''}",
                "url": f"{base}{reverse('web:paper', args=[paper.arxiv_id])}",
            }
            for paper in papers
        ],
        "total": total,
        "more": max(0, total - len(papers)),
        "page_url": f"{base}{reverse('library:search', args=[saved.pk])}",
        "stop_url": f"{base}{reverse('library:search_stop', args=[stop_token(saved)])}",
    }


def body(saved: SavedSearch, papers, total: int | None = None) -> str:
    return render_to_string("library/email/alert.txt", _context(saved, papers, len(papers) if total is None else total))


def message(saved: SavedSearch, papers, total: int) -> EmailMultiAlternatives:
    """The alert: text and HTML, with the one-click unsubscribe headers the digests carry."""
    context = _context(saved, papers, total)
    domain = urlsplit(settings.BASE_URL).hostname or "localhost"
    mail = EmailMultiAlternatives(
        f"{total} new paper{'s' if total != 1 else ''} for “{saved.name}”",
        render_to_string("library/email/alert.txt", context),
        to=[saved.user.email],
        headers={
            "List-Unsubscribe": f"<{context['stop_url']}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "List-Id": f"dailypapers saved search <search-{saved.pk}.alerts.{domain}>",
            "Auto-Submitted": "auto-generated",
        },
    )
    mail.attach_alternative(render_to_string("library/email/alert.html", context), "text/html")
    return mail


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
    searches_due = due(now)
    if searches_due and indexer.pending():
        # Every paper stored before ``now`` must be searchable before the mark moves to ``now``: one
        # the index had not taken yet would be passed for good (a worker's machine may run no web
        # process whose refresher keeps its index current). A command, never a page, so it may write.
        indexer.catch_up(wait=True)
    for saved in searches_due:
        since = saved.mailed_at
        # Every match stored since the last mail, however low it ranks among all matches: the mark
        # moves past all of them, so a mail lists the best MAX_PAPERS and counts the rest.
        try:
            fresh = searches.new_matches(saved, since, MAX_PAPERS)
        except rules.QueryError as exc:
            result.failed.append(f"saved search {saved.pk} ({saved.user.email}): {exc}")
            continue
        if not fresh.total:
            result.nothing_new += 1
            continue
        if dry_run:
            result.sent += 1
            continue
        if not _claim(saved, since, now):
            continue  # another worker (or `searches send`) took this period's mail
        try:
            message(saved, fresh.papers, fresh.total).send()
        except (OSError, smtplib.SMTPException) as exc:
            # Not sent: hand the period back (only if nobody moved the mark since), for the next run.
            SavedSearch.objects.filter(pk=saved.pk, mailed_at=now).update(mailed_at=since)
            result.failed.append(f"saved search {saved.pk} ({saved.user.email}): the mail could not be sent: {exc}.")
            continue
        result.sent += 1
    return result

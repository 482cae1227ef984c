"""The site's own mails (not digests) go through a table first, so none is ever lost.

    with transaction.atomic():
        user = ...create...
        mail = outbox.enqueue(outbox.compose(...), kind="confirm-account", user=user)
    outbox.send_now(mail)          # after the commit: "sent" or "queued"

enqueue() stores the message in the caller's transaction, so the mail exists exactly when
what it is about does. send_now() tries it at once; if the server does not take it, the row
waits and `dailypapers worker` sends it (send_due) with exponential back-off. Each send
first claims the row (one UPDATE that only one process can win), so a mail is never sent by
two processes; a sender that died holding a claim loses it after LEASE. The one window no
SMTP client can close (accepted, then the process died before recording it) resends the
same Message-ID, as the digest ledger does.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from email.utils import make_msgid
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone

from dailypapers.digest import mailer
from dailypapers.digest.ledger import new_worker_id
from dailypapers.digest.models import OutboxMail

log = logging.getLogger("dailypapers.mail")

LEASE = dt.timedelta(minutes=10)
MAX_DELAY = 6 * 3600.0
SEND_NOW_TIMEOUT = 10.0  # a page waits at most this long for the SMTP server; the worker does the rest


def compose(to: str, subject: str, template: str, context: dict) -> EmailMultiAlternatives:
    """A text + HTML message from ``template``.txt and ``template``.html (Django templates)."""
    context = {"site_url": settings.BASE_URL, **context}
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"{template}.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers={"Auto-Submitted": "auto-generated"},
    )
    message.attach_alternative(render_to_string(f"{template}.html", context), "text/html")
    return message


def enqueue(message: EmailMultiAlternatives, kind: str, user=None) -> OutboxMail:
    """Store ``message`` (one recipient) in the current transaction; send_now() it after the commit."""
    (to,) = message.to
    html = next((content for content, mimetype in message.alternatives if mimetype == "text/html"), "")
    domain = urlsplit(settings.BASE_URL).hostname or "localhost"
    headers = {**message.extra_headers, "Message-ID": make_msgid("site", domain=domain)}
    return OutboxMail.objects.create(
        kind=kind, to=to, subject=message.subject, text=message.body, html=html, headers=headers, user=user
    )


def as_message(mail: OutboxMail) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=mail.subject, body=mail.text, from_email=settings.DEFAULT_FROM_EMAIL, to=[mail.to], headers=mail.headers
    )
    if mail.html:
        message.attach_alternative(mail.html, "text/html")
    return message


@dataclass
class Outcome:
    sent: int = 0
    retry: int = 0
    failed: int = 0
    kept: int = 0  # no mail server: kept in the outbox and printed


def send_now(mail: OutboxMail) -> str:
    """Try ``mail`` at once: 'sent', 'queued' (the worker retries it), 'failed' (refused for good) or 'kept'.

    Never raises for SMTP trouble: the caller's page says what happened instead. Without a mail
    server it is 'kept': stored here for the admin and printed (keep()).
    """
    worker = new_worker_id()
    if not _claim(mail.pk, worker):
        return "queued"  # a worker has it
    mail.refresh_from_db()
    if not mailer.has_mail_server():
        return _keep(mail, worker)
    try:
        connection = get_connection(timeout=min(settings.EMAIL_TIMEOUT or SEND_NOW_TIMEOUT, SEND_NOW_TIMEOUT))
    except Exception as exc:  # a backend that cannot even be built: the worker will say so loudly
        _retry(mail, worker, f"{exc.__class__.__name__}: {exc}")
        return "queued"
    try:
        return _send(connection, mail, worker)
    finally:
        mailer.close_quietly(connection)


def send_due(limit: int = 100, now: dt.datetime | None = None) -> Outcome:
    """Send the mails that are due on one connection (the worker's job); returns what happened."""
    outcome = Outcome()
    now = now or timezone.now()
    worker = new_worker_id()
    due = (
        OutboxMail.objects.filter(
            Q(state=OutboxMail.PENDING, next_attempt_at__isnull=True)
            | Q(state=OutboxMail.PENDING, next_attempt_at__lte=now)
            | Q(state=OutboxMail.SENDING, claimed_at__lt=now - LEASE)
        )
        .order_by("id")
        .values_list("id", flat=True)[:limit]
    )
    ids = [pk for pk in due if _claim(pk, worker, now)]
    if not ids:
        return outcome
    if not mailer.has_mail_server():
        for mail in OutboxMail.objects.filter(id__in=ids).order_by("id"):
            _keep(mail, worker)
            outcome.kept += 1
        return outcome
    connection = get_connection()
    try:
        try:
            connection.open()  # one connection for the round (send_messages would open and close one per mail)
        except OSError:
            pass  # the first send reports it as ServerUnavailable
        for index, mail in enumerate(OutboxMail.objects.filter(id__in=ids).order_by("id")):
            try:
                result = _send(connection, mail, worker, raise_unavailable=True)
            except mailer.ServerUnavailable as exc:
                # The server is down: every mail still held waits for the next round (each attempt counted).
                for rest in OutboxMail.objects.filter(id__in=ids[index:], state=OutboxMail.SENDING, claimed_by=worker):
                    field = _OUTCOME_FIELD[_retry(rest, worker, str(exc))]
                    setattr(outcome, field, getattr(outcome, field) + 1)
                log.warning("outbox: SMTP server unavailable (%s); %d mail(s) wait", exc, len(ids) - index)
                break
            field = _OUTCOME_FIELD[result]
            setattr(outcome, field, getattr(outcome, field) + 1)
    finally:
        mailer.close_quietly(connection)
    return outcome


_OUTCOME_FIELD = {"sent": "sent", "queued": "retry", "failed": "failed", "kept": "kept"}


def _keep(mail: OutboxMail, worker: str) -> str:
    """No mail server: the mail stays in the outbox for good (the admin lists it) and its text,
    links included, goes to this process's log, which `dailypapers run` prints on its terminal."""
    _finish(mail, worker, state=OutboxMail.KEPT, last_error=mailer.NO_MAIL_SERVER)
    body = "\n".join("    " + line for line in mail.text.strip().splitlines())
    log.warning(
        "no mail server (DAILYPAPERS_EMAIL_HOST): the mail to %s, %r, is kept in the outbox (admin: Outbox mails), "
        "not sent. Its text:\n%s",
        mail.to,
        mail.subject,
        body,
    )
    return "kept"


def _claim(pk: int, worker: str, now: dt.datetime | None = None) -> bool:
    now = now or timezone.now()
    claimable = Q(state=OutboxMail.PENDING) | Q(state=OutboxMail.SENDING, claimed_at__lt=now - LEASE)
    return bool(
        OutboxMail.objects.filter(claimable, pk=pk).update(
            state=OutboxMail.SENDING, claimed_by=worker, claimed_at=now, attempts=F("attempts") + 1
        )
    )


def _send(connection, mail: OutboxMail, worker: str, raise_unavailable: bool = False) -> str:
    try:
        mailer.send(connection, as_message(mail))
    except mailer.PermanentFailure as exc:
        _finish(mail, worker, state=OutboxMail.FAILED, last_error=str(exc))
        log.warning("outbox: %s to %s refused for good: %s", mail.kind, mail.to, exc)
        return "failed"
    except mailer.ServerUnavailable as exc:
        if raise_unavailable:
            raise
        return _retry(mail, worker, str(exc))
    except (mailer.TemporaryFailure, mailer.MailConfigError) as exc:
        return _retry(mail, worker, str(exc))
    _finish(mail, worker, state=OutboxMail.SENT, sent_at=timezone.now(), last_error="")
    return "sent"


def _retry(mail: OutboxMail, worker: str, error: str) -> str:
    config = settings.CONFIG
    attempts = OutboxMail.objects.values_list("attempts", flat=True).get(pk=mail.pk)
    if attempts >= config["DAILYPAPERS_OUTBOX_MAX_ATTEMPTS"]:
        _finish(mail, worker, state=OutboxMail.FAILED, last_error=error)
        log.error("outbox: %s to %s given up after %d attempts: %s", mail.kind, mail.to, attempts, error)
        return "failed"
    delay = min(config["DAILYPAPERS_OUTBOX_RETRY_BASE"] * 2 ** (attempts - 1), MAX_DELAY)
    _finish(
        mail,
        worker,
        state=OutboxMail.PENDING,
        last_error=error,
        next_attempt_at=timezone.now() + dt.timedelta(seconds=delay),
    )
    log.info("outbox: %s to %s not sent (%s); retry in %.0f s", mail.kind, mail.to, error, delay)
    return "queued"


def _finish(mail: OutboxMail, worker: str, **values) -> bool:
    """Leave 'sending' for a row we still hold (a taken-over claim is the new holder's)."""
    return bool(
        OutboxMail.objects.filter(pk=mail.pk, state=OutboxMail.SENDING, claimed_by=worker).update(
            claimed_by="", claimed_at=None, **values
        )
    )

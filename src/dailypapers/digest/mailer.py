"""Sending through Django's email backend, with SMTP failures sorted into what to do next.

- MailConfigError: the settings cannot work (no connection, login refused, our From
  address refused). Raised before anything is claimed, or stops a run.
- ServerUnavailable: the server went away mid-run (connection lost, refused, 421); the
  message is handed back untouched and sent once the server answers again.
- TemporaryFailure: a 4xx refusal of this message; retried later with back-off.
- PermanentFailure: a 5xx refusal of this message; counts as a bounce.
"""

from __future__ import annotations

import smtplib
import time

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.base import BaseEmailBackend


class MailConfigError(Exception):
    pass


class ServerUnavailable(Exception):
    pass


class TemporaryFailure(Exception):
    pass


class PermanentFailure(Exception):
    pass


SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"


def has_mail_server() -> bool:
    """Whether mail can leave this instance: False when it would go over SMTP with no server
    named (DAILYPAPERS_EMAIL_HOST empty, the default). Then the site keeps each mail in its
    outbox and prints it (outbox.keep), digests and saved-search mail wait, and the pages say so."""
    return settings.EMAIL_BACKEND != SMTP_BACKEND or bool(str(settings.EMAIL_HOST or "").strip())


NO_MAIL_SERVER = (
    "no mail server is configured (DAILYPAPERS_EMAIL_HOST is empty); set DAILYPAPERS_EMAIL_HOST "
    "(and DAILYPAPERS_EMAIL_PORT, _USER, _PASSWORD) to send mail"
)


def _where() -> str:
    return f"{settings.EMAIL_HOST}:{settings.EMAIL_PORT}"


def open_checked() -> BaseEmailBackend:
    """Connect (and log in, if configured) now, so wrong settings fail before any send."""
    if not has_mail_server():
        raise MailConfigError(NO_MAIL_SERVER[0].upper() + NO_MAIL_SERVER[1:] + ".")
    connection = get_connection(fail_silently=False)
    try:
        connection.open()
    except smtplib.SMTPAuthenticationError as exc:
        raise MailConfigError(
            f"The SMTP server at {_where()} refused the login for DAILYPAPERS_EMAIL_USER={settings.EMAIL_HOST_USER!r} "
            f"({exc.smtp_code} {_text(exc.smtp_error)}); check DAILYPAPERS_EMAIL_USER and DAILYPAPERS_EMAIL_PASSWORD."
        ) from exc
    except (OSError, smtplib.SMTPException) as exc:
        raise MailConfigError(
            f"Cannot open an SMTP connection to {_where()} ({exc.__class__.__name__}: {exc}); check "
            "DAILYPAPERS_EMAIL_HOST, DAILYPAPERS_EMAIL_PORT, DAILYPAPERS_EMAIL_STARTTLS and DAILYPAPERS_EMAIL_SSL."
        ) from exc
    return connection


def close_quietly(connection: BaseEmailBackend) -> None:
    try:
        connection.close()
    except (OSError, smtplib.SMTPException):
        pass  # the connection is gone either way


def send(connection: BaseEmailBackend, message: EmailMessage) -> None:
    """Send one message through the backend on ``connection``, classifying failures.

    The connection is opened first and left open, so a run reuses it (the backend's
    send_messages would otherwise open and close one per call).
    """
    try:
        if getattr(connection, "connection", True) is None:
            connection.open()
        sent = connection.send_messages([message])
    except smtplib.SMTPRecipientsRefused as exc:
        code, text = next(iter(exc.recipients.values()))
        if code == 421:  # smtplib has closed the connection
            close_quietly(connection)
            raise ServerUnavailable(f"{code} {_text(text)}") from exc
        _raise_for(code, text)
    except smtplib.SMTPSenderRefused as exc:
        if exc.smtp_code >= 500:
            raise MailConfigError(
                f"The SMTP server at {_where()} refuses our sender address {exc.sender!r} "
                f"({exc.smtp_code} {_text(exc.smtp_error)}); check DAILYPAPERS_EMAIL_FROM."
            ) from exc
        _raise_for(exc.smtp_code, exc.smtp_error)
    except smtplib.SMTPResponseException as exc:
        if exc.smtp_code == 421:  # service closing the channel: the server, not this message
            close_quietly(connection)
            raise ServerUnavailable(f"{exc.smtp_code} {_text(exc.smtp_error)}") from exc
        _raise_for(exc.smtp_code, exc.smtp_error)
    except (OSError, smtplib.SMTPException) as exc:  # refused, reset, timed out, disconnected
        close_quietly(connection)
        raise ServerUnavailable(f"{exc.__class__.__name__}: {exc}") from exc
    if sent != 1:  # only a backend configured to fail silently gets here
        raise ServerUnavailable("the email backend did not send the message")


def _text(raw: bytes | str) -> str:
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)


def _raise_for(code: int, text: bytes | str) -> None:
    detail = f"{code} {_text(text)}"
    if 400 <= code < 500:
        raise TemporaryFailure(detail)
    raise PermanentFailure(detail)


class Pacer:
    """Spaces sends to at most ``rate`` per second (0: no limit)."""

    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self._next = time.monotonic()

    def wait(self) -> None:
        if not self.interval:
            return
        now = time.monotonic()
        if self._next > now:
            time.sleep(self._next - now)
        self._next = max(self._next, now) + self.interval

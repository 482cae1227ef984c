"""A polite HTTP GET for the live sources (arXiv, Hugging Face), on the standard library.

Polite means: a descriptive User-Agent; at most one request per ``min_interval`` seconds to
a host, kept across calls (arXiv asks for one every 3 s); retries with exponential back-off
and jitter after timeouts, connection errors, 5xx and 429, waiting what ``Retry-After`` says
(in seconds or as an HTTP date), but never longer than ``max_wait``. Other 4xx are our
mistake, not the source's mood, so they fail at once. ``clock`` and ``sleep`` are injectable
so tests run at full speed while still seeing every wait asked for.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import errno
import http.client
import random
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.message import Message
from typing import Any
from urllib.parse import urlencode, urlsplit


class SourceError(Exception):
    """A source did not give us what we asked for; the message names the URL and why."""


class SourceUnavailable(SourceError):
    """The source kept failing (or asked us to wait too long); try again later."""


class SourceUnreachable(SourceUnavailable):
    """No connection could be made at all (refused, unknown host, no route): waiting will not fix it
    within one run, so it is said at once instead of after minutes of back-off."""

    def __init__(self, host: str, why: str) -> None:
        super().__init__(
            f"cannot reach {host}: {why}; is the network up? Nothing was fetched from it; "
            "run sync again when it answers"
        )
        self.host = host


def unreachable_reason(exc: BaseException) -> str | None:
    """Why no connection could be made, when retrying soon cannot help; None for other failures."""
    reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    if isinstance(reason, socket.gaierror):
        return f"the host name does not resolve ({reason.strerror or reason})"
    if isinstance(reason, ConnectionRefusedError):
        return "connection refused"
    if isinstance(reason, OSError) and reason.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH, errno.EADDRNOTAVAIL):
        return f"no route to it ({reason.strerror})"
    return None


class HttpStatusError(SourceError):
    """The source refused the request itself (a 4xx other than 429): retrying will not help."""

    def __init__(self, url: str, status: int, reason: str) -> None:
        super().__init__(f"GET {url} failed: HTTP {status} {reason}".rstrip())
        self.url, self.status = url, status


@dataclass(frozen=True)
class Response:
    url: str
    status: int
    headers: Message
    body: bytes


class ResponseTooLarge(SourceError):
    """The body is longer than the caller accepts (``max_bytes``): retrying will not help."""


class _Retryable(Exception):
    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason, self.retry_after = reason, retry_after


def retry_after_seconds(value: str | None, now: dt.datetime | None = None) -> float | None:
    """Seconds a ``Retry-After`` header asks for (delta-seconds or HTTP date); None if absent or unreadable."""
    if not value or not value.strip():
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    return max(0.0, (when - (now or dt.datetime.now(dt.timezone.utc))).total_seconds())


def with_params(url: str, params: Mapping[str, str] | None) -> str:
    if not params:
        return url
    return f"{url}{'&' if '?' in url else '?'}{urlencode(params)}"


class HttpClient:
    def __init__(
        self,
        user_agent: str,
        *,
        timeout: float = 30.0,
        retries: int = 5,
        max_wait: float = 600.0,
        min_interval: Mapping[str, float] | None = None,
        backoff: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        jitter: Callable[[], float] = random.random,
        notify: Callable[[str], None] | None = None,
    ) -> None:
        """``min_interval`` maps a host ("export.arxiv.org" or "127.0.0.1:8080") to the seconds
        between two requests to it; ``notify`` hears about each retry."""
        self.user_agent = user_agent
        self.timeout = timeout
        self.retries = retries
        self.max_wait = max_wait
        self.min_interval = {host.lower(): seconds for host, seconds in (min_interval or {}).items()}
        self.backoff = backoff
        self._clock, self._sleep, self._jitter = clock, sleep, jitter
        self._notify = notify or (lambda message: None)
        self._last_request: dict[str, float] = {}  # host -> clock() when its last request ended

    def get(self, url: str, params: Mapping[str, str] | None = None, *, max_bytes: int | None = None) -> Response:
        """GET ``url`` with ``params``; a 2xx response, or SourceError saying why not.

        ``max_bytes``: read at most that much and fail with ResponseTooLarge beyond it."""
        full_url = with_params(url, params)
        host = urlsplit(full_url).netloc.lower()
        attempts = self.retries + 1
        attempt = 1
        while True:
            self._wait_turn(host)
            try:
                return self._fetch(full_url, host, max_bytes)
            except _Retryable as failure:
                if attempt == attempts:
                    raise SourceUnavailable(f"GET {full_url} failed {attempts} times; last: {failure.reason}") from None
                wait = failure.retry_after if failure.retry_after is not None else self._backoff(attempt)
                if wait > self.max_wait:
                    raise SourceUnavailable(
                        f"GET {full_url}: {failure.reason} and the source asks us to wait {wait:.0f} s, "
                        f"longer than DAILYPAPERS_HTTP_MAX_WAIT ({self.max_wait:.0f} s); try again later"
                    ) from None
                attempt += 1
                self._notify(
                    f"{failure.reason} from {host}; retrying in {wait:.1f} s (attempt {attempt} of {attempts})"
                )
                self._pause(wait, full_url)

    def _pause(self, seconds: float, url: str) -> None:
        """Wait before retrying ``url`` (a client with a deadline refuses a wait that would pass it)."""
        self._sleep(seconds)

    def _backoff(self, attempt: int) -> float:
        base = self.backoff * 2 ** (attempt - 1)
        # Jitter spreads clients that failed together, so they do not come back together.
        return min(self.max_wait, base * (1 + 0.5 * self._jitter()))

    def _wait_turn(self, host: str) -> None:
        last = self._last_request.get(host)
        interval = self.min_interval.get(host, 0.0)
        if last is None or interval <= 0:
            return
        wait = last + interval - self._clock()
        if wait > 0:
            self._sleep(wait)

    def _fetch(self, url: str, host: str, max_bytes: int | None = None) -> Response:
        request = urllib.request.Request(url, headers={"User-Agent": self.user_agent})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as reply:
                body = reply.read() if max_bytes is None else reply.read(max_bytes + 1)
                if max_bytes is not None and len(body) > max_bytes:
                    raise ResponseTooLarge(f"GET {url}: the body is larger than {max_bytes:,} bytes")
                return Response(reply.geturl(), reply.status, reply.headers, body)
        except urllib.error.HTTPError as exc:
            exc.close()
            if exc.code == 429 or exc.code >= 500:
                raise _Retryable(
                    f"HTTP {exc.code} {exc.reason}".rstrip(), retry_after_seconds(exc.headers.get("Retry-After"))
                ) from None
            raise HttpStatusError(url, exc.code, str(exc.reason or "")) from None
        except TimeoutError:
            raise _Retryable(f"no answer within {self.timeout:g} s") from None
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError):
                raise _Retryable(f"no answer within {self.timeout:g} s") from None
            if (why := unreachable_reason(exc)) is not None:
                raise SourceUnreachable(host, why) from None
            raise _Retryable(f"connection failed ({exc.reason})") from None
        except (OSError, http.client.HTTPException) as exc:  # reset, cut-off body
            if (why := unreachable_reason(exc)) is not None:
                raise SourceUnreachable(host, why) from None
            raise _Retryable(f"connection failed ({exc.__class__.__name__}: {exc})") from None
        finally:
            self._last_request[host] = self._clock()


def client_from_config(config: Mapping[str, Any], **overrides: Any) -> HttpClient:
    """The client sync uses: settings for User-Agent, timeout, retries and the arXiv spacing.

    ``overrides`` (clock, sleep, notify, ...) go to HttpClient as they are."""
    delay = float(config["DAILYPAPERS_ARXIV_DELAY"])
    arxiv_hosts = {urlsplit(config[name]).netloc for name in ("DAILYPAPERS_ARXIV_OAI_URL", "DAILYPAPERS_ARXIV_API_URL")}
    options: dict[str, Any] = dict(
        timeout=float(config["DAILYPAPERS_HTTP_TIMEOUT"]),
        retries=int(config["DAILYPAPERS_HTTP_RETRIES"]),
        max_wait=float(config["DAILYPAPERS_HTTP_MAX_WAIT"]),
        min_interval={host: delay for host in arxiv_hosts},
    )
    options.update(overrides)
    return HttpClient(config["DAILYPAPERS_USER_AGENT"], **options)

"""An HTTP client that only reaches public addresses, within a total deadline: for image URLs,
which come from third parties (a Hugging Face entry names any address it likes).

- Only http and https, on every hop: redirects are followed here, each one checked again.
- The host is resolved once, every address it resolves to must be public (or on the lab's
  allow-list, DAILYPAPERS_MEDIA_ALLOWED_HOSTS), and the connection goes to that checked address:
  no second lookup a rebinding DNS server could answer differently. TLS still verifies the name.
- One get() (every attempt, redirect, wait and byte) ends by its deadline: a watchdog shuts the
  socket down when it passes, so a server sending one byte every few seconds cannot hold us.
- A body shorter than its Content-Length is a failed attempt, never an image.

Proxies from the environment are not used: the address check must see the address we connect to.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

from dailypapers.ingest.http import (
    HttpClient,
    HttpStatusError,
    Response,
    ResponseTooLarge,
    SourceError,
    SourceUnavailable,
    SourceUnreachable,
    _Retryable,
    retry_after_seconds,
)

MAX_REDIRECTS = 5
_CHUNK = 64 * 1024
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class AddressRefused(SourceError):
    """The URL (or a redirect) leads somewhere we never fetch from: not http(s), or not a public address."""


@dataclass(frozen=True)
class AddressPolicy:
    """Which hosts may be reached besides public ones (the lab's own allow-list)."""

    names: frozenset[str] = frozenset()
    networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()

    @classmethod
    def parse(cls, entries: Iterable[str]) -> AddressPolicy:
        """Host names, IP addresses and networks ('10.0.0.0/8'); ValueError naming a bad entry."""
        names, networks = set(), []
        for entry in entries:
            entry = entry.strip().lower().strip("[]")
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                if not all(part and len(part) < 64 for part in entry.split(".")) or "/" in entry or ":" in entry:
                    raise ValueError(
                        f"DAILYPAPERS_MEDIA_ALLOWED_HOSTS: {entry!r} is neither a host name, an IP address nor a network"
                    ) from None
                names.add(entry)
        return cls(frozenset(names), tuple(networks))

    def allows(self, host: str, address: IPAddress) -> bool:
        if is_public(address) or host.lower() in self.names:
            return True
        return any(address in network for network in self.networks if network.version == address.version)


def is_public(address: IPAddress) -> bool:
    """A globally routable unicast address (no loopback, private, link-local, shared, reserved, multicast)."""
    if isinstance(address, ipaddress.IPv6Address):
        # ::ffff:127.0.0.1 reaches 127.0.0.1; Python 3.11's is_global does not look inside it.
        mapped = address.ipv4_mapped or address.sixtofour
        if mapped is not None:
            return is_public(mapped)
    return address.is_global and not address.is_multicast


def resolve(host: str, port: int, policy: AddressPolicy) -> list[IPAddress]:
    """The addresses to connect to for ``host``; AddressRefused if any address it resolves to is not allowed
    (a name that also resolves to 127.0.0.1 is refused whole, not tried address by address)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise SourceUnreachable(host, f"the host name does not resolve ({exc})") from None
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]
    refused = [str(a) for a in addresses if not policy.allows(host, a)]
    if refused or not addresses:
        raise AddressRefused(
            f"{host} resolves to {', '.join(refused) or 'nothing'}: not a public address; image fetching "
            "reaches only public hosts and those in DAILYPAPERS_MEDIA_ALLOWED_HOSTS"
        )
    return list(dict.fromkeys(addresses))


def _check_url(url: str) -> tuple[str, str, int]:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise AddressRefused(f"{url[:200]}: only http and https addresses are fetched, not {parts.scheme or 'this'}")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise AddressRefused(f"{url[:200]}: the port is not a number from 1 to 65535") from None
    if not parts.hostname:
        raise AddressRefused(f"{url[:200]}: no host")
    return parts.scheme, parts.hostname, port


class _PinnedConnection(http.client.HTTPConnection):
    """HTTP(S) to ``host`` over a socket to one of the already checked ``addresses``, in turn."""

    def __init__(self, scheme: str, host: str, port: int, addresses: list[IPAddress], timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._scheme, self._addresses = scheme, addresses

    def connect(self) -> None:
        for n, address in enumerate(self._addresses, 1):
            try:
                self.sock = socket.create_connection((str(address), self.port), self.timeout)
                break
            except OSError:
                if n == len(self._addresses):
                    raise
        if self._scheme == "https":  # the plain socket is set first: the watchdog can end a stalled handshake
            self.sock = ssl.create_default_context().wrap_socket(self.sock, server_hostname=self.host)


class GuardedClient(HttpClient):
    """HttpClient (politeness, retries, Retry-After) whose every request goes through the address
    checks above; ``deadline`` seconds bound each get() in all."""

    def __init__(self, user_agent: str, *, policy: AddressPolicy, deadline: float, **options: Any) -> None:
        super().__init__(user_agent, **options)
        self.policy = policy
        self.deadline = deadline
        self._until = 0.0

    def get(
        self, url: str, params: Any = None, *, max_bytes: int | None = None, deadline: float | None = None
    ) -> Response:
        """As HttpClient.get; ``deadline`` (seconds) shortens this one request's deadline."""
        allowed = self.deadline if deadline is None else min(deadline, self.deadline)
        self._until = self._clock() + allowed
        return super().get(url, params, max_bytes=max_bytes)

    def _late(self, url: str) -> SourceUnavailable:
        return SourceUnavailable(
            f"GET {url}: not done within its deadline (DAILYPAPERS_MEDIA_FETCH_DEADLINE, {self.deadline:g} s, "
            "or what was left of the run's); left for a later run"
        )

    def _pause(self, seconds: float, url: str) -> None:
        if self._clock() + seconds >= self._until:
            raise self._late(url)
        self._sleep(seconds)

    def _left(self, url: str) -> float:
        left = self._until - self._clock()
        if left <= 0:
            raise self._late(url)
        return left

    def _fetch(self, url: str, host: str, max_bytes: int | None = None) -> Response:
        try:
            current = url
            for _hop in range(MAX_REDIRECTS + 1):
                response = self._one(current, max_bytes)
                if response.status in (301, 302, 303, 307, 308):
                    location = response.headers.get("Location")
                    if not location:
                        raise HttpStatusError(current, response.status, "redirect without a Location")
                    current = urljoin(current, location.strip())
                    continue
                return response
            raise HttpStatusError(url, 310, f"more than {MAX_REDIRECTS} redirects")
        finally:
            self._last_request[host] = self._clock()

    def _one(self, url: str, max_bytes: int | None) -> Response:
        scheme, host, port = _check_url(url)
        addresses = resolve(host, port, self.policy)
        left = self._left(url)
        connection = _PinnedConnection(scheme, host, port, addresses, min(self.timeout, left))
        # The per-read timeout alone lets a trickling server go on for ever; this ends it at the deadline.
        watchdog = threading.Timer(left, _shut, (connection,))
        watchdog.daemon = True
        watchdog.start()
        target = urlsplit(url)
        path = (target.path or "/") + (f"?{target.query}" if target.query else "")
        try:
            named = f"[{host}]" if ":" in host else host
            default_port = 443 if scheme == "https" else 80
            headers = {
                "Host": named if port == default_port else f"{named}:{port}",
                "User-Agent": self.user_agent,
                "Accept-Encoding": "identity",
            }
            connection.request("GET", path, headers=headers)
            reply = connection.getresponse()
            if reply.status in (301, 302, 303, 307, 308):
                return Response(url, reply.status, reply.headers, b"")
            if reply.status == 429 or reply.status >= 500:
                raise _Retryable(
                    f"HTTP {reply.status} {reply.reason}".rstrip(),
                    retry_after_seconds(reply.headers.get("Retry-After")),
                )
            if reply.status >= 400 or reply.status < 200:
                raise HttpStatusError(url, reply.status, reply.reason or "")
            body = self._read(reply, url, max_bytes)
            return Response(url, reply.status, reply.headers, body)
        except (AddressRefused, HttpStatusError, ResponseTooLarge, _Retryable, SourceUnavailable):
            raise
        except (OSError, http.client.HTTPException) as exc:  # ssl.SSLError and TimeoutError are OSErrors
            if self._clock() >= self._until:
                raise self._late(url) from None
            if isinstance(exc, TimeoutError):
                raise _Retryable(f"no answer within {connection.timeout:g} s") from None
            if isinstance(exc, ConnectionRefusedError):
                raise SourceUnreachable(host, "connection refused") from None
            raise _Retryable(f"connection failed ({exc.__class__.__name__}: {exc})") from None
        finally:
            watchdog.cancel()
            connection.close()

    def _read(self, reply: http.client.HTTPResponse, url: str, max_bytes: int | None) -> bytes:
        declared = reply.getheader("Content-Length")
        length = int(declared) if declared and declared.strip().isdigit() else None
        if max_bytes is not None and length is not None and length > max_bytes:
            raise ResponseTooLarge(f"GET {url}: the body is larger than {max_bytes:,} bytes")
        parts, size = [], 0
        while True:
            chunk = reply.read1(_CHUNK)  # one read at a time, so the deadline is looked at between them
            if not chunk:
                break
            parts.append(chunk)
            size += len(chunk)
            if max_bytes is not None and size > max_bytes:
                raise ResponseTooLarge(f"GET {url}: the body is larger than {max_bytes:,} bytes")
            self._left(url)
        if length is not None and size != length:
            raise _Retryable(f"the body was cut short: {size:,} of {length:,} bytes")
        return b"".join(parts)


def _shut(connection: http.client.HTTPConnection) -> None:
    sock = connection.sock
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

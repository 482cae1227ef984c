"""A local HTTP server on loopback that replays recorded responses, for tests without network.

Usage::

    with ReplayServer() as server:
        server.route("/oai", Reply.file(page1), when={"verb": "ListRecords"})
        server.route("/oai", [Reply(503, body, {"Retry-After": "10"}), Reply.file(page2)],
                     when=lambda q: q.get("resumptionToken") == "6960524|1001")
        ... point the code under test at server.url("/oai") ...
        assert server.requests[0].query["set"] == "cs"

A route is a path plus a predicate on the query (a dict of exact values, or a callable given
the query as {name: first value}). Routes are tried newest first, so a test can override an
earlier route. Each request a route answers consumes its next reply; the last reply repeats
once the others are used. A request no route answers gets a 404 and is kept in ``unmatched``.
Every request is recorded with its headers and the time it arrived, read from ``clock`` (pass
the fake clock the code under test uses to compare spacing in its time).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

Query = dict[str, str]


@dataclass(frozen=True)
class Reply:
    """One recorded response: status, body, headers; ``delay`` stalls it (to provoke timeouts)."""

    status: int = 200
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    delay: float = 0.0

    @classmethod
    def file(
        cls,
        path: str | Path,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
        content_type: str | None = None,
    ) -> Reply:
        """Replay a recorded body from a file; the content type follows its suffix unless given."""
        path = Path(path)
        guessed = {
            ".xml": "text/xml; charset=utf-8",
            ".atom": "application/atom+xml; charset=utf-8",
            ".html": "text/html; charset=utf-8",
            ".json": "application/json",
        }
        merged = {"Content-Type": content_type or guessed.get(path.suffix, "application/octet-stream")}
        merged.update(headers or {})
        return cls(status, path.read_bytes(), merged)


@dataclass(frozen=True)
class Received:
    """A request the server got."""

    method: str
    path: str
    query: Query  # first value of each parameter, decoded
    raw_query: str
    headers: Message
    body: bytes
    time: float  # by the server's clock

    def header(self, name: str) -> str | None:
        return self.headers.get(name)


@dataclass
class Route:
    path: str
    when: Callable[[Query], bool]
    replies: list[Reply]
    method: str = "GET"
    answered: int = 0

    def next_reply(self) -> Reply:
        reply = self.replies[min(self.answered, len(self.replies) - 1)]
        self.answered += 1
        return reply


class ReplayServer:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._routes: list[Route] = []
        self._lock = threading.Lock()
        self.requests: list[Received] = []
        self.unmatched: list[Received] = []
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> ReplayServer:
        handler = type("Handler", (_Handler,), {"replay": self})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="replay-server", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._thread.join(timeout=5)
            self._httpd = self._thread = None

    def __enter__(self) -> ReplayServer:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("the replay server is not started")
        return self._httpd.server_address[1]

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    # -- routes and records ------------------------------------------------------------------
    def route(
        self,
        path: str,
        replies: Reply | Sequence[Reply],
        when: Mapping[str, str] | Callable[[Query], bool] | None = None,
        method: str = "GET",
    ) -> Route:
        """Answer ``method path`` requests whose query matches ``when`` with ``replies`` in turn."""
        if isinstance(replies, Reply):
            replies = [replies]
        if not replies:
            raise ValueError("a route needs at least one reply")
        if when is None:
            predicate: Callable[[Query], bool] = lambda query: True
        elif callable(when):
            predicate = when
        else:
            expected = dict(when)
            predicate = lambda query: all(query.get(k) == v for k, v in expected.items())
        route = Route(path, predicate, list(replies), method.upper())
        with self._lock:
            self._routes.append(route)
        return route

    def reset(self) -> None:
        """Forget every route and recorded request (the server keeps running)."""
        with self._lock:
            self._routes.clear()
            self.requests.clear()
            self.unmatched.clear()

    def _answer(self, received: Received) -> Reply:
        with self._lock:
            self.requests.append(received)
            for route in reversed(self._routes):
                if route.method == received.method and route.path == received.path and route.when(received.query):
                    return route.next_reply()
            self.unmatched.append(received)
        return Reply(
            404,
            f"replay server: no route for {received.method} {received.path}?{received.raw_query}".encode(),
            {"Content-Type": "text/plain"},
        )


class _Handler(BaseHTTPRequestHandler):
    replay: ReplayServer
    protocol_version = "HTTP/1.1"

    def _serve(self) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        query = {name: values[0] for name, values in parse_qs(parts.query, keep_blank_values=True).items()}
        received = Received(self.command, parts.path, query, parts.query, self.headers, body, self.replay._clock())
        reply = self.replay._answer(received)
        if reply.delay:
            time.sleep(reply.delay)
        try:
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(reply.body)))
            self.send_header("Connection", "close")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(reply.body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test): nothing to answer to
        self.close_connection = True

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _serve

    def log_message(self, format: str, *args) -> None:  # keep test output clean
        pass

"""Loopback HTTP servers that misbehave on purpose, written on bare sockets: one that trickles its
answer a byte at a time, one that sends less body than its Content-Length says.

    with TricklingServer(interval=0.5) as slow:   # headers, then one byte every 0.5 s, for ever
        slow.url("/x.png"); slow.connections       # how many clients it has held so far

Each connection is answered in its own thread; stop() closes them all.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable


class RawServer:
    def __init__(self, answer: Callable[[socket.socket, threading.Event], None]) -> None:
        self._answer = answer
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._closing = threading.Event()
        self._lock = threading.Lock()
        self._open: list[socket.socket] = []
        self.connections = 0

    @property
    def port(self) -> int:
        return self._listener.getsockname()[1]

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def start(self) -> RawServer:
        threading.Thread(target=self._accept, name="raw-server", daemon=True).start()
        return self

    def stop(self) -> None:
        self._closing.set()
        self._listener.close()
        with self._lock:
            for conn in self._open:
                conn.close()

    def __enter__(self) -> RawServer:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def _accept(self) -> None:
        while not self._closing.is_set():
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                self.connections += 1
                self._open.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            _read_head(conn)
            self._answer(conn, self._closing)
        except OSError:
            pass  # the client gave up: that is what these servers are for
        finally:
            conn.close()


def _read_head(conn: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


class TricklingServer(RawServer):
    """Status line and headers (Content-Length: ``length``), then one body byte every ``interval`` seconds;
    with ``trickle_head`` the head itself comes a byte at a time."""

    def __init__(self, interval: float = 0.5, length: int = 10_000, trickle_head: bool = False) -> None:
        def answer(conn: socket.socket, closing: threading.Event) -> None:
            head = f"HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: {length}\r\n\r\n".encode()
            body = b"\x89PNG\r\n\x1a\n" + b"\0" * length
            stream = (head + body[:length]) if trickle_head else body[:length]
            if not trickle_head:
                conn.sendall(head)
            for i in range(len(stream)):
                if closing.wait(interval):
                    return
                conn.sendall(stream[i : i + 1])

        super().__init__(answer)


class ShortBodyServer(RawServer):
    """Says Content-Length: ``declared`` and sends ``body`` (shorter), then closes the connection."""

    def __init__(self, body: bytes, declared: int) -> None:
        def answer(conn: socket.socket, closing: threading.Event) -> None:
            head = f"HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: {declared}\r\n\r\n".encode()
            conn.sendall(head + body)
            time.sleep(0.05)

        super().__init__(answer)

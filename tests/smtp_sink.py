"""A real SMTP server (aiosmtpd) on loopback for digest tests, with failure injection.

    sink = SmtpSink().start()          # listens on 127.0.0.1, a free port
    sink.temp_fail["a@x.org"] = 2      # 451 for a@x.org's first 2 attempts
    sink.perm_fail.add("b@x.org")      # 550 for b@x.org, always
    sink.delay = 0.3                   # slow mode: each DATA waits before its reply
    sink.stop(); sink.start()          # server down, then up again on the same port

A message counts as received only once its 250 reply goes to a live connection: a client
killed while the sink is still "thinking" about DATA delivered nothing, as with a real server.
Also runnable as a process (`python tests/smtp_sink.py PORT`) that prints its count on SIGTERM.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import signal
import socket
import sys
import threading
import time
from collections import Counter

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Handler:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        sink = self.sink
        with sink.lock:
            sink.rcpt_attempts[address] += 1
            if not any(seen is session for seen in sink.sessions):
                sink.sessions.append(session)
            if address in sink.perm_fail:
                return "550 5.1.1 Mailbox unavailable"
            if sink.temp_fail.get(address, 0) > 0:
                sink.temp_fail[address] -= 1
                return "451 4.3.0 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        sink = self.sink
        if sink.delay:
            with sink.lock:
                sink.in_data += 1
            try:
                deadline = time.monotonic() + sink.delay
                while time.monotonic() < deadline:
                    await asyncio.sleep(0.005)
                    if server.transport is None or server.transport.is_closing():
                        return "451 4.4.2 Connection lost"  # nobody hears this: nothing was accepted
            finally:
                with sink.lock:
                    sink.in_data -= 1
        if server.transport is None or server.transport.is_closing():
            return "451 4.4.2 Connection lost"
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with sink.lock:
            for rcpt in envelope.rcpt_tos:
                sink.messages.append((rcpt, message))
        return "250 Message accepted"


class SmtpSink:
    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.lock = threading.Lock()
        self.messages: list[tuple[str, email.message.EmailMessage]] = []
        self.rcpt_attempts: Counter = Counter()
        self.sessions: list = []  # one per SMTP connection that tried to deliver something
        self.temp_fail: dict[str, int] = {}
        self.perm_fail: set[str] = set()
        self.delay = 0.0
        self.in_data = 0  # clients waiting for a DATA reply right now (slow mode)
        self._controller: Controller | None = None

    def start(self) -> SmtpSink:
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def connections(self) -> int:
        """SMTP connections that delivered (or tried to deliver) at least one message."""
        with self.lock:
            return len(self.sessions)

    def received(self) -> Counter:
        """Mails accepted per recipient."""
        with self.lock:
            return Counter(rcpt for rcpt, _ in self.messages)

    def mails_to(self, address: str) -> list:
        with self.lock:
            return [m for rcpt, m in self.messages if rcpt == address]

    def settings(self) -> dict:
        """Django settings that point the email backend at this sink."""
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": self.port,
            "EMAIL_USE_TLS": False,
            "EMAIL_USE_SSL": False,
            "EMAIL_HOST_USER": "",
            "EMAIL_HOST_PASSWORD": "",
        }

    def env(self) -> dict:
        """The same, as environment variables for a `dailypapers` subprocess."""
        return {
            "DAILYPAPERS_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "DAILYPAPERS_EMAIL_HOST": "127.0.0.1",
            "DAILYPAPERS_EMAIL_PORT": str(self.port),
            "DAILYPAPERS_EMAIL_STARTTLS": "0",
            "DAILYPAPERS_EMAIL_SSL": "0",
            "DAILYPAPERS_EMAIL_USER": "",
            "DAILYPAPERS_EMAIL_PASSWORD": "",
        }


class _CountingHandler:
    """For the benchmark: counts accepted mails without parsing them."""

    def __init__(self) -> None:
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += len(envelope.rcpt_tos)
        return "250 Message accepted"


def main(port: int) -> None:
    handler = _CountingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    print("ready", flush=True)
    stopped.wait()
    controller.stop()
    print(handler.count, flush=True)


if __name__ == "__main__":
    main(int(sys.argv[1]))

"""Browser tests: Playwright driving Debian's chromium against pytest-django's live server."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")

# Playwright's sync API runs an event loop in the test thread; the ORM calls the test makes
# around it are still plain synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_configure(config):
    config.addinivalue_line("markers", "e2e: end-to-end browser tests (need /usr/bin/chromium)")


@pytest.fixture(scope="session")
def live_server(request):
    """pytest-django's live server, serving static files as production does: collected (hashed
    names, gzip copies) and served by WhiteNoise in the middleware, not by Django's finders."""
    from django.core.management import call_command
    from pytest_django import live_server_helper

    call_command("collectstatic", interactive=False, verbosity=0)  # into STATIC_ROOT, this run's data dir
    server = live_server_helper.LiveServer(request.config.getvalue("liveserver") or "localhost", start=False)
    server.thread.static_handler = lambda app: app  # no StaticFilesHandler in front: WhiteNoise answers /static/
    server.start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def fresh_rate_limits(transactional_db):
    """Without this, the logins of earlier browser tests (all from 127.0.0.1) locked later
    ones out in a full run (the submit and web journeys timed out on their login)."""
    from dailypapers import ratelimit

    ratelimit.reset()


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.skip("browser tests need Debian's chromium at /usr/bin/chromium (.ci/run installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture
def screenshots(tmp_path) -> Path:
    folder = Path(os.environ.get("DAILYPAPERS_SCREENSHOTS") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def smtp_server():
    """A real SMTP server on loopback (aiosmtpd) collecting every message."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message

    received = []

    class Collect(Message):
        def handle_message(self, message):
            received.append(message)

    with socket.socket() as probe:  # aiosmtpd needs a concrete port to check it is up
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Collect(), hostname="127.0.0.1", port=port)
    controller.start()
    controller.received = received
    yield controller
    controller.stop()

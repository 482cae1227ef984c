"""In a real browser: submit a paper while arXiv is unreachable, see it wait on the account page,
and find it on the list once the worker has fetched it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from dailypapers.community import submissions
from dailypapers.community.models import PendingSubmission
from replay_server import ReplayServer, Reply
from smtp_sink import free_port
from tests.conftest import RECORDED

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
PASSWORD = "a long enough passphrase 42"


def test_a_submission_waits_for_arxiv_and_appears(browser, live_server, settings, screenshots):
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False
    settings.CONFIG = {
        **settings.CONFIG,
        "DAILYPAPERS_ARXIV_DELAY": 0.0,
        "DAILYPAPERS_HTTP_TIMEOUT": 2.0,
        "DAILYPAPERS_ARXIV_API_URL": f"http://127.0.0.1:{free_port()}/api/query",
    }  # arXiv down
    get_user_model().objects.create_user("erin", "erin@example.org", PASSWORD)
    url = live_server.url
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    page.goto(url + "/accounts/login")
    page.fill("#id_username", "erin")
    page.fill("#id_password", PASSWORD)
    page.click("main button:has-text('Log in')")

    page.goto(url + "/submit")
    page.fill("#arxiv", "https://arxiv.org/abs/1611.09520")
    page.click("main button:has-text('Submit')")
    assert page.url == url + "/account"
    assert "arXiv cannot be reached right now" in page.locator(".messages").inner_text()
    assert "1611.09520: waiting" in page.locator("#submissions").inner_text()
    assert "Errno" not in page.content()
    page.screenshot(path=str(screenshots / "submission-waiting.png"), full_page=True)

    with ReplayServer() as arxiv:  # arXiv is back; the worker's job runs
        arxiv.route("/api/query", Reply.file(RECORDED))
        settings.CONFIG = {**settings.CONFIG, "DAILYPAPERS_ARXIV_API_URL": arxiv.url("/api/query")}
        PendingSubmission.objects.update(next_attempt_at=timezone.now() - dt.timedelta(seconds=1))
        assert submissions.fetch_pending().done == 1
    page.reload()
    page.click("#submissions a:has-text('1611.09520')")
    assert page.url == url + "/papers/1611.09520"
    page.goto(url + "/")
    assert "submitted by erin" in page.content()

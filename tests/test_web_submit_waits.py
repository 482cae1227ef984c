"""Submissions that wait for arXiv: stored when arXiv cannot be reached, fetched by the worker.

The reproduction: with arXiv unreachable, /submit showed a raw "GET https://export.arxiv.org/...
failed 2 times; last: connection failed" after 3.4 s and queued nothing, and the API answered
400, a client error, for our side's failure. arXiv is a replay server on loopback here (or a
port nobody listens on).
"""

import datetime as dt
import time

import pytest
from django.utils import timezone

from dailypapers.community import submissions, tokens
from dailypapers.community.models import PendingSubmission, Submission
from dailypapers.store.models import DailyEntry, Paper
from replay_server import ReplayServer, Reply
from smtp_sink import free_port
from tests.conftest import RECORDED

pytestmark = pytest.mark.django_db
PAPER = "1611.09520"  # in the recorded arXiv API response


@pytest.fixture
def arxiv(settings):
    """arXiv as a replay server; tests add routes (or stop it)."""
    with ReplayServer() as server:
        settings.CONFIG = {
            **settings.CONFIG,
            "DAILYPAPERS_ARXIV_DELAY": 0.0,
            "DAILYPAPERS_HTTP_TIMEOUT": 2.0,
            "DAILYPAPERS_ARXIV_API_URL": server.url("/api/query"),
        }
        yield server


@pytest.fixture
def arxiv_down(settings, arxiv):
    """Nobody listens where arXiv should be (the replay server stays ready for when it is back)."""
    settings.CONFIG = {
        **settings.CONFIG,
        "DAILYPAPERS_ARXIV_DELAY": 0.0,
        "DAILYPAPERS_ARXIV_API_URL": f"http://127.0.0.1:{free_port()}/api/query",
    }


@pytest.fixture
def bearer(alice):
    return {"HTTP_AUTHORIZATION": f"Bearer {tokens.create(alice, 'test')[1]}"}


def make_due():
    PendingSubmission.objects.update(next_attempt_at=timezone.now() - dt.timedelta(seconds=1))


def test_unreachable_arxiv_keeps_the_submission_and_says_so(alice_client, arxiv_down, settings, arxiv):
    started = time.monotonic()
    response = alice_client.post("/submit", {"arxiv": f"https://arxiv.org/abs/{PAPER}v2"}, follow=True)
    assert time.monotonic() - started < 3  # no retry loop while the submitter waits
    page = response.content.decode()
    assert response.redirect_chain[-1][0] == "/account"
    assert "arXiv cannot be reached right now" in page and "Your submission is saved" in page
    assert "GET http" not in page and "Errno" not in page  # no raw client error
    pending = PendingSubmission.objects.get()
    assert (pending.arxiv_id, pending.state, pending.submitted_by) == (PAPER, "waiting", "alice")
    assert f"{PAPER}: waiting" in page
    assert not Paper.objects.exists()
    # arXiv is back (the replay server): the worker's job fetches it.
    settings.CONFIG = {**settings.CONFIG, "DAILYPAPERS_ARXIV_API_URL": arxiv.url("/api/query")}
    arxiv.route("/api/query", Reply.file(RECORDED, headers={"Content-Type": "application/atom+xml"}))
    assert submissions.fetch_pending().done == 0  # not due yet
    make_due()
    report = submissions.fetch_pending()
    assert report.done == 1 and arxiv.requests[0].query["id_list"] == PAPER
    paper = Paper.objects.get(arxiv_id=PAPER)
    entry = DailyEntry.objects.get(paper=paper)
    assert entry.source == "community" and entry.submitted_by == "alice" and entry.date == pending.date
    assert Submission.objects.get().paper == paper
    page = alice_client.get("/account").content.decode()
    assert f"/papers/{PAPER}" in page and "fetched" in page
    assert "submitted by alice" in alice_client.get("/").content.decode()
    make_due()
    assert submissions.fetch_pending().done == 0 and len(arxiv.requests) == 1  # done once


def test_api_answers_503_with_retry_after_and_asking_again_is_safe(client, bearer, arxiv):
    arxiv.route("/api/query", Reply(503, b"Service Unavailable", {"Retry-After": "10"}))
    response = client.post("/api/submit", {"arxiv": PAPER}, content_type="application/json", **bearer)
    assert response.status_code == 503 and int(response["Retry-After"]) > 0
    body = response.json()
    assert body["pending"] is True and body["arxiv_id"] == PAPER and "saved" in body["detail"]
    again = client.post("/api/submit", {"arxiv": PAPER}, content_type="application/json", **bearer)
    assert again.status_code == 503 and PendingSubmission.objects.count() == 1
    assert len(arxiv.requests) == 1  # the waiting submission answered; arXiv was not asked twice
    arxiv.route("/api/query", Reply.file(RECORDED))
    make_due()
    submissions.fetch_pending()
    done = client.post("/api/submit", {"arxiv": PAPER}, content_type="application/json", **bearer)
    assert done.status_code == 200 and done.json()["created"] is False and done.json()["paper"]["id"] == PAPER


def test_an_id_arxiv_does_not_know_is_still_a_4xx_with_a_reason(client, alice_client, bearer, arxiv):
    arxiv.route("/api/query", Reply.file(RECORDED))  # the feed lacks 2501.99999
    response = client.post("/api/submit", {"arxiv": "2501.99999"}, content_type="application/json", **bearer)
    assert response.status_code == 404 and "arXiv has no paper 2501.99999" in response.json()["detail"]
    arxiv.route("/api/query", Reply(404, b"not found"), when={"id_list": "2501.88888"})
    response = client.post("/api/submit", {"arxiv": "2501.88888"}, content_type="application/json", **bearer)
    assert response.status_code == 404 and "HTTP 404" in response.json()["detail"]
    page = alice_client.post("/submit", {"arxiv": "2501.88888"})
    assert page.status_code == 400 and "arXiv has no paper 2501.88888" in page.content.decode()
    bad = client.post("/api/submit", {"arxiv": "not an id"}, content_type="application/json", **bearer)
    assert bad.status_code == 400
    assert not PendingSubmission.objects.exists()


def test_timeouts_and_junk_count_as_unreachable(alice_client, arxiv, settings):
    settings.CONFIG = {**settings.CONFIG, "DAILYPAPERS_HTTP_TIMEOUT": 0.3}
    arxiv.route("/api/query", Reply(200, b"", delay=2.0))
    alice_client.post("/submit", {"arxiv": PAPER})
    arxiv.reset()
    arxiv.route("/api/query", Reply(200, b"<html>captive portal</html>"))
    alice_client.post("/submit", {"arxiv": "2501.00001"})
    assert sorted(PendingSubmission.objects.values_list("arxiv_id", "state")) == [
        ("1611.09520", "waiting"),
        ("2501.00001", "waiting"),
    ]


def test_worker_backs_off_and_a_paper_that_turns_out_unknown_ends_failed(alice_client, arxiv_down, arxiv, settings):
    alice_client.post("/submit", {"arxiv": "2501.99999"})
    make_due()
    report = submissions.fetch_pending()
    pending = PendingSubmission.objects.get()
    assert report.waiting == 1 and pending.attempts == 2
    assert 100 < (pending.next_attempt_at - timezone.now()).total_seconds() <= 120  # doubled from 60 s
    settings.CONFIG = {**settings.CONFIG, "DAILYPAPERS_ARXIV_API_URL": arxiv.url("/api/query")}
    arxiv.route("/api/query", Reply.file(RECORDED))
    make_due()
    assert submissions.fetch_pending().failed == 1
    assert "arXiv has no paper 2501.99999" in alice_client.get("/account").content.decode()

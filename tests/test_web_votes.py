"""Votes: one per user per paper, toggling, POST+CSRF only, exact counts under concurrent voting."""

import datetime as dt
import threading

import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from dailypapers.community import votes
from dailypapers.community.models import Vote
from dailypapers.store.models import PaperStats
from tests.web_fixtures import feature

DAY = dt.date(2025, 1, 6)


@pytest.mark.django_db
def test_vote_toggles_and_counts(alice_client):
    paper = feature(DAY, 1, upvotes=4)[0]
    url = f"/papers/{paper.arxiv_id}/vote"
    response = alice_client.post(url, HTTP_ACCEPT="application/json")
    assert response.json() == {"voted": True, "upvotes": 5, "communityUpvotes": 1, "hfUpvotes": 4}
    response = alice_client.post(url, HTTP_ACCEPT="application/json")
    assert response.json()["voted"] is False and response.json()["communityUpvotes"] == 0
    response = alice_client.post(url, {"vote": "1", "next": "/trending"})
    assert response.status_code == 302 and response["Location"] == "/trending"
    alice_client.post(url, {"vote": "1"})  # explicit "vote" twice is still one vote
    assert Vote.objects.filter(paper=paper).count() == 1
    assert PaperStats.objects.get(paper=paper).community_votes == 1


@pytest.mark.django_db
def test_vote_needs_login_and_post(alice_client):
    from django.test import Client

    client = Client()
    paper = feature(DAY, 1)[0]
    url = f"/papers/{paper.arxiv_id}/vote"
    assert client.post(url)["Location"].startswith("/accounts/login")
    assert "data-autosubmit" in alice_client.get(url).content.decode()  # GET: the vote's POST form, no write
    assert not Vote.objects.exists()


@pytest.mark.django_db
def test_offsite_next_is_ignored(alice_client):
    paper = feature(DAY, 1)[0]
    response = alice_client.post(f"/papers/{paper.arxiv_id}/vote", {"next": "https://evil.example/"})
    assert response["Location"] == f"/papers/{paper.arxiv_id}"


@pytest.mark.django_db(transaction=True)
def test_concurrent_votes_are_exact():
    paper = feature(DAY, 1, upvotes=3)[0]
    User = get_user_model()
    users = [User.objects.create(username=f"voter{i}", email=f"v{i}@example.org") for i in range(12)]
    errors: list[BaseException] = []
    start = threading.Barrier(len(users))

    def vote(user):
        try:
            start.wait()
            votes.cast(user, paper, True)
            votes.cast(user, paper, None)  # toggle off ...
            votes.cast(user, paper, None)  # ... and on again
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=vote, args=(u,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    stats = PaperStats.objects.get(paper=paper)
    assert stats.community_votes == len(users) == Vote.objects.filter(paper=paper).count()
    assert stats.hf_votes == 3

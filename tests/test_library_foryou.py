"""For you: the page, the API and the CLI over real stored papers, with the reasons and the cache."""

import datetime as dt
import json

import pytest
from django.core.cache import cache
from django.core.management import call_command

from dailypapers import periods
from dailypapers.community import tokens
from dailypapers.community.models import Vote
from dailypapers.library import foryou, textspace
from dailypapers.library.models import CollectionItem
from tests.web_fixtures import feature

pytestmark = pytest.mark.django_db
OLD = dt.date(2025, 1, 6)
DAY = dt.date(2025, 1, 13)


@pytest.fixture(autouse=True)
def fresh(settings, tmp_path):
    # Fitting in a web thread is what a server does; here each test fits when it means to.
    settings.CONFIG = {**settings.CONFIG, "DAILYPAPERS_HOME": tmp_path, "DAILYPAPERS_RECS_FIT_IN_WEB": False}
    textspace._memo.clear()
    textspace._fitting = None
    foryou._CANDIDATE_MEMO.clear()
    cache.clear()


def _world():
    """Liked: two papers on graph neural networks; the day: graphs, vision, and one by a liked author
    (the same person: the same co-author)."""
    liked = [
        feature(
            OLD,
            1,
            title="Graph neural networks for molecules",
            abstract="Message passing graph neural networks predict molecular properties.",
            authors=["Grace Hopper", "Howard Aiken"],
            categories=["cs.LG"],
        )[0],
        feature(
            OLD,
            1,
            title="Scalable graph neural networks",
            abstract="Sampling neighbours lets graph neural networks scale to large graphs.",
            authors=["Edsger Dijkstra"],
            categories=["cs.LG"],
        )[0],
    ]
    graph = feature(
        DAY,
        1,
        title="Graph neural networks on citation graphs",
        abstract="We study message passing graph neural networks on large citation graphs.",
        authors=["Niklaus Wirth"],
        categories=["cs.SI"],
    )[0]
    vision = feature(
        DAY,
        1,
        title="Image segmentation with convolutions",
        abstract="Convolutional vision models segment street scenes.",
        authors=["Barbara Liskov"],
        categories=["cs.CV"],
        upvotes=50,
    )[0]
    coauthor = feature(
        DAY,
        1,
        title="Compilers and type systems",
        abstract="Type inference for a functional language compiler.",
        # The same Grace Hopper as the liked paper's: they share a co-author (rank/people.py), so
        # a paper on another subject still counts as hers.
        authors=["Grace Hopper", "Howard Aiken"],
        categories=["cs.PL"],
    )[0]
    hidden = feature(
        DAY,
        1,
        title="Graph neural networks again, not for me",
        abstract="Graph neural networks with message passing on graphs.",
        authors=["X Y"],
        categories=["cs.LG"],
    )[0]
    return liked, graph, vision, coauthor, hidden


def test_cold_start_then_personal_ranking_with_reasons(alice_client, alice):
    liked, graph, vision, coauthor, hidden = _world()
    alice_client.post("/library/interests", {"categories": "cs.CV", "keywords": ""})
    page = alice_client.get(f"/for-you?date={DAY}").content.decode()
    assert "being prepared" in page  # no text model yet: the cold start says so
    assert page.index("Image segmentation") < page.index("Compilers and type systems")  # cs.CV first
    assert "in cs.CV, which you follow" in page
    textspace.fit()
    Vote.objects.create(user=alice, paper=liked[0])
    alice_client.post(f"/papers/{liked[1].arxiv_id}/save", {})
    alice_client.post(f"/papers/{hidden.arxiv_id}/signal", {"not_interested": "1"})
    alice_client.post(f"/papers/{graph.arxiv_id}/save", {"new_name": "Already"})
    result = foryou.for_you(alice, periods.Period.containing("day", DAY))
    assert result.personal and not result.cached
    ids = [i.paper_id for i in result.items]
    assert hidden.arxiv_id not in ids and graph.arxiv_id not in ids  # not interested, already saved
    Vote.objects.create(user=alice, paper=vision)
    assert vision.arxiv_id not in [
        i.paper_id for i in foryou.for_you(alice, periods.Period.containing("day", DAY)).items
    ]
    Vote.objects.filter(user=alice, paper=vision).delete()
    assert ids[0] == coauthor.arxiv_id
    assert "by Grace Hopper, who wrote 1 paper you liked" in result.items[0].why
    CollectionItem.objects.filter(paper=graph).delete()
    result = foryou.for_you(alice, periods.Period.containing("day", DAY))
    assert not result.cached  # a changed signal is a new ranking
    top = {i.paper_id: i for i in result.items}
    assert result.items[0].paper_id == graph.arxiv_id or result.items[1].paper_id == graph.arxiv_id
    assert any("which you liked" in why for why in top[graph.arxiv_id].why)
    assert foryou.for_you(alice, periods.Period.containing("day", DAY)).cached  # nothing changed: cached
    page = alice_client.get(f"/for-you?date={DAY}").content.decode()
    assert "Why:" in page and "being prepared" not in page and "not for me" not in page
    assert alice_client.get("/for-you?date=2025-13-45").status_code == 400


def test_api_recommendations_need_a_token_and_show_why(client, alice):
    liked, graph, *_ = _world()
    textspace.fit()
    Vote.objects.create(user=alice, paper=liked[0])
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {tokens.create(alice, 't')[1]}"}
    assert client.get("/api/recommendations").status_code == 401
    body = client.get(f"/api/recommendations?date={DAY}&limit=3", **bearer).json()
    assert body["personal"] and body["period"] == DAY.isoformat() and len(body["items"]) == 3
    assert body["items"][0]["paper"]["id"] and body["items"][0]["why"]
    week = client.get("/api/recommendations?week=2025-W03", **bearer).json()
    assert week["period"] == "2025-W03" and {i["paper"]["id"] for i in week["items"]} >= {graph.arxiv_id}
    assert client.get("/api/recommendations?week=2025-3", **bearer).status_code == 400


def test_read_status_opened_or_marked_and_hidden_from_for_you_on_request(alice_client, alice, client):
    liked, graph, vision, coauthor, hidden = _world()
    textspace.fit()
    Vote.objects.create(user=alice, paper=liked[0])
    page = alice_client.get(f"/papers/{graph.arxiv_id}").content.decode()
    assert "data-mark-opened" in page and "library/read.js" in page and "Mark read" in page
    from dailypapers.community.models import ReaderMark

    assert not ReaderMark.objects.filter(user=alice).exists()  # GET wrote nothing: read.js posts "opened"
    # What read.js sends on opening the page: the form's own POST, answered in JSON.
    opened = alice_client.post(f"/papers/{graph.arxiv_id}/signal", {"read": "1"}, HTTP_ACCEPT="application/json")
    assert opened.json() == {"not_interested": False, "read": True}
    page = alice_client.get(f"/papers/{graph.arxiv_id}").content.decode()
    assert "Mark unread" in page and "data-mark-opened" not in page
    # Marked by hand (the API): read too.
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {tokens.create(alice, 't')[1]}"}
    marked = client.post(f"/api/signals/{vision.arxiv_id}", {"read": True}, content_type="application/json", **bearer)
    assert marked.json() == {"not_interested": False, "read": True}
    read = {graph.arxiv_id, vision.arxiv_id}
    everything = {i.paper_id for i in foryou.for_you(alice, periods.Period.containing("day", DAY)).items}
    assert read <= everything  # read papers stay in For you unless the reader asks
    unread = {i.paper_id for i in foryou.for_you(alice, periods.Period.containing("day", DAY), hide_read=True).items}
    assert not read & unread and coauthor.arxiv_id in unread
    page = alice_client.get(f"/for-you?date={DAY}&hide_read=1").content.decode()
    assert graph.title not in page and vision.title not in page and coauthor.title in page
    assert graph.title in alice_client.get(f"/for-you?date={DAY}").content.decode()
    api_ids = {
        i["paper"]["id"]
        for i in client.get(f"/api/recommendations?date={DAY}&hide_read=true", **bearer).json()["items"]
    }
    assert not read & api_ids and coauthor.arxiv_id in api_ids
    # Unmarked: back in the hidden-read view.
    alice_client.post(f"/papers/{graph.arxiv_id}/signal", {"read": "0"})
    assert graph.title in alice_client.get(f"/for-you?date={DAY}&hide_read=1").content.decode()


def test_cli_fit_and_print(alice, capsys):
    liked, *_ = _world()
    Vote.objects.create(user=alice, paper=liked[0])
    call_command("recommend", fit=True)
    assert "Fitted the tf-idf space" in capsys.readouterr().out
    call_command("recommend", "alice", date=DAY.isoformat(), json=True)
    body = json.loads(capsys.readouterr().out)
    assert body["personal"] and all(item["why"] for item in body["items"])


def test_page_query_count_does_not_grow(alice_client, alice):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    liked, *_ = _world()
    textspace.fit()
    Vote.objects.create(user=alice, paper=liked[0])

    def count():
        cache.clear()
        with CaptureQueriesContext(connection) as queries:
            assert alice_client.get(f"/for-you?date={DAY}").status_code == 200
        return len(queries)

    small = count()
    feature(DAY, 15)
    assert count() == small


@pytest.mark.django_db(transaction=True)
def test_missing_model_is_fitted_in_the_background_once(settings, make_user):
    """What a server does on the first For you request: cold start now, a fit in a thread, personal next."""
    settings.CONFIG = {**settings.CONFIG, "DAILYPAPERS_RECS_FIT_IN_WEB": True}
    reader = make_user("carol")
    liked, *_ = _world()
    Vote.objects.create(user=reader, paper=liked[0])
    period = periods.Period.containing("day", DAY)
    held = textspace._claim()  # another process is fitting: this one does not start a second fit
    assert held is not None and textspace._claim() is None
    assert not foryou.for_you(reader, period).personal and textspace._fitting is None
    held.unlink()
    cache.clear()
    first = foryou.for_you(reader, period)
    assert not first.personal and "being prepared" in first.note
    textspace._fitting.join(timeout=60)
    assert textspace.load() is not None and not textspace.path().with_name("fitting.lock").exists()
    assert foryou.for_you(reader, period).personal


def test_interests_chosen_at_sign_up_drive_a_fresh_accounts_for_you(client, mailoutbox):
    from django.contrib.auth import get_user_model

    _world()
    password = "a long enough passphrase 42"
    form = {"username": "carol", "email": "carol@example.org", "password1": password, "password2": password}
    refused = client.post("/accounts/signup", {**form, "interest_categories": "cs.XX"})
    assert refused.status_code == 400 and "No paper here is in category" in refused.content.decode()
    assert not get_user_model().objects.filter(username="carol").exists()
    client.post("/accounts/signup", {**form, "interest_categories": "CS.cv", "interest_keywords": "type inference"})
    carol = get_user_model().objects.get(username="carol")
    assert (carol.interests.categories, carol.interests.keywords) == (["cs.CV"], ["type inference"])
    carol.is_active = True
    carol.save()
    client.force_login(carol)
    page = client.get(f"/for-you?date={DAY}").content.decode()
    assert page.index("Compilers and type systems") < page.index("Image segmentation") < page.index("Graph neural")
    assert "“type inference”, from your keywords" in page and "in cs.CV, which you follow" in page
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {tokens.create(carol, 'recs')[1]}"}
    body = client.get(f"/api/recommendations?date={DAY}&limit=2", **bearer).json()
    assert not body["personal"]
    assert [item["paper"]["title"] for item in body["items"]] == [
        "Compilers and type systems",
        "Image segmentation with convolutions",
    ]


def test_opens_on_the_newest_period_with_papers_for_the_reader(alice_client, alice):
    liked, graph, vision, coauthor, hidden = _world()
    # The newest list holds one paper, and this reader marked it not interested: that day is empty.
    lone = feature(DAY + dt.timedelta(days=1), 1, title="A lone paper", categories=["cs.LG"])[0]
    alice_client.post(f"/papers/{lone.arxiv_id}/signal", {"not_interested": "1"})
    page = alice_client.get("/for-you").content.decode()
    assert "For you: Monday, January 13, 2025" in page and graph.title in page
    assert 'id="for-you-skipped"' in page and "Tuesday, January 14, 2025" in page
    # Asked for by date, the empty day is shown as it is.
    asked = alice_client.get(f"/for-you?date={DAY + dt.timedelta(days=1)}").content.decode()
    assert "No papers to recommend for this period." in asked and 'id="for-you-skipped"' not in asked

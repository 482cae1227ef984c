"""A save button on every list card (period, trending, search), with and without JavaScript.

Signed in, it is a POST form into the default collection ("Reading list") that shows whether the paper is
there; logged out, a link that asks to log in and completes the save after it (as the vote link does)."""

import datetime as dt
import re
from urllib.parse import quote

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.text import slugify

from dailypapers.library.models import DEFAULT_COLLECTION, Collection, CollectionItem
from dailypapers.search.indexer import catch_up
from tests.web_fixtures import feature

pytestmark = pytest.mark.django_db
DAY = dt.date(2025, 1, 6)
DAY_URL = "/papers/date/2025-01-06"


def card_of(page: str, arxiv_id: str) -> str:
    start = page.index(f'id="p-{slugify(arxiv_id)}"')
    return page[start : page.index("</li>", start)]


def saved(user) -> list[str]:
    return list(
        CollectionItem.objects.filter(collection__user=user, collection__name=DEFAULT_COLLECTION).values_list(
            "paper__arxiv_id", flat=True
        )
    )


def test_signed_in_cards_save_into_the_reading_list_without_javascript(alice_client, alice):
    first, second = feature(DAY, 2, upvotes=3)
    page = alice_client.get(DAY_URL).content.decode()
    card = card_of(page, first.arxiv_id)
    form = re.search(r'<form class="save" method="post" action="([^"]+)">', card)
    assert form and form.group(1) == f"/papers/{first.arxiv_id}/save"
    # The answer comes back to the card, not to the top of the page (the card's anchor in ``next``).
    back = f"{DAY_URL}#p-{slugify(first.arxiv_id)}"
    assert 'name="csrfmiddlewaretoken"' in card and f'name="next" value="{back}"' in card.split('class="save"')[1]
    assert 'aria-pressed="false"' in card.split('class="save"')[1]
    response = alice_client.post(form.group(1), {"next": back})
    assert response.status_code == 302 and response["Location"] == back
    assert saved(alice) == [first.arxiv_id]
    page = alice_client.get(DAY_URL).content.decode()
    save_part = card_of(page, first.arxiv_id).split('class="save"')[1]
    assert 'aria-pressed="true"' in save_part and ">Saved</button>" in save_part
    assert 'name="remove" value="1"' in save_part  # pressed again, it takes the paper out
    assert 'aria-pressed="false"' in card_of(page, second.arxiv_id).split('class="save"')[1]
    alice_client.post(f"/papers/{first.arxiv_id}/save", {"remove": "1", "next": DAY_URL})
    assert saved(alice) == []


def test_trending_and_search_cards_have_the_save_button(alice_client, alice):
    (paper,) = feature(DAY, 1, upvotes=40)
    catch_up()
    for url in ("/trending", f"/search?q={quote(paper.title.split()[0])}"):
        page = alice_client.get(url).content.decode()
        assert f'action="/papers/{paper.arxiv_id}/save"' in page, url


def test_logged_out_save_asks_to_log_in_and_completes_after(client, make_user):
    (paper,) = feature(DAY, 1, upvotes=3)
    page = client.get(DAY_URL).content.decode()
    link = re.search(r'<a class="save-button" href="([^"]+)"', card_of(page, paper.arxiv_id)).group(1)
    anchor = f"#p-{slugify(paper.arxiv_id)}"
    assert link == f"/papers/{paper.arxiv_id}/save/confirm?next={quote(DAY_URL + anchor)}"
    response = client.get(link)
    assert response.status_code == 302 and response["Location"].startswith(reverse("web:login"))
    reader = make_user("bob")
    client.force_login(reader)
    landing = client.get(link)  # where the login's ?next leads: a form the script submits at once
    assert landing.status_code == 200
    body = landing.content.decode()
    assert "data-autosubmit" in body and f'action="/papers/{paper.arxiv_id}/save"' in body
    assert saved(reader) == []  # GET wrote nothing
    assert client.get(f"/papers/{paper.arxiv_id}/save").status_code == 405
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1)
    nxt = re.search(r'name="next" value="([^"]+)"', body).group(1)
    response = client.post(f"/papers/{paper.arxiv_id}/save", {"csrfmiddlewaretoken": token, "next": nxt})
    assert response.status_code == 302 and response["Location"] == DAY_URL + anchor
    assert saved(reader) == [paper.arxiv_id]


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx)


@pytest.mark.parametrize("url", [DAY_URL, "/trending"])
def test_saved_state_costs_the_same_queries_for_any_number_of_cards(alice_client, alice, url):
    papers = feature(DAY, 2, upvotes=3)
    alice_client.post(f"/papers/{papers[0].arxiv_id}/save", {})
    small = _queries(alice_client, url)
    for paper in feature(DAY, 10, upvotes=3):
        alice_client.post(f"/papers/{paper.arxiv_id}/save", {})
    alice_client.post("/library/new", {"name": "Other"})
    assert Collection.objects.filter(user=alice).count() == 2
    page = alice_client.get(url).content.decode()
    assert page.count(">Saved</button>") == 11
    assert _queries(alice_client, url) == small


def test_anonymous_cards_read_no_saved_state(client):
    feature(DAY, 3, upvotes=3)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(DAY_URL).status_code == 200
    assert not any("library_" in q["sql"] for q in ctx.captured_queries)

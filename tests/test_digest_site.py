"""Digests inside the site: nothing linked to /digest/subscribe, the digest pages had no
stylesheet or navigation, and the account page did not show the reader's subscription."""

import datetime as dt
import re

import pytest
from django.test import Client

from dailypapers import ratelimit
from dailypapers.digest import tokens
from dailypapers.digest.models import OutboxMail, Subscriber
from digest_data import make_subscriber
from tests.web_fixtures import feature

pytestmark = pytest.mark.django_db
DAY = dt.date(2025, 1, 6)


@pytest.fixture(autouse=True)
def fresh_rate_limit():
    ratelimit.reset()


def test_every_page_has_the_subscribe_box_and_stays_cacheable(client):
    paper = feature(DAY, 1)[0]
    for url in (
        "/",
        f"/papers/date/{DAY}",
        "/trending",
        f"/papers/{paper.arxiv_id}",
        "/search?q=model",
        "/accounts/login",
        "/accounts/signup",
    ):
        response = client.get(url)
        html = response.content.decode()
        assert response.status_code == 200, url
        assert 'class="digest-box"' in html and 'action="/digest/subscribe"' in html, url
    home = client.get("/")
    assert not home.cookies  # no CSRF cookie from the box: anonymous pages can still be cached and shared


def test_the_box_posts_without_a_csrf_token(sink):
    client = Client(enforce_csrf_checks=True)
    html = client.get("/").content.decode()
    form = re.search(r'<form method="post" action="/digest/subscribe" class="digest-subscribe">.*?</form>', html, re.S)
    assert form and "csrfmiddlewaretoken" not in form.group(0)
    response = client.post("/digest/subscribe", {"email": "box@example.org"})
    assert response.status_code == 200 and b"Check your inbox" in response.content
    (mail,) = sink.mails_to("box@example.org")
    assert mail.get_body(("html",)) is not None and mail.get_body(("plain",)) is not None


def test_a_forged_post_never_links_the_subscription_to_the_signed_in_account(alice, sink):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    client.post("/digest/subscribe", {"email": "victim-linked@example.org"})
    assert Subscriber.objects.get(email="victim-linked@example.org").user is None


def test_digest_pages_are_on_the_site_templates(client):
    sub = make_subscriber("p@example.org")
    manage = tokens.make_token(sub, tokens.MANAGE)
    pending = make_subscriber("c@example.org", status="pending")
    for url in (
        "/digest/subscribe",
        f"/digest/preferences/{manage}",
        f"/digest/unsubscribe/{manage}",
        f"/digest/confirm/{tokens.make_token(pending, tokens.CONFIRM)}",
        "/digest/preferences/forged",
    ):
        html = client.get(url).content.decode()
        assert "/static/web/app.css" in html and '<nav aria-label="Main">' in html, url
        assert 'href="/trending"' in html, url


def test_account_page_shows_and_edits_the_subscription(alice_client, alice, sink):
    page = alice_client.get("/account").content.decode()
    assert "No digest yet" in page and 'action="/account/digest"' in page
    response = alice_client.post(
        "/account/digest",
        {"frequency": "weekly", "categories": "cs.CL cs.LG", "keywords": "agents", "excluded_keywords": "", "top_n": 7},
    )
    assert response["Location"] == "/account"
    sub = Subscriber.objects.get(email="alice@example.org")
    # The account's address is confirmed already: active at once, no opt-in mail.
    assert (sub.status, sub.user, sub.frequency, sub.categories, sub.top_n) == (
        "active",
        alice,
        "weekly",
        "cs.CL cs.LG",
        7,
    )
    assert not OutboxMail.objects.exists()
    page = alice_client.get("/account").content.decode()
    assert "receives the <strong>weekly</strong> digest" in page and "cs.CL cs.LG" in page and 'value="7"' in page
    bad = alice_client.post("/account/digest", {"frequency": "daily", "categories": "cs.CL; DROP", "top_n": 5})
    assert bad.status_code == 400 and "Not an arXiv category" in bad.content.decode()
    alice_client.post("/account/digest", {"action": "unsubscribe"})
    assert Subscriber.objects.get(pk=sub.pk).status == "unsubscribed"
    assert "is unsubscribed" in alice_client.get("/account").content.decode()


def test_account_page_finds_a_subscription_made_from_the_box_under_the_same_address(alice_client):
    make_subscriber("alice@example.org", categories="cs.CV")
    page = alice_client.get("/account").content.decode()
    assert "receives the <strong>daily</strong> digest" in page and "cs.CV" in page

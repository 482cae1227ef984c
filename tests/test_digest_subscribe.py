"""Subscribe, confirm, preferences and unsubscribe pages; confirmation mails go to a real SMTP server."""

import re

import pytest

from dailypapers import ratelimit
from dailypapers.digest import outbox, tokens
from dailypapers.digest.models import Delivery, OutboxMail, Subscriber
from digest_data import make_subscriber

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_rate_limit():
    ratelimit.reset()


def link_in(mail, path: str) -> str:
    body = mail.get_body(("plain",)).get_content()
    return re.search(rf"http://testserver(/digest/{path}/\S+)", body).group(1)


def test_double_opt_in(client, sink):
    response = client.post(
        "/digest/subscribe",
        {
            "email": "New@Example.org",
            "frequency": "weekly",
            "categories": "cs.CL cs.LG",
            "keywords": "agents",
            "top_n": 5,
        },
    )
    assert response.status_code == 200 and b"Check your inbox" in response.content
    sub = Subscriber.objects.get(email="new@example.org")
    assert (sub.status, sub.frequency, sub.categories, sub.top_n) == ("pending", "weekly", "cs.CL cs.LG", 5)
    (mail,) = sink.mails_to("new@example.org")
    confirm = link_in(mail, "confirm")
    # GET only shows a button; the POST activates.
    assert b'<form method="post">' in client.get(confirm).content
    assert Subscriber.objects.get(pk=sub.pk).status == "pending"
    response = client.post(confirm)
    assert response.status_code == 200 and Subscriber.objects.get(pk=sub.pk).status == "active"


def test_subscribing_an_active_address_changes_nothing_and_mails_its_links(client, sink):
    make_subscriber("me@example.org", categories="cs.CV")
    client.post("/digest/subscribe", {"email": "me@example.org", "categories": "cs.CL"})
    sub = Subscriber.objects.get(email="me@example.org")
    assert (sub.status, sub.categories) == ("active", "cs.CV")
    (mail,) = sink.mails_to("me@example.org")
    assert link_in(mail, "preferences") and link_in(mail, "unsubscribe")


def test_standalone_page(client):
    page = client.get("/digest/subscribe")
    assert page.status_code == 200 and b'name="keywords"' in page.content


def test_invalid_input_and_rate_limit(client, sink, settings):
    assert client.post("/digest/subscribe", {"email": "not-an-address"}).status_code == 400
    assert client.post("/digest/subscribe", {"email": "a@example.org", "categories": "cs.CL; DROP"}).status_code == 400
    settings.MAIL_RATE = "2/3600"  # the site's one limiter: per client address and per address mailed
    codes = [client.post("/digest/subscribe", {"email": f"x{i}@example.org"}).status_code for i in range(3)]
    assert codes == [200, 200, 429]  # invalid posts send nothing and are not counted
    assert len(sink.received()) == 2


def test_confirmation_mail_waits_in_the_outbox_while_smtp_is_down(client, sink):
    sink.stop()
    response = client.post("/digest/subscribe", {"email": "later@example.org"})
    assert response.status_code == 200 and b"within minutes" in response.content
    assert Subscriber.objects.get(email="later@example.org").status == "pending"
    (mail,) = OutboxMail.objects.all()
    assert mail.state == "pending" and mail.next_attempt_at is not None
    sink.start()
    OutboxMail.objects.update(next_attempt_at=None)  # the back-off has run out
    assert outbox.send_due().sent == 1
    (received,) = sink.mails_to("later@example.org")
    assert link_in(received, "confirm")
    assert received.get_body(("html",)) is not None
    assert outbox.send_due().sent == 0 and len(sink.mails_to("later@example.org")) == 1  # never twice


def test_preferences_by_signed_link(client):
    sub = make_subscriber("p@example.org")
    url = f"/digest/preferences/{tokens.make_token(sub, tokens.MANAGE)}"
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "frequency": "weekly",
            "categories": "cs.RO",
            "keywords": "robots, arms",
            "excluded_keywords": "survey",
            "top_n": 7,
        },
    )
    assert response.status_code == 200 and b"Saved." in response.content
    sub.refresh_from_db()
    assert (sub.frequency, sub.categories, sub.keywords, sub.excluded_keywords, sub.top_n) == (
        "weekly",
        "cs.RO",
        "robots, arms",
        "survey",
        7,
    )
    assert client.post(url, {"frequency": "weekly", "top_n": 500}).status_code == 400
    assert client.get(url[:-3] + "abc").status_code == 400
    confirm_token = tokens.make_token(sub, tokens.CONFIRM)
    assert client.get(f"/digest/preferences/{confirm_token}").status_code == 400  # wrong purpose


def test_unsubscribe_get_shows_a_button_and_one_click_post_unsubscribes(client):
    sub = make_subscriber("u@example.org")
    Delivery.objects.create(subscriber=sub, period="daily:2026-06-30")
    url = f"/digest/unsubscribe/{tokens.make_token(sub, tokens.MANAGE)}"
    page = client.get(url)
    assert page.status_code == 200 and b"<button" in page.content
    assert Subscriber.objects.get(pk=sub.pk).status == "active"
    # RFC 8058: a POST with no cookies and no CSRF token, body List-Unsubscribe=One-Click.
    from django.test import Client

    mail_client = Client(enforce_csrf_checks=True)
    response = mail_client.post(url, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    assert Subscriber.objects.get(pk=sub.pk).status == "unsubscribed"
    assert Delivery.objects.get(subscriber=sub).state == Delivery.CANCELLED
    assert mail_client.post(url + "x").status_code == 400


def test_changed_address_invalidates_old_links(client):
    sub = make_subscriber("old@example.org")
    token = tokens.make_token(sub, tokens.MANAGE)
    Subscriber.objects.filter(pk=sub.pk).update(email="new@example.org")
    assert client.post(f"/digest/unsubscribe/{token}").status_code == 400

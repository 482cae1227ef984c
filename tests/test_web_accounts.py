"""Sign-up with email confirmation, login, password reset, email change, deletion, bans."""

import datetime as dt
import re
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from dailypapers.community import accounts, comments, votes
from dailypapers.community.models import Comment, Vote
from dailypapers.store.models import PaperStats
from tests.web_fixtures import feature

pytestmark = pytest.mark.django_db
PASSWORD = "a long enough passphrase 42"
User = get_user_model()


def link_in(message) -> str:
    """The path of the first link in a mail (the site's BASE_URL host is not the test server's)."""
    return urlsplit(re.search(r"https?://\S+", message.body).group(0)).path


def sign_up(client, name="bob", email="bob@example.org"):
    return client.post(
        "/accounts/signup", {"username": name, "email": email, "password1": PASSWORD, "password2": PASSWORD}
    )


def test_sign_up_confirm_then_log_in(client, mailoutbox, argon2_hasher):
    response = sign_up(client)
    assert "Check your email" in response.content.decode()
    user = User.objects.get(username="bob")
    assert not user.is_active and user.password.startswith("argon2")
    assert not client.login(username="bob", password=PASSWORD)
    (mail,) = mailoutbox
    assert mail.to == ["bob@example.org"]
    link = link_in(mail)
    assert client.get(link)["Location"] == "/accounts/login"
    assert client.get(link).status_code == 400  # single use
    response = client.post("/accounts/login", {"username": "bob", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/account").status_code == 200


def test_duplicate_email_creates_nothing_and_tells_only_its_owner(client, alice, mailoutbox):
    response = sign_up(client, "bob", "ALICE@example.org")
    page = response.content.decode()
    # The page is the one a new address gets: it does not reveal that the address is registered.
    assert response.status_code == 200 and "Check your email" in page
    assert "exists" not in page
    assert not User.objects.filter(username="bob").exists()
    (mail,) = mailoutbox
    assert mail.to == ["ALICE@example.org"] and "already belongs to an account" in mail.body


def test_login_is_rate_limited(client, alice, settings):
    settings.LOGIN_RATE = "3/300"
    for _ in range(3):
        assert client.post("/accounts/login", {"username": "alice", "password": "wrong"}).status_code == 200
    response = client.post("/accounts/login", {"username": "alice", "password": "correct horse battery"})
    assert response.status_code == 429 and int(response["Retry-After"]) > 0


def test_logout_is_post_only(alice_client):
    assert alice_client.get("/accounts/logout").status_code == 405
    alice_client.post("/accounts/logout")
    assert alice_client.get("/account").status_code == 302


def test_password_reset_by_email(client, alice, mailoutbox):
    client.post("/accounts/password/reset", {"email": "alice@example.org"})
    (mail,) = mailoutbox
    link = link_in(mail)
    form_url = client.get(link)["Location"]  # Django swaps the token for a session marker
    response = client.post(form_url, {"new_password1": PASSWORD, "new_password2": PASSWORD})
    assert response.status_code == 302
    assert Client().login(username="alice", password=PASSWORD)


def test_password_reset_is_rate_limited_per_address_mailed(client, alice, mailoutbox, settings):
    settings.MAIL_RATE = "2/3600"

    def reset(email: str, address: str):  # a new client address each time: only the per-email count applies
        return client.post("/accounts/password/reset", {"email": email}, REMOTE_ADDR=address)

    assert reset("alice@example.org", "10.0.0.1").status_code == 302
    assert reset("alice@example.org", "10.0.0.2").status_code == 302
    response = reset("ALICE@example.org ", "10.0.0.3")
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert len(mailoutbox) == 2
    # An unknown address is counted the same way, so a 429 says nothing about who has an account.
    assert [reset("nobody@example.org", f"10.0.1.{i}").status_code for i in range(3)] == [302, 302, 429]


def test_password_reset_is_rate_limited_per_client_address(client, alice, mailoutbox, settings):
    settings.MAIL_RATE = "2/3600"
    client.post("/accounts/password/reset", {"email": "a@example.org"})
    client.post("/accounts/password/reset", {"email": "b@example.org"})
    assert client.post("/accounts/password/reset", {"email": "alice@example.org"}).status_code == 429
    assert not mailoutbox


def test_change_email_needs_password_and_confirmation(alice_client, alice, mailoutbox):
    response = alice_client.post("/account/email", {"email": "new@example.org", "password": "nope"})
    assert response.status_code == 400 and not mailoutbox
    alice_client.post("/account/email", {"email": "new@example.org", "password": "correct horse battery"})
    (mail,) = mailoutbox
    assert mail.to == ["new@example.org"]
    alice.refresh_from_db()
    assert alice.email == "alice@example.org"
    alice_client.get(link_in(mail))
    alice.refresh_from_db()
    assert alice.email == "new@example.org"


def test_change_password(alice_client):
    response = alice_client.post(
        "/accounts/password/change",
        {"old_password": "correct horse battery", "new_password1": PASSWORD, "new_password2": PASSWORD},
    )
    assert response.status_code == 302
    assert Client().login(username="alice", password=PASSWORD)


def test_delete_account_removes_votes_and_erases_comments(alice_client, alice, make_user):
    paper = feature(dt.date(2025, 1, 6), 1, upvotes=2)[0]
    votes.cast(alice, paper, True)
    mine = comments.add(alice, paper, "my opinion")
    reply = comments.add(make_user("bob"), paper, "a reply", parent_id=mine.pk)
    assert alice_client.post("/account/delete", {"password": "wrong"})["Location"] == "/account"
    assert User.objects.filter(username="alice").exists()
    alice_client.post("/account/delete", {"password": "correct horse battery"})
    assert not User.objects.filter(username="alice").exists()
    assert not Vote.objects.exists()
    mine.refresh_from_db()
    assert mine.deleted and mine.body == "" and mine.user is None
    assert Comment.objects.get(pk=reply.pk).body == "a reply"
    stats = PaperStats.objects.get(paper=paper)
    assert stats.community_votes == 0 and stats.comments == 1


def test_banned_user_cannot_log_in_or_reconfirm(client, mailoutbox):
    sign_up(client)
    user = User.objects.get(username="bob")
    accounts.ban(user, "spam")
    assert client.get(link_in(mailoutbox[0])).status_code == 400
    assert not client.login(username="bob", password=PASSWORD)

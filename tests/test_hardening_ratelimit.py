"""Issue 13 items 2, 3 and 9 and issue 14's "one rate limiter": every login, sign-up and
mail-sending action goes through dailypapers/ratelimit.py; rates are validated at start-up."""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache

from dailypapers.community import comments
from tests.conftest import dailypapers_env, run_cli
from tests.web_fixtures import feature

pytestmark = pytest.mark.django_db
User = get_user_model()
PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def fresh_counters():
    cache.clear()


def test_admin_login_is_rate_limited_like_the_site_login(client, make_user, settings):
    """Finding 3: 25 wrong passwords on /admin/login/ were all checked, then the right one logged in."""
    make_user("staff", is_staff=True, is_superuser=True)
    settings.LOGIN_RATE = "3/300"
    for _ in range(3):
        response = client.post("/admin/login/", {"username": "staff", "password": "wrong"})
        assert response.status_code == 200  # the form again, with its error
    response = client.post("/admin/login/?next=/admin/", {"username": "staff", "password": PASSWORD})
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert "_auth_user_id" not in client.session


def test_site_and_admin_logins_share_one_count(client, make_user, settings):
    make_user("staff", is_staff=True)
    settings.LOGIN_RATE = "2/300"
    assert client.post("/accounts/login", {"username": "staff", "password": "x"}).status_code == 200
    assert client.post("/admin/login/", {"username": "staff", "password": "x"}).status_code == 200
    assert client.post("/accounts/login", {"username": "staff", "password": PASSWORD}).status_code == 429


def test_wrong_api_tokens_are_rate_limited(client, settings):
    settings.LOGIN_RATE = "2/300"
    codes = [
        client.post(
            "/api/submit",
            {"arxiv": "2401.00001"},
            content_type="application/json",
            headers={"authorization": f"Bearer dp_guess{i}"},
        ).status_code
        for i in range(3)
    ]
    assert codes == [401, 401, 429]


def test_email_change_cannot_flood_an_inbox(alice_client, mailoutbox, settings):
    """Finding 9: 40 email-change confirmations to one victim in seconds."""
    settings.MAIL_RATE = "3/3600"
    codes = [
        alice_client.post(
            "/account/email", {"email": "victim@example.org", "password": PASSWORD}, REMOTE_ADDR=f"10.0.0.{i}"
        ).status_code
        for i in range(40)
    ]
    assert codes[:3] == [302, 302, 302] and set(codes[3:]) == {429}
    assert len(mailoutbox) == 3


def test_mail_kinds_share_one_count_per_recipient(client, alice_client, mailoutbox, settings):
    """Mixing a reset, an email change and a digest subscription still counts as mail to one address."""
    settings.MAIL_RATE = "2/3600"
    assert (
        client.post("/accounts/password/reset", {"email": "alice@example.org"}, REMOTE_ADDR="10.1.0.1").status_code
        == 302
    )
    assert (
        alice_client.post(
            "/account/email", {"email": "alice@example.org", "password": PASSWORD}, REMOTE_ADDR="10.1.0.2"
        ).status_code
        == 302
    )
    assert client.post("/digest/subscribe", {"email": "alice@example.org"}, REMOTE_ADDR="10.1.0.3").status_code == 429
    assert len(mailoutbox) == 2


def test_sign_up_mail_is_rate_limited_per_recipient(client, mailoutbox, settings):
    settings.MAIL_RATE = "1/3600"

    def sign_up(name, address):
        return client.post(
            "/accounts/signup",
            {
                "username": name,
                "email": "target@example.org",
                "password1": "a long passphrase 42",
                "password2": "a long passphrase 42",
            },
            REMOTE_ADDR=address,
        )

    assert sign_up("one", "10.2.0.1").status_code == 200
    assert sign_up("two", "10.2.0.2").status_code == 429
    assert len(mailoutbox) == 1


def test_comment_edits_are_rate_limited(alice_client, alice, settings):
    """Finding 2: 45 of 45 edits in a row were accepted and each re-rendered the comment."""
    paper = feature(dt.date(2025, 1, 6), 1)[0]
    made = comments.add(alice, paper, "first")
    settings.WRITE_RATE = "3/60"
    codes = [alice_client.post(f"/comments/{made.pk}/edit", {"body": f"edit {i}"}).status_code for i in range(5)]
    assert codes[:2] == [302, 302] and codes[2:] == [429, 429, 429]  # the comment itself spent one
    made.refresh_from_db()
    assert made.body == "edit 1"


@pytest.mark.parametrize("name", ["DAILYPAPERS_LOGIN_RATE", "DAILYPAPERS_MAIL_RATE", "DAILYPAPERS_WRITE_RATE"])
def test_a_bad_rate_stops_the_command_with_one_sentence(tmp_path, name):
    """Issue 14: DAILYPAPERS_LOGIN_RATE=lots was a 500 at the first login, not an error at start-up."""
    result = run_cli("check", env=dailypapers_env(tmp_path, **{name: "lots"}), check=False)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"dailypapers: configuration error: {name}='lots' is not valid: "
        "write it as COUNT/SECONDS, e.g. 10/300 (10 requests per 300 seconds)"
    )
    assert "Traceback" not in result.stderr


def test_rates_are_parsed_once():
    from django.conf import settings

    from dailypapers.config import Rate, parse_rate

    assert isinstance(settings.LOGIN_RATE, Rate) and str(settings.WRITE_RATE) == "30/60"
    assert parse_rate(" 5 / 60 ") == Rate(5, 60)
    for bad in ("5", "5/0", "x/60", "²/60", "-1/60", ""):
        with pytest.raises(ValueError):
            parse_rate(bad)


def test_password_checks_on_account_pages_are_rate_limited(alice_client, alice, settings):
    """A stolen session must not be able to guess the password through the delete, email or password forms."""
    settings.LOGIN_RATE = "3/300"
    assert alice_client.post("/account/delete", {"password": "guess1"}).status_code == 302
    assert alice_client.post("/account/email", {"email": "x@example.org", "password": "guess2"}).status_code == 400
    response = alice_client.post(
        "/accounts/password/change",
        {"old_password": "guess3", "new_password1": "n3w pass phrase!", "new_password2": "n3w pass phrase!"},
    )
    assert response.status_code == 200
    response = alice_client.post("/account/delete", {"password": PASSWORD})
    assert response.status_code == 429 and User.objects.filter(pk=alice.pk).exists()

"""One rate limiter: every login, sign-up and
mail-sending action goes through dailypapers/ratelimit.py; rates are validated at start-up."""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model

from dailypapers import ratelimit
from dailypapers.community import comments
from tests.conftest import dailypapers_env, run_cli
from tests.web_fixtures import feature

pytestmark = pytest.mark.django_db
User = get_user_model()
PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def fresh_counters():
    ratelimit.reset()


def test_admin_login_is_rate_limited_like_the_site_login(client, make_user, settings):
    """25 wrong passwords on /admin/login/ were all checked, then the right one logged in."""
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
    """40 email-change confirmations to one victim in seconds."""
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
    """45 of 45 edits in a row were accepted and each re-rendered the comment."""
    paper = feature(dt.date(2025, 1, 6), 1)[0]
    made = comments.add(alice, paper, "first")
    settings.WRITE_RATE = "3/60"
    codes = [alice_client.post(f"/comments/{made.pk}/edit", {"body": f"edit {i}"}).status_code for i in range(5)]
    assert codes[:2] == [302, 302] and codes[2:] == [429, 429, 429]  # the comment itself spent one
    made.refresh_from_db()
    assert made.body == "edit 1"


@pytest.mark.parametrize(
    "name",
    [
        "DAILYPAPERS_LOGIN_RATE",
        "DAILYPAPERS_MAIL_RATE",
        "DAILYPAPERS_WRITE_RATE",
        "DAILYPAPERS_LIBRARY_RATE",
        "DAILYPAPERS_IMPORT_RATE",
        "DAILYPAPERS_API_READ_RATE",
    ],
)
def test_a_bad_rate_stops_the_command_with_one_sentence(tmp_path, name):
    """DAILYPAPERS_LOGIN_RATE=lots was a 500 at the first login, not an error at start-up."""
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


def _flood(keys: int) -> None:
    """``keys`` throw-away counters through the real limiter: logins with random names, each from
    its own address (two counters per attempt), none over its limit."""
    from django.test import RequestFactory

    factory = RequestFactory()
    for i in range(keys // 2):
        request = factory.post("/accounts/login", REMOTE_ADDR=f"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}")
        ratelimit.limit_login(request, f"nobody-{i}")


def test_flooding_the_limiter_does_not_reset_admin_login_guesses(client, make_user, settings):
    """The counters lived in a cache that culls a third of its keys past 300 entries: throw-away
    logins wiped the count, and 162 admin guesses were checked where the limit allows 3."""
    make_user("staff", is_staff=True, is_superuser=True)
    settings.LOGIN_RATE = "3/300"
    guess = {"username": "staff", "password": "wrong"}
    for _ in range(3):
        assert client.post("/admin/login/", guess, REMOTE_ADDR="10.255.0.1").status_code == 200
    _flood(10_000)
    assert ratelimit.models.RateCounter.objects.count() >= 10_000
    for address in ("10.255.0.1", "10.255.0.2"):  # per account name too: a new address does not help
        response = client.post("/admin/login/", {**guess, "password": PASSWORD}, REMOTE_ADDR=address)
        assert response.status_code == 429 and "_auth_user_id" not in client.session


def test_flooding_with_resets_to_random_addresses_does_not_reset_an_inbox_count(client, make_user, mailoutbox):
    """300 reset mails reached one inbox in 63 s where the limit is 5 per hour: resets for random
    addresses, each from its own client address, flushed the inbox's counter."""
    make_user("victim")

    def reset(email: str, address: str) -> int:
        return client.post("/accounts/password/reset", {"email": email}, REMOTE_ADDR=address).status_code

    assert [reset("victim@example.org", f"10.254.0.{i}") for i in range(5)] == [302] * 5
    assert len(mailoutbox) == 5
    for i in range(200):  # through the real view: 400 counters, more than the old cache kept (300)
        assert reset(f"nobody{i}@example.org", f"10.253.{i >> 8}.{i & 255}") == 302
    _flood(10_000)
    assert [reset("victim@example.org", f"10.252.0.{i}") for i in range(3)] == [429] * 3
    assert len(mailoutbox) == 5


def test_expired_counters_are_pruned_a_batch_at_a_time():
    from dailypapers.ratelimit.models import RateCounter
    from dailypapers.ratelimit.stores import PRUNE_BATCH, PRUNE_EVERY

    store = ratelimit.store()
    for i in range(PRUNE_BATCH + 50):
        store.count(f"old-{i}", 60, now=1000.0)  # windows that ended long ago
    store.count("live", 60, now=1000.0)
    assert RateCounter.objects.count() == PRUNE_BATCH + 51  # not one evicted before its window ended
    assert store.prune(now=1030.0) == 0
    assert store.prune(now=2000.0) == PRUNE_BATCH  # bounded: one call deletes at most a batch
    assert store.prune(now=2000.0) == 51 and RateCounter.objects.count() == 0
    # New windows prune as they open: a stream of throw-away keys keeps the table near its live size.
    for i in range(PRUNE_BATCH):
        store.count(f"old-{i}", 60, now=3000.0)
    for i in range(PRUNE_EVERY * 40):
        store.count(f"new-{i}", 60, now=4000.0)
    assert RateCounter.objects.filter(expires__lt=4000.0).count() < PRUNE_BATCH
    assert RateCounter.objects.filter(expires__gte=4000.0).count() == PRUNE_EVERY * 40
    assert store.count("new-0", 60, now=4001.0) == (4060.0, 2)
    assert store.count("old-0", 60, now=4002.0) == (4062.0, 1)  # an ended window starts again at 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_hits_are_all_counted():
    """Eight workers counting one client at once: every request is seen (an atomic upsert, not read-then-write)."""
    import threading

    from django.db import connection

    store = ratelimit.store()
    start = threading.Barrier(8)

    def worker():
        try:
            start.wait()
            for _ in range(25):
                store.count("shared", 300, now=5000.0)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert store.count("shared", 300, now=5001.0) == (5300.0, 201)


def test_library_writes_are_rate_limited_per_user_on_the_site_and_the_api(alice_client, alice, client, settings):
    """Library writes had no limit: one account could create collections and notes without end."""
    from dailypapers.community import tokens
    from dailypapers.library.models import Collection

    settings.LIBRARY_RATE = "4/60"
    _, raw = tokens.create(alice, "script")
    bearer = {"authorization": f"Bearer {raw}"}
    codes = [alice_client.post("/library/new", {"name": f"Site {i}"}).status_code for i in range(2)]
    codes += [
        client.post(
            "/api/collections", {"name": f"API {i}"}, content_type="application/json", headers=bearer
        ).status_code
        for i in range(2)
    ]
    assert codes == [302, 302, 201, 201]  # one count across the site and the API
    assert alice_client.post("/library/new", {"name": "one more"}).status_code == 429
    refused = client.post("/api/collections", {"name": "and more"}, content_type="application/json", headers=bearer)
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0 and "error" in refused.json()
    assert client.get("/api/collections", headers=bearer).status_code == 200  # reads are not library writes
    assert Collection.objects.filter(user=alice).exclude(name="Reading list").count() == 4


def test_imports_have_their_own_smaller_limit(alice_client, alice, client, settings):
    from dailypapers.community import tokens
    from dailypapers.library import paper_collections

    settings.IMPORT_RATE = "2/3600"
    target = paper_collections.create(alice, "Imports")
    _, raw = tokens.create(alice, "script")
    site = alice_client.post(f"/library/{target.pk}/import", {"text": "2401.00001"})
    api = client.post(
        f"/api/collections/{target.pk}/import",
        {"text": "2401.00001"},
        content_type="application/json",
        headers={"authorization": f"Bearer {raw}"},
    )
    assert (site.status_code, api.status_code) == (302, 200)
    assert alice_client.post(f"/library/{target.pk}/import", {"text": "2401.00001"}).status_code == 429
    assert alice_client.post("/library/new", {"name": "still fine"}).status_code == 302  # other writes go on


def test_api_reads_are_rate_limited_per_client_address(client, settings):
    settings.API_READ_RATE = "3/60"
    codes = [client.get("/api/daily_papers", REMOTE_ADDR="10.7.0.1").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    refused = client.get("/api/daily_papers", REMOTE_ADDR="10.7.0.1")
    assert refused["Content-Type"].startswith("application/json") and int(refused["Retry-After"]) > 0
    assert client.get("/api/daily_papers", REMOTE_ADDR="10.7.0.2").status_code == 200
    assert client.get("/", REMOTE_ADDR="10.7.0.1").status_code == 200  # pages are not API reads

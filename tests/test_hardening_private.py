"""Personal pages are never stored by a cache, API tokens die with the password, and junk query
strings cannot bypass (or fill) the anonymous page cache."""

import datetime as dt

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from dailypapers.community import tokens
from dailypapers.community.models import ApiToken
from tests.web_fixtures import feature

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery"
NEW = "a brand new passphrase 7"


@pytest.mark.parametrize("path", ["/library", "/searches", "/for-you", "/library/interests"])
def test_personal_pages_say_no_store(alice_client, path):
    response = alice_client.get(path)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]


def _api_status(client, raw: str) -> int:
    return client.get("/api/collections", headers={"authorization": f"Bearer {raw}"}).status_code


def test_changing_the_password_revokes_api_tokens(alice_client, alice, client):
    _, raw = tokens.create(alice, "laptop")
    assert _api_status(client, raw) == 200
    response = alice_client.post(
        "/accounts/password/change", {"old_password": PASSWORD, "new_password1": NEW, "new_password2": NEW}
    )
    assert response.status_code == 302
    assert not ApiToken.objects.filter(user=alice).exists()
    assert _api_status(client, raw) == 401


def test_resetting_the_password_revokes_api_tokens(client, alice, make_user):
    bob = make_user("bob")
    _, raw = tokens.create(alice, "laptop")
    _, kept = tokens.create(bob, "bob's")
    uid = urlsafe_base64_encode(force_bytes(alice.pk))
    url = f"/accounts/password/reset/{uid}/{default_token_generator.make_token(alice)}"
    form_url = client.get(url)["Location"]  # Django swaps the token for a session marker first
    response = client.post(form_url, {"new_password1": NEW, "new_password2": NEW})
    assert response.status_code == 302
    assert _api_status(client, raw) == 401 and _api_status(client, kept) == 200


def test_junk_query_strings_share_the_cached_page(client, settings):
    settings.PAGE_CACHE_SECONDS = 60
    feature(dt.date(2025, 1, 6), 3, upvotes=2)
    assert client.get("/trending").status_code == 200
    for i in range(20):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/trending?x={i}&utm_source=y{i}").status_code == 200
        assert len(queries) == 0  # served from the one cached page, not rendered again
    # Parameters the page reads still make their own entry, whatever their order.
    with CaptureQueriesContext(connection) as queries:
        client.get("/trends.json?category=cs.LG&by=day&junk=1")
    assert len(queries) > 0
    with CaptureQueriesContext(connection) as queries:
        client.get("/trends.json?by=day&category=cs.LG")
    assert len(queries) == 0
    assert client.get("/trends.json?by=week").json()["by"] == "week"

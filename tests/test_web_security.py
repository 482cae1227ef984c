"""CSRF on every POST, escaping everywhere, GET never writes, no acting as someone else, cookies, headers."""

import datetime as dt

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from dailypapers.community import comments
from dailypapers.community.models import Comment, Vote
from dailypapers.store.models import PaperStats
from tests.web_fixtures import feature

pytestmark = pytest.mark.django_db
DAY = dt.date(2025, 1, 6)
EVIL = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@pytest.fixture
def csrf_client(alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    return client


def post_urls(paper_id: str, comment_id: int) -> list[str]:
    return [
        f"/papers/{paper_id}/vote",
        f"/papers/{paper_id}/comments",
        f"/papers/{paper_id}/hide",
        f"/comments/{comment_id}/edit",
        f"/comments/{comment_id}/delete",
        f"/comments/{comment_id}/hide",
        "/submit",
        "/accounts/login",
        "/accounts/signup",
        "/accounts/logout",
        "/accounts/password/reset",
        "/accounts/password/change",
        "/account/email",
        "/account/tokens",
        "/account/tokens/1/delete",
        "/account/delete",
        "/accounts/confirm/resend",
        "/account/digest",
        f"/papers/{paper_id}/claim",
    ]


def test_every_site_post_needs_csrf(csrf_client, alice):
    paper = feature(DAY, 1)[0]
    made = comments.add(alice, paper, "mine")
    for url in post_urls(paper.arxiv_id, made.pk):
        assert csrf_client.post(url, {"body": "x", "arxiv": paper.arxiv_id}).status_code == 403, url
    assert not Vote.objects.exists() and Comment.objects.count() == 1


def test_post_urls_cover_every_site_route():
    """A new POST route must be added to the CSRF list above."""
    names = set()

    def walk(patterns, prefix=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + (p.namespace + ":" if p.namespace else ""))
            elif isinstance(p, URLPattern):
                names.add(prefix + (p.name or ""))

    walk(get_resolver().url_patterns)
    writes = {
        "web:vote",
        "web:comment",
        "web:paper_hide",
        "web:comment_edit",
        "web:comment_delete",
        "web:comment_hide",
        "web:submit",
        "web:login",
        "web:signup",
        "web:logout",
        "web:password_reset",
        "web:password_change",
        "web:email_change",
        "web:token_create",
        "web:token_delete",
        "web:account_delete",
        "web:password_reset_confirm",
        "web:resend_confirmation",
        "web:account_digest",
        "web:claim",
    }
    reads = {
        "web:home",
        "web:feed",
        "web:day",
        "web:day_feed",
        "web:week",
        "web:month",
        "web:trending",
        "web:trending_feed",
        "web:search",
        "web:search_feed",
        "web:paper",
        "web:confirm",
        "web:account",
        "web:password_reset_done",
        "web:email_confirm",
        "web:media",
        "web:paper_markdown",
        "web:login_to_comment",
        "web:trends",
        "web:trends_json",
        "web:week_feed",
        "web:week_feed_newest",
        "web:month_feed",
        "web:month_feed_newest",
        "web:digest_preview",
        "web:claimed",
    }  # a POST without CSRF that writes nothing: the login form, a draft kept in it
    assert {n for n in names if n.startswith("web:")} == writes | reads


def test_html_in_titles_abstracts_authors_and_comments_is_escaped(alice_client, alice):
    paper = feature(DAY, 1, upvotes=1, title=f"Title {EVIL}", abstract=f"Abstract {EVIL}", authors=[f"Eve {EVIL}"])[0]
    comments.add(alice, paper, f"Comment {EVIL}")
    from dailypapers.search.indexer import catch_up

    catch_up()  # searches never write the index
    for url in ["/", "/papers/date/2025-01-06", "/trending", f"/papers/{paper.arxiv_id}", "/search?q=Abstract"]:
        page = alice_client.get(url).content.decode()
        assert "<script>alert" not in page and "<img src=x" not in page, url
        assert "&lt;script&gt;alert" in page, url


def test_get_never_changes_state(alice_client, alice):
    paper = feature(DAY, 1)[0]
    made = comments.add(alice, paper, "mine")
    before = (Vote.objects.count(), Comment.objects.count(), PaperStats.objects.get(paper=paper).community_votes)
    for url in post_urls(paper.arxiv_id, made.pk):
        alice_client.get(url)
    after = (Vote.objects.count(), Comment.objects.count(), PaperStats.objects.get(paper=paper).community_votes)
    assert before == after
    made.refresh_from_db()
    assert made.body == "mine" and not made.deleted and not made.hidden


def test_nobody_votes_or_comments_as_someone_else(alice_client, alice, make_user):
    bob = make_user("bob")
    paper = feature(DAY, 1)[0]
    alice_client.post(f"/papers/{paper.arxiv_id}/vote", {"user": bob.pk, "user_id": bob.pk})
    alice_client.post(f"/papers/{paper.arxiv_id}/comments", {"body": "hi", "user": bob.pk, "user_id": bob.pk})
    assert list(Vote.objects.values_list("user_id", flat=True)) == [alice.pk]
    assert list(Comment.objects.values_list("user_id", flat=True)) == [alice.pk]
    bobs = comments.add(bob, paper, "bob's")
    alice_client.post(f"/comments/{bobs.pk}/edit", {"body": "changed"})
    alice_client.post(f"/comments/{bobs.pk}/delete")
    bobs.refresh_from_db()
    assert bobs.body == "bob's" and not bobs.deleted


def test_web_writes_are_rate_limited(alice_client, settings):
    settings.WRITE_RATE = "2/60"
    paper = feature(DAY, 1)[0]
    codes = [alice_client.post(f"/papers/{paper.arxiv_id}/vote").status_code for _ in range(3)]
    assert codes == [302, 302, 429]


def test_session_cookie_flags(client, alice, settings):
    # The flags as configured (DEBUG is off here), not set by the test: a login's cookies carry them.
    assert not settings.DEBUG
    client.post("/accounts/login", {"username": "alice", "password": "correct horse battery"})
    session = client.cookies[settings.SESSION_COOKIE_NAME]
    assert session["httponly"] and session["secure"] and session["samesite"] == "Lax"
    csrf = client.cookies.get(settings.CSRF_COOKIE_NAME)
    assert csrf is None or (csrf["secure"] and csrf["httponly"])


@pytest.mark.parametrize(
    "env, secure",
    [
        ({}, True),  # DEBUG off: Secure cookies
        ({"DAILYPAPERS_DEBUG": "1"}, False),  # DEBUG on (local http): not Secure
        ({"DAILYPAPERS_SECURE_COOKIES": "0"}, False),  # explicitly off behind plain http
        ({"DAILYPAPERS_DEBUG": "1", "DAILYPAPERS_SECURE_COOKIES": "1"}, True),
    ],
)
def test_secure_cookies_follow_debug_unless_set(env, secure, tmp_path):
    import os
    import subprocess
    import sys

    clean = {k: v for k, v in os.environ.items() if not k.startswith("DAILYPAPERS_")}
    code = (
        "import dailypapers.settings as s; "
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, s.CSRF_COOKIE_HTTPONLY)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={**clean, "DAILYPAPERS_HOME": str(tmp_path), **env},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout.split()
    assert out == [str(secure), str(secure), "True", "True"]


def test_security_headers(client):
    response = client.get("/")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_no_cdn_in_pages(client):
    feature(DAY, 1)
    for url in ["/", "/trending", "/api/docs"]:
        page = client.get(url).content.decode()
        assert "cdn" not in page.lower() and "//unpkg" not in page, url

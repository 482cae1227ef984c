"""Hardening on the web side: bounded paging, periods at the
calendar's ends, XML-safe feeds, links only for http(s), 500s logged, headers and absolute URLs."""

import datetime as dt
import logging

import pytest
from django.http import HttpResponse
from django.test import Client
from django.urls import path
from lxml import etree

from dailypapers import periods
from dailypapers.digest import periods as digest_periods
from dailypapers.lists import paging
from dailypapers.search.indexer import catch_up
from dailypapers.search.rules import QueryError
from dailypapers.store.models import DailyEntry
from dailypapers.web.services.links import safe_link
from tests.web_fixtures import feature

pytestmark = pytest.mark.django_db
DAY = dt.date(2025, 1, 6)
HUGE = ["214748364", str(2**63), str(2**64 + 5), "99999999999999999999999", "-1", "1e9", "abc", "٣"]


# --- bounded paging everywhere ------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/search?q=transformers",
        "/",
        "/papers/date/2025-01-06",
        "/papers/week/2025-W02",
        "/papers/month/2025-01",
        "/trending",
    ],
)
def test_over_large_pages_are_a_styled_400(client, url):
    """p=214748364 aborted the gunicorn worker (tantivy allocating 64 GB); past 2^63 an IntegrityError 500."""
    feature(DAY, 2, upvotes=1)
    sep = "&" if "?" in url else "?"
    for p in HUGE:
        response = client.get(f"{url}{sep}p={p}")
        assert response.status_code == 400, (url, p)
        page = response.content.decode()
        assert "No such page" in page and "pages go from 0 to" in page and "<html" in page
    assert client.get(f"{url}{sep}p=1").status_code == 200  # in range: fine, even if empty


@pytest.mark.parametrize(
    "url", ["/api/papers/search?q=transformers", "/api/daily_papers?date=2025-01-06", "/api/daily_papers?month=2025-01"]
)
def test_api_pages_are_bounded(client, url):
    feature(DAY, 2, upvotes=1)
    for p in ["214748364", str(2**63), str(2**70), "-1"]:
        response = client.get(f"{url}&p={p}&limit=100")
        assert response.status_code == 400, (url, p)
        reason = response.json()["error"]  # Hugging Face's error shape; it names the parameter
        assert "out of range" in reason or reason.startswith("p: "), reason
    assert client.get(f"{url}&p={paging.last_page(100)}&limit=100").status_code == 200


def test_paging_rule_is_one_function():
    assert paging.page_number(None, 20) == 0 and paging.page_number("", 20) == 0 and paging.page_number("3", 20) == 3
    assert paging.page_number(str(paging.last_page(20)), 20) * 20 < paging.MAX_OFFSET
    with pytest.raises(paging.PageOutOfRange, match="pages go from 0 to 499"):
        paging.page_number("500", 20)


def test_search_door_refuses_unbounded_offsets():
    from dailypapers.lists import search_requests

    with pytest.raises(QueryError, match="paged through"):
        search_requests.run(search_requests.SearchRequest(query="model"), 20, 214748364 * 20)


# --- periods at the calendar's ends -------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/papers/week/9999-W52",
        "/papers/month/9999-12",
        "/papers/date/9999-12-31",
        "/papers/week/0001-W01",
        "/papers/month/0001-01",
        "/papers/date/0001-01-01",
        "/papers/date/9999-12-31/feed",
    ],
)
def test_periods_at_the_ends_of_the_calendar_are_clean_pages(client, url):
    feature(DAY, 1)
    assert client.get(url).status_code == 200


@pytest.mark.parametrize("query", ["month=9999-12", "week=9999-W52", "date=9999-12-31", "month=0001-01"])
def test_api_periods_at_the_ends_of_the_calendar(client, query):
    feature(DAY, 1)
    response = client.get(f"/api/daily_papers?{query}")
    if query.startswith("month=0001"):
        assert response.status_code == 200 and response.json() == []
    else:  # year 9999 is in the future: a 400 naming the parameter, never a 500
        assert response.status_code == 400 and "in the future" in response.json()["error"]


def test_bad_periods_are_refused_cleanly(client):
    assert client.get("/papers/week/2025-W60").status_code == 404
    assert client.get("/papers/month/2025-13").status_code == 404
    assert client.get("/api/daily_papers?week=2025-W99").status_code == 400


def test_one_period_definition_for_web_and_digest():
    assert digest_periods.Period is periods.Period
    week = digest_periods.parse("weekly:2026-W27")
    assert week == periods.parse("week", "2026-W27") and week.frequency == "weekly"
    assert (week.start, week.end, week.slug, week.key) == (
        dt.date(2026, 6, 29),
        dt.date(2026, 7, 5),
        "2026-W27",
        "weekly:2026-W27",
    )
    last = periods.parse("week", "9999-W52")
    assert last.end == dt.date.max and last.label.endswith("9999)")
    assert periods.parse("month", "9999-12").end == dt.date(9999, 12, 31)
    assert periods.daily(dt.date.min).window(7) == (dt.date.min, dt.date.min)


# --- control characters in feeds ----------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/feed",
        "/feed?format=atom",
        "/papers/date/2025-01-06/feed",
        "/trending/feed",
        "/trending/feed?format=atom",
        "/search/feed?q=control",
        "/search/feed?q=a%01",
        "/search/feed?q=control%08&format=atom",
    ],
)
def test_control_characters_never_break_a_feed(client, url):
    """One U+0001 or U+0008 in a title made every feed listing it a 500 (UnserializableContentError)."""
    feature(
        DAY,
        1,
        upvotes=2,
        title="Control\x01 char\x08 title",
        abstract="control \x0b abstract \x1f",
        authors=["Ada\x02 Lovelace"],
    )
    catch_up()  # searches never write the index: the test brings it up to date, as the refresher would
    response = client.get(url)
    if "%0" in url:  # a control character in the query itself is refused before any view (web/guards.py)
        assert response.status_code == 400, url
        return
    assert response.status_code == 200, url
    root = etree.fromstring(response.content)  # well-formed XML
    text = etree.tostring(root, encoding="unicode")
    assert "\x01" not in text and "\x08" not in text
    if "q=a" not in url:
        assert "Control char title" in text


# --- absolute URLs from DAILYPAPERS_BASE_URL, headers ---------------------------------


def test_feed_and_link_header_urls_come_from_base_url(client, settings):
    settings.BASE_URL = "https://papers.example.org"
    feature(DAY, 3, upvotes=1)
    evil = {"HTTP_HOST": "localhost:6666"}
    settings.ALLOWED_HOSTS = ["localhost", "testserver"]
    feed = client.get("/feed?format=atom", **evil).content.decode()
    assert "localhost" not in feed and "6666" not in feed
    assert (
        'href="https://papers.example.org/papers/2501.' in feed
        and "https://papers.example.org/feed?format=atom" in feed
    )
    rss = client.get("/trending/feed", **evil).content.decode()
    assert "6666" not in rss and "<link>https://papers.example.org/trending</link>" in rss
    link = client.get("/api/daily_papers?date=2025-01-06&limit=1", **evil)["Link"]
    assert link.startswith("<https://papers.example.org/api/daily_papers?") and "6666" not in link


def test_hsts_when_cookies_are_secure(client, settings):
    assert settings.SECURE_COOKIES and settings.SECURE_HSTS_SECONDS == 31536000
    assert client.get("/trending", secure=True)["Strict-Transport-Security"] == "max-age=31536000"
    assert not client.get("/trending").has_header("Strict-Transport-Security")  # only on HTTPS responses


def test_proxy_ssl_header_setting(client, settings):
    from dailypapers.config import parse_proxy_header

    assert parse_proxy_header("X-Forwarded-Proto: https") == ("HTTP_X_FORWARDED_PROTO", "https")
    assert parse_proxy_header("X-Forwarded-Proto") == ("HTTP_X_FORWARDED_PROTO", "https")
    assert parse_proxy_header("") is None
    with pytest.raises(ValueError):
        parse_proxy_header("X Forwarded: https")
    settings.SECURE_PROXY_SSL_HEADER = parse_proxy_header("X-Forwarded-Proto")
    response = client.get("/trending", HTTP_X_FORWARDED_PROTO="https")
    assert response["Strict-Transport-Security"] == "max-age=31536000"


def test_private_pages_are_not_cacheable(alice_client, alice):
    from dailypapers.community import accounts

    for response in (alice_client.get("/account"), alice_client.post("/account/tokens", {"name": "t"})):
        assert response.status_code == 200
        assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    assert "no-store" in Client().get("/accounts/password/reset/MQ/bad-token")["Cache-Control"]
    token = accounts.confirm_tokens.make_token(alice)
    assert "no-store" in Client().get(f"/accounts/confirm/MQ/{token}")["Cache-Control"]


# --- links from imported URLs only for http(s) -----------------------------------------


def test_imported_urls_become_links_only_for_http(client):
    good = feature(DAY, 1, title="Good links")[0]
    bad = feature(DAY, 1, title="Bad links")[0]
    DailyEntry.objects.filter(paper=good).update(github_repo="https://github.com/a/b", project_page="http://a.example/")
    DailyEntry.objects.filter(paper=bad).update(
        github_repo="javascript:alert(document.cookie)", project_page="data:text/html,<script>alert(1)</script>"
    )
    page = client.get(f"/papers/{good.arxiv_id}").content.decode()
    assert 'href="https://github.com/a/b"' in page and 'href="http://a.example/"' in page
    page = client.get(f"/papers/{bad.arxiv_id}").content.decode()
    assert "javascript:" not in page and "data:text/html" not in page and "Code repository" not in page


@pytest.mark.parametrize(
    "url,ok",
    [
        ("https://github.com/x", True),
        ("http://a.b/c?d", True),
        ("HTTPS://A.B", True),
        ("javascript:alert(1)", False),
        ("data:text/html,x", False),
        ("//evil.example", False),
        ("vbscript:x", False),
        ("https://", False),
        ("https://a.b/\nx", False),
        ("", False),
    ],
)
def test_safe_link(url, ok):
    assert bool(safe_link(url)) is ok


# --- 500s are logged to stderr and to a file in DAILYPAPERS_HOME ------------------------


def _boom(request):
    raise RuntimeError("provoked failure 7c1f")


urlpatterns = [path("boom", _boom), path("fine", lambda request: HttpResponse("ok"))]


@pytest.mark.urls(__name__)
def test_a_500_is_logged_to_the_home_log_file(settings):
    log_file = settings.LOG_FILE
    assert log_file == settings.HOME / "logs" / "dailypapers.log"
    before = log_file.read_text() if log_file.exists() else ""
    response = Client(raise_request_exception=False).get("/boom")
    assert response.status_code == 500
    for handler in logging.getLogger("django.request").handlers:
        handler.flush()
    written = log_file.read_text()[len(before) :]
    assert "ERROR django.request" in written and "Internal Server Error: /boom" in written
    assert "RuntimeError: provoked failure 7c1f" in written and "Traceback" in written
    handlers = {type(h).__name__ for h in logging.getLogger("django.request").handlers}
    assert {"StreamHandler", "RotatingHomeFile"} <= handlers  # stderr too (pytest adds its own beside them)


def test_serve_turns_the_access_log_on(settings, tmp_path):
    from dailypapers.cli.management.commands.serve import access_log_args

    assert access_log_args() == ["--access-logfile", str(settings.HOME / "logs" / "access.log")]
    settings.ACCESS_LOG = "-"
    assert access_log_args() == ["--access-logfile", "-"]
    settings.ACCESS_LOG = None
    assert access_log_args() == []

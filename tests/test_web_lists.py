"""Day, week and month pages, weekend fallback, categories, sorting, and query counts (no N+1)."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.web_fixtures import feature

pytestmark = pytest.mark.django_db
FRI, MON = dt.date(2025, 1, 3), dt.date(2025, 1, 6)


def ids(response):
    return [p.arxiv_id for p in response.context["papers"]]


def test_day_page_orders_by_votes_and_newest(client):
    old = feature(FRI, 1, upvotes=50, first_submitted=dt.datetime(2024, 12, 1, tzinfo=dt.timezone.utc))[0]
    new = feature(FRI, 1, upvotes=1, first_submitted=dt.datetime(2025, 1, 2, tzinfo=dt.timezone.utc))[0]
    assert ids(client.get("/papers/date/2025-01-03")) == [old.arxiv_id, new.arxiv_id]
    assert ids(client.get("/papers/date/2025-01-03?sort=newest")) == [new.arxiv_id, old.arxiv_id]


def test_weekend_shows_last_listing_day_and_says_so(client):
    fri = feature(FRI, 2)
    response = client.get("/papers/date/2025-01-05")  # a Sunday
    assert response.status_code == 200
    assert set(ids(response)) == {p.arxiv_id for p in fri}
    assert "No papers were featured on Sunday, January 5, 2025" in response.content.decode()


def test_home_shows_the_last_listing_day(client):
    feature(FRI, 1)
    latest = feature(MON, 1)
    response = client.get("/")
    assert ids(response) == [latest[0].arxiv_id]
    assert response.context["listing"].previous.start == FRI


def test_previous_and_next_skip_empty_days(client):
    feature(FRI, 1)
    feature(MON, 1)
    page = client.get("/papers/date/2025-01-03").content.decode()
    assert 'href="/papers/date/2025-01-06"' in page
    page = client.get("/papers/date/2025-01-06").content.decode()
    assert 'href="/papers/date/2025-01-03"' in page


def test_week_and_month_pages(client):
    a = feature(FRI, 1)[0]
    b = feature(MON, 1)[0]
    assert ids(client.get("/papers/week/2025-W01")) == [a.arxiv_id]
    assert ids(client.get("/papers/week/2025-W02")) == [b.arxiv_id]
    assert set(ids(client.get("/papers/month/2025-01"))) == {a.arxiv_id, b.arxiv_id}
    assert client.get("/papers/week/2025-53x").status_code == 404
    assert client.get("/papers/date/not-a-date").status_code == 404


def test_category_filter_matches_whole_categories(client):
    lg = feature(FRI, 1, categories=["cs.LG"])[0]
    cv = feature(FRI, 1, upvotes=1, categories=["cs.CV", "cs.LGX"])[0]
    assert ids(client.get("/papers/date/2025-01-03?category=cs.LG")) == [lg.arxiv_id]
    assert ids(client.get("/papers/date/2025-01-03?category=cs.CV")) == [cv.arxiv_id]
    assert ids(client.get("/trending?category=cs.CV")) == [cv.arxiv_id]


def test_hidden_papers_leave_lists(client, make_user):
    from dailypapers.store.moderation import set_paper_hidden

    shown, hidden = feature(FRI, 2)
    set_paper_hidden(hidden.pk, True)
    assert ids(client.get("/papers/date/2025-01-03")) == [shown.arxiv_id]
    assert client.get(f"/papers/{hidden.arxiv_id}").status_code == 404


def test_empty_database_is_not_a_bare_page(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "No papers have been featured yet." in response.content.decode()


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/papers/date/2025-01-03",
        "/papers/week/2025-W01",
        "/papers/month/2025-01",
        "/trending",
        "/search?q=transformers",
        "/api/daily_papers?date=2025-01-03",
        "/api/papers/search?q=transformers",
        "/feed",
        "/trending/feed",
        "/search/feed?q=transformers",
    ],
)
def test_list_pages_do_not_grow_queries_with_rows(alice_client, alice, url):
    from dailypapers.community import votes
    from dailypapers.search.indexer import catch_up

    for paper in feature(FRI, 2, upvotes=3):
        votes.cast(alice, paper, True)
    catch_up()  # search pages list what the index holds (searches never write it)
    small = _queries(alice_client, url)
    for paper in feature(FRI, 8, upvotes=3):
        votes.cast(alice, paper, True)
    catch_up()
    assert _queries(alice_client, url) == small


def test_anonymous_pages_are_cached_briefly_logged_in_ones_never(client, alice, settings):
    settings.PAGE_CACHE_SECONDS = 60
    first = feature(FRI, 1, upvotes=1)[0]
    assert first.arxiv_id in client.get("/trending").content.decode()
    second = feature(FRI, 1, upvotes=2)[0]
    assert second.arxiv_id not in client.get("/trending").content.decode()  # cached copy
    assert "csrfmiddlewaretoken" not in client.get("/trending").content.decode()
    client.force_login(alice)
    assert second.arxiv_id in client.get("/trending").content.decode()

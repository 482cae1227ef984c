"""RSS and Atom feeds for days, trending, categories and searches."""

import datetime as dt

import pytest
from lxml import etree

from tests.web_fixtures import feature

pytestmark = pytest.mark.django_db
DAY = dt.date(2025, 1, 6)


def titles(response, atom=False):
    root = etree.fromstring(response.content)
    if atom:
        return [e.text for e in root.iter("{http://www.w3.org/2005/Atom}title")][1:]
    return [e.text for e in root.iter("title")][1:]


def test_day_feed_rss_and_atom(client):
    feature(DAY, 1, upvotes=3, title="First <b>bold</b> & paper")
    rss = client.get("/papers/date/2025-01-06/feed")
    assert rss["Content-Type"].startswith("application/rss+xml")
    assert titles(rss) == ["First <b>bold</b> & paper"]
    atom = client.get("/feed?format=atom")
    assert atom["Content-Type"].startswith("application/atom+xml")
    assert titles(atom, atom=True) == ["First <b>bold</b> & paper"]


def test_category_trending_and_search_feeds(client):
    feature(DAY, 1, upvotes=3, title="Vision thing", categories=["cs.CV"])
    feature(DAY, 1, upvotes=5, title="Language thing", categories=["cs.CL"])
    assert titles(client.get("/trending/feed")) == ["Language thing", "Vision thing"]
    assert titles(client.get("/trending/feed?category=cs.CV")) == ["Vision thing"]
    assert titles(client.get("/feed?category=cs.CL")) == ["Language thing"]
    from dailypapers.search.indexer import catch_up

    catch_up()  # searches never write the index
    assert titles(client.get("/search/feed?q=vision")) == ["Vision thing"]


def test_week_and_month_feeds_beside_the_day_feed(client):
    monday = feature(DAY, 1, upvotes=3, title="Monday paper", categories=["cs.CV"])
    feature(DAY + dt.timedelta(days=2), 1, upvotes=9, title="Wednesday paper", categories=["cs.CL"])
    feature(DAY + dt.timedelta(days=7), 1, upvotes=1, title="Next week's paper")
    assert titles(client.get("/papers/week/2025-W02/feed")) == ["Wednesday paper", "Monday paper"]
    assert titles(client.get("/papers/month/2025-01/feed?format=atom"), atom=True) == [
        "Wednesday paper",
        "Monday paper",
        "Next week's paper",
    ]
    assert titles(client.get("/papers/week/2025-W02/feed?category=cs.cv")) == ["Monday paper"]
    assert titles(client.get("/feed/week")) == ["Next week's paper"]
    assert len(titles(client.get("/feed/month"))) == 3
    assert client.get("/papers/week/2025-W99/feed").status_code == 404
    # Each list page points to its own feed.
    page = client.get("/papers/week/2025-W02").content.decode()
    assert 'href="/papers/week/2025-W02/feed"' in page and monday[0].title in page

"""Author pages: every name on a paper page links to a page (and feed) of that normalised name."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dailypapers.search.indexer import catch_up
from tests.search_fixtures import write_paper

pytestmark = pytest.mark.django_db


def test_author_pages_match_the_normalised_name_and_keep_initials_apart(client, search_index):
    a = write_paper(
        title="First by José",
        authors=["José Müller", "Ada Lovelace"],
        first_submitted=dt.datetime(2025, 1, 2, tzinfo=dt.timezone.utc),
    )
    write_paper(
        title="Second by Jose", authors=["jose muller"], first_submitted=dt.datetime(2025, 2, 2, tzinfo=dt.timezone.utc)
    )
    c = write_paper(title="By an initial", authors=["J. Müller"])
    catch_up()  # pages never write the index (serve's refresher does)
    page = client.get(f"/papers/{a.arxiv_id}").content.decode()
    assert '<a class="author" href="/authors/Jos%C3%A9%20M%C3%BCller">José Müller</a>' in page
    page = client.get("/authors/José Müller").content.decode()
    assert "First by José" in page and "Second by Jose" in page and "By an initial" not in page
    assert page.index("Second by Jose") < page.index("First by José")  # newest first
    assert "By an initial" in client.get("/authors/J. Müller").content.decode()
    assert client.get("/authors/Nobody At All").status_code == 404
    feed = client.get("/authors/José Müller/feed").content.decode()
    assert "<rss" in feed and "First by José" in feed and "Second by Jose" in feed
    assert "<feed" in client.get("/authors/José Müller/feed?format=atom").content.decode()
    assert c.arxiv_id not in feed


def test_author_page_queries_do_not_grow(client, search_index):
    write_paper(title="one", authors=["Grace Hopper"])
    catch_up()

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/authors/Grace Hopper").status_code == 200
        return len(queries)

    small = count()
    for n in range(10):
        write_paper(title=f"more {n}", authors=["Grace Hopper", f"Other {n}"])
    catch_up()
    assert count() <= small


def test_author_page_leaves_out_what_the_reader_marked_not_interested(client, search_index, django_user_model):
    keep = write_paper(title="Kept by Grace", authors=["Grace Hopper"])
    drop = write_paper(title="Dropped by Grace", authors=["Grace Hopper"])
    catch_up()
    from django.test import Client

    reader = Client()
    reader.force_login(django_user_model.objects.create_user("rita", "rita@example.org", "x" * 20))
    reader.post(f"/papers/{drop.arxiv_id}/signal", {"not_interested": "1"})
    page = reader.get("/authors/Grace Hopper").content.decode()
    assert keep.title in page and drop.title not in page
    assert drop.title in client.get("/authors/Grace Hopper").content.decode()  # others still see it
    # The author feed is public (no reader's token): the same for everyone.
    assert drop.title in client.get("/authors/Grace Hopper/feed").content.decode()

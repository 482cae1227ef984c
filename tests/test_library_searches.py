"""Saved searches: saved from the search page, then a page with new-match marks, a private feed and JSON."""

import datetime as dt

import pytest
from django.test import Client

from dailypapers.community import tokens
from dailypapers.library.models import SavedSearch
from dailypapers.search.indexer import catch_up
from dailypapers.store.guard import paper_writes
from tests.search_fixtures import write_paper

pytestmark = pytest.mark.django_db


def test_saved_search_is_a_page_a_feed_and_json(alice_client, alice, search_index, make_user):
    old = write_paper(title="Protein folding with diffusion", categories=["q-bio.BM"])
    write_paper(title="Protein folding in cs", categories=["cs.LG"])
    catch_up()  # pages never write the index (serve's refresher does)
    page = alice_client.get("/search?q=protein+folding&category=q-bio.BM").content.decode()
    assert 'action="/searches/new"' in page
    assert 'action="/searches/new"' not in Client().get("/search?q=protein+folding").content.decode()
    response = alice_client.post(
        "/searches/new", {"q": "protein folding", "category": "q-bio.BM", "sort": "newest", "name": "Folding"}
    )
    saved = SavedSearch.objects.get(user=alice)
    assert response["Location"] == f"/searches/{saved.pk}" and saved.category == "q-bio.BM"
    page = alice_client.get(f"/searches/{saved.pk}").content.decode()
    assert "Protein folding with diffusion" in page and "Protein folding in cs" not in page
    assert "new since you last looked" not in page  # saving it counts as looking
    fresh = write_paper(
        title="Protein folding, the sequel",
        categories=["q-bio.BM"],
        first_submitted=dt.datetime(2025, 3, 1, tzinfo=dt.timezone.utc),
    )
    catch_up()
    page = alice_client.get(f"/searches/{saved.pk}").content.decode()
    assert "1 new since you last looked" in page and page.count('class="new-mark"') == 1
    assert page.index("the sequel") < page.index("with diffusion")  # newest first, as saved
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {tokens.create(alice, 't')[1]}"}
    body = Client().get(f"/api/searches/{saved.pk}", **bearer).json()
    assert [(i["paper"]["id"], i["new"]) for i in body["items"]] == [(fresh.arxiv_id, True), (old.arxiv_id, False)]
    feed = Client().get(f"/searches/feed/{saved.feed_token}").content.decode()
    assert "<rss" in feed and "the sequel" in feed and "in cs" not in feed
    assert Client().get("/searches/feed/not-a-token").status_code == 404
    alice_client.post(f"/searches/{saved.pk}/seen")
    assert "new since you last looked" not in alice_client.get(f"/searches/{saved.pk}").content.decode()
    bob = Client()
    bob.force_login(make_user("bob"))
    assert bob.get(f"/searches/{saved.pk}").status_code == 404
    assert alice_client.get(f"/searches/{saved.pk}/seen").status_code == 405
    response = alice_client.post("/searches/new", {"q": "  ", "name": "empty"}, follow=True)
    assert "A saved search needs some words to search for." in response.content.decode()
    alice_client.post(f"/searches/{saved.pk}/delete")
    assert not SavedSearch.objects.exists()


def test_saved_search_page_queries_do_not_grow(alice_client, alice, search_index):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    write_paper(title="Sparse attention one")
    alice_client.post("/searches/new", {"q": "sparse attention", "name": "Sparse"})
    saved = SavedSearch.objects.get()

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert alice_client.get(f"/searches/{saved.pk}").status_code == 200
        return len(queries)

    count()
    small = count()
    for n in range(12):
        write_paper(title=f"Sparse attention {n}", authors=["Ada Lovelace", f"Coauthor {n}"])
    count()  # the keyword index catches up once
    assert count() == small


def test_saved_search_mails_new_matches_through_a_real_smtp_server(alice_client, alice, search_index, settings):
    import sys

    from django.core.management import call_command

    sys.path.insert(0, str(__import__("pathlib").Path(__file__).parent))
    from django.db.models import F

    from dailypapers.store.models import Paper
    from smtp_sink import SmtpSink

    def a_day_passes():
        with paper_writes():  # time travel on a column no index reads: the test alone may do it
            Paper.objects.update(created_at=F("created_at") - dt.timedelta(days=1))
        SavedSearch.objects.update(mailed_at=F("mailed_at") - dt.timedelta(days=1))

    sink = SmtpSink().start()
    try:
        for name, value in sink.settings().items():
            setattr(settings, name, value)
        write_paper(title="Quantum error correction, old")
        catch_up()
        alice_client.post("/searches/new", {"q": "quantum error correction", "name": "QEC"})
        saved = SavedSearch.objects.get()
        assert (
            alice_client.post(f"/searches/{saved.pk}/mail", {"mail": "hourly"}, follow=True)
            .content.decode()
            .count("is not daily, weekly or off.")
            == 1
        )
        alice_client.post(f"/searches/{saved.pk}/mail", {"mail": "daily"})
        saved.refresh_from_db()
        assert saved.mail == "daily" and saved.mailed_at
        write_paper(title="Quantum error correction, new")
        call_command("searches", "send")
        assert sink.received()["alice@example.org"] == 0  # not due yet: mailed (set up) less than a day ago
        a_day_passes()
        call_command("searches", "send")
        (mail,) = sink.mails_to("alice@example.org")
        text = mail.get_body().get_content()
        assert "Quantum error correction, new" in text and "old" not in text
        assert "1 new paper for “QEC”" in mail["Subject"]
        a_day_passes()
        call_command("searches", "send")  # nothing stored since the last mail: no mail
        assert sink.received()["alice@example.org"] == 1
    finally:
        sink.stop()


def test_not_interested_papers_leave_that_readers_search_results(alice_client, alice, search_index):
    keep = write_paper(title="Tokenizers for code, kept")
    drop = write_paper(title="Tokenizers for code, dropped")
    catch_up()
    alice_client.post(f"/papers/{drop.arxiv_id}/signal", {"not_interested": "1"})
    page = alice_client.get("/search?q=tokenizers+code").content.decode()
    assert keep.title in page and drop.title not in page
    assert drop.title in Client().get("/search?q=tokenizers+code").content.decode()
    alice_client.post("/searches/new", {"q": "tokenizers code", "sort": "relevance", "name": "Tok"})
    saved = SavedSearch.objects.get(user=alice, name="Tok")
    page = alice_client.get(f"/searches/{saved.pk}").content.decode()
    assert keep.title in page and drop.title not in page  # the saved search's page, feed and JSON too
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {tokens.create(alice, 't')[1]}"}
    ids = [i["paper"]["id"] for i in Client().get(f"/api/searches/{saved.pk}", **bearer).json()["items"]]
    assert keep.arxiv_id in ids and drop.arxiv_id not in ids
    for fmt in ("", "?format=atom"):  # the feed, fetched by its private token (no session)
        feed = Client().get(f"/searches/feed/{saved.feed_token}{fmt}").content.decode()
        assert keep.title in feed and drop.title not in feed, fmt


def test_not_interested_marks_cost_the_search_page_constant_queries(alice_client, alice, search_index):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    papers = [write_paper(title=f"Sparse attention kernels {n}") for n in range(8)]
    catch_up()

    def count():
        with CaptureQueriesContext(connection) as queries:
            page = alice_client.get("/search?q=sparse+attention+kernels").content.decode()
        return len(queries), page

    alice_client.post(f"/papers/{papers[0].arxiv_id}/signal", {"not_interested": "1"})
    small, _ = count()
    for paper in papers[1:5]:
        alice_client.post(f"/papers/{paper.arxiv_id}/signal", {"not_interested": "1"})
    big, page = count()
    assert all(p.title not in page for p in papers[:5]) and all(p.title in page for p in papers[5:])
    assert big == small

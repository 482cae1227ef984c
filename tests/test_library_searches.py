"""Saved searches: saved from the search page, then a page with new-match marks, a private feed and JSON."""

import datetime as dt

import pytest
from django.test import Client

from dailypapers.community import tokens
from dailypapers.library import alerts, searches
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


def _form_fields(page: str, action: str) -> dict:
    """The fields a form on the page would post, read from the page itself."""
    import re

    form = page[page.index(f'action="{action}"') :]
    form = form[: form.index("</form>")]
    return dict(re.findall(r'name="(\w+)"[^>]*? value="([^"]*)"', form))


def test_save_search_keeps_every_filter_of_the_search_it_saves(alice_client, alice, search_index):
    """Saving /search?q=…&category=… used to save the words alone: its page, feed and JSON found every
    category's papers (on the bundled data 5,077 matches instead of the search's 1,678)."""
    keep = write_paper(title="Speculative decoding for language models", categories=["cs.CL"], authors=["Ada Byron"])
    write_paper(title="Speculative decoding for video models", categories=["cs.CV"], authors=["Ada Byron"])
    write_paper(title="Speculative decoding with draft heads", categories=["cs.CL"], authors=["Alan Turing"])
    catch_up()
    wanted = "/search?q=speculative+decoding&category=cs.CL&author=Ada+Byron&mode=keyword&sort=newest"
    page = alice_client.get(wanted).content.decode()
    assert "1 result" in page
    fields = _form_fields(page, "/searches/new")
    assert fields["category"] == "cs.CL" and fields["author"] == "Ada Byron" and fields["mode"] == "keyword"
    response = alice_client.post("/searches/new", fields)
    saved = SavedSearch.objects.get(user=alice)
    assert response["Location"] == f"/searches/{saved.pk}"
    assert (saved.category, saved.author, saved.mode, saved.sort) == ("cs.CL", "Ada Byron", "keyword", "newest")
    page = alice_client.get(f"/searches/{saved.pk}").content.decode()
    assert "1 match" in page and "video" not in page and "draft heads" not in page
    assert "author=Ada+Byron" in page and "mode=keyword" in page  # "Edit as a search" carries them back
    assert "in cs.CL by Ada Byron" in alice_client.get("/searches").content.decode()
    ids = [i["paper"]["id"] for i in alice_client.get(f"/api/searches/{saved.pk}").json()["items"]]
    assert ids == [keep.arxiv_id]
    feed = Client().get(f"/searches/feed/{saved.feed_token}").content.decode()
    assert "language models" in feed and "video" not in feed and "draft heads" not in feed
    # A filter the search page refuses is refused here too, in the page's words.
    response = alice_client.post("/searches/new", {"q": "x", "category": "not a category!", "name": "bad"}, follow=True)
    assert SavedSearch.objects.count() == 1 and "category" in response.content.decode().lower()


def _saved_by_form(client, query: str) -> SavedSearch:
    client.post("/searches/new", {"q": query, "name": query})
    return SavedSearch.objects.get(name=query)


def _alerts_setup(client, make_strong: int = 110):
    """``make_strong`` old papers that match the saved search well, then two new matches: one strong,
    one that ranks below all of them (the words once, in a long abstract)."""
    from tests.search_fixtures import write_papers
    from tests.web_fixtures import paper_record

    write_papers(
        *[
            paper_record(
                title=f"Sparse retrieval {n}: sparse retrieval for sparse retrieval",
                abstract="Sparse retrieval, sparse retrieval and more sparse retrieval.",
            )
            for n in range(make_strong)
        ]
    )
    catch_up()
    saved = _saved_by_form(client, "sparse retrieval")
    client.post(f"/searches/{saved.pk}/mail", {"mail": "daily"})
    strong = write_paper(title="Sparse retrieval, new and strong", abstract="Sparse retrieval at scale.")
    weak = write_paper(
        title="A survey of indexing",
        abstract=" ".join(["Inverted indexes and learned indexes are compared on many corpora."] * 30)
        + " One baseline is sparse retrieval.",
    )
    catch_up()
    return saved, strong, weak


def test_alerts_and_new_marks_find_new_matches_however_low_they_rank(alice, alice_client, search_index, settings, sink):
    """Alerts looked only at the top 50 by relevance: a new match ranked below was never mailed, and the
    mark moved past it for good; the page counted only the new papers on its first page."""
    from django.db.models import F

    from dailypapers.store.models import Paper

    saved, strong, weak = _alerts_setup(alice_client)
    rank = [p.arxiv_id for p in searches.run(saved, 100).papers]
    assert weak.arxiv_id not in rank  # below the top 100 by relevance
    page = alice_client.get(f"/searches/{saved.pk}").content.decode()
    assert "2 new since you last looked" in page and weak.title in page and page.count('class="new-mark"') == 2
    with paper_writes():  # a day passes (test-only time travel on columns no index reads)
        Paper.objects.update(created_at=F("created_at") - dt.timedelta(days=1))
    SavedSearch.objects.update(mailed_at=F("mailed_at") - dt.timedelta(days=1))
    assert alerts.send_due().sent == 1
    saved.refresh_from_db()
    (mail,) = sink.mails_to("alice@example.org")
    assert mail["Subject"].startswith("2 new papers")
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    for body in (text, html):
        assert strong.title in body and weak.title in body and "Sparse retrieval 3:" not in body
    stop = mail["List-Unsubscribe"].strip().strip("<>")
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert stop in html and stop in text
    assert alerts.send_due().sent == 0  # the mark moved past both, and nothing was left behind
    # RFC 8058 one-click: a mail client's POST, no cookie, no CSRF token.
    path = stop.removeprefix(settings.BASE_URL)
    assert Client(enforce_csrf_checks=True).get(path).status_code == 200
    saved.refresh_from_db()
    assert saved.mail == "daily"  # GET only shows the button
    response = Client(enforce_csrf_checks=True).post(path, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    saved.refresh_from_db()
    assert saved.mail == ""
    assert Client().post(path[:-3] + "xyz").status_code == 404


def test_saved_search_feed_items_all_have_dates(alice_client, search_index):
    """Papers known from an arXiv listing have an announcement day but no submission time: their
    feed items had no date (45 of 50 in the bundled data's saved-search feed)."""
    write_paper(title="Sparse retrieval, listed", first_submitted=None, announced=dt.date(2026, 3, 4))
    write_paper(title="Sparse retrieval, submitted")
    catch_up()
    saved = _saved_by_form(alice_client, "sparse retrieval")
    for fmt, item, tag in (("", "<item>", "<pubDate>"), ("?format=atom", "<entry>", "<published>")):
        feed = Client().get(f"/searches/feed/{saved.feed_token}{fmt}").content.decode()
        assert feed.count(item) == 2 and feed.count(tag) == 2
    assert "Wed, 04 Mar 2026" in Client().get(f"/searches/feed/{saved.feed_token}").content.decode()


def test_the_saved_search_json_link_works_for_its_owner_signed_in(alice, alice_client, search_index, make_user):
    """The page's "JSON" link answered its own owner 401: the API took bearer tokens only."""
    write_paper(title="Sparse retrieval for code")
    catch_up()
    saved = _saved_by_form(alice_client, "sparse retrieval")
    page = alice_client.get(f"/searches/{saved.pk}").content.decode()
    assert f'href="/api/searches/{saved.pk}"' in page
    response = alice_client.get(f"/api/searches/{saved.pk}")
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "sparse retrieval" and len(body["items"]) == 1
    assert alice_client.get("/api/searches").json()[0]["id"] == saved.pk
    assert Client().get(f"/api/searches/{saved.pk}").status_code == 401
    bob = Client()
    bob.force_login(make_user("bob"))
    assert bob.get(f"/api/searches/{saved.pk}").status_code == 404
    # Token auth is as before: a wrong token is refused, a right one works without a session.
    assert Client().get(f"/api/searches/{saved.pk}", HTTP_AUTHORIZATION="Bearer nope").status_code == 401
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {tokens.create(alice, 't')[1]}"}
    assert Client().get(f"/api/searches/{saved.pk}", **bearer).status_code == 200
    # Writes still take a token only: the session does not authenticate them.
    assert alice_client.post("/api/collections", {"name": "x"}, content_type="application/json").status_code == 401


def test_new_matches_agree_whether_matches_or_candidates_are_fewer(alice, search_index):
    """After a bulk import every stored paper is new: the matches are then read whole and kept if new,
    instead of naming every candidate to the engine; both ways find the same papers in the same order."""
    from tests.search_fixtures import write_papers
    from tests.web_fixtures import paper_record

    write_papers(*[paper_record(title=f"Unrelated topic {n}", abstract="Nothing to see.") for n in range(40)])
    hits = write_papers(
        paper_record(title="Sparse retrieval sparse retrieval", abstract="Sparse retrieval."),
        paper_record(title="Sparse retrieval", abstract="Dense too."),
        paper_record(title="Indexes", abstract="Once: sparse retrieval."),
    )
    catch_up()
    saved = searches.save(alice, "Sparse", {"q": "sparse retrieval"})
    every = searches.new_matches(saved, None)  # 43 candidates, 3 matches: the matches read whole
    assert every.total == 3 and {p.arxiv_id for p in every.papers} == {h.arxiv_id for h in hits}
    from dailypapers.lists import search_requests

    named = search_requests.matches_among(searches.request(saved), [h.arxiv_id for h in reversed(hits)], 50)
    assert named.total == 3 and set(named.papers) == set(every.papers)
    # Their order is not compared: the index is sharded by id, and under a parallel run the ids (and
    # so each shard's term statistics) differ from run to run.

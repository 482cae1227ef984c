"""Collections on the web: save from the paper page (plain POST forms), rename, reorder, notes, share, import."""

import datetime as dt

import bibtexparser
import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from dailypapers import periods
from dailypapers.community.models import ReaderMark
from dailypapers.library.models import Collection, CollectionItem
from tests.web_fixtures import feature

pytestmark = pytest.mark.django_db
DAY = dt.date(2025, 1, 6)


def _items(collection):
    return list(
        CollectionItem.objects.filter(collection=collection)
        .order_by("position")
        .values_list("paper__arxiv_id", flat=True)
    )


def test_save_from_the_paper_page_into_default_and_new_collections(alice_client, alice, make_user):
    paper, other = feature(DAY, 2)
    page = alice_client.get(f"/papers/{paper.arxiv_id}").content.decode()
    assert f'action="/papers/{paper.arxiv_id}/save"' in page and "Reading list" in page
    assert 'name="csrfmiddlewaretoken"' in page
    assert not Collection.objects.exists()  # GET never writes: the Reading list comes with the first save
    response = alice_client.post(f"/papers/{paper.arxiv_id}/save", {"collection": ""})
    default = Collection.objects.get(user=alice)
    assert response.status_code == 302 and response["Location"] == f"/papers/{paper.arxiv_id}"
    assert _items(default) == [paper.arxiv_id]
    alice_client.post(f"/papers/{paper.arxiv_id}/save", {"new_name": "Thesis"})
    thesis = Collection.objects.get(user=alice, name="Thesis")
    assert _items(thesis) == [paper.arxiv_id]
    alice_client.post(f"/papers/{other.arxiv_id}/save", {"collection": str(thesis.pk)})
    assert _items(thesis) == [paper.arxiv_id, other.arxiv_id]
    page = alice_client.get(f"/papers/{paper.arxiv_id}").content.decode()
    assert "Saved in" in page and f'href="/library/{thesis.pk}"' in page
    # GET never writes; anonymous readers are sent to log in; another reader's collection is not reachable.
    assert alice_client.get(f"/papers/{other.arxiv_id}/save").status_code == 405
    assert Client().post(f"/papers/{other.arxiv_id}/save").status_code == 302
    bob = Client()
    bob.force_login(make_user("bob"))
    assert bob.get(f"/library/{thesis.pk}").status_code == 404
    assert bob.post(f"/papers/{other.arxiv_id}/save", {"collection": str(default.pk)}).status_code == 404
    assert _items(default) == [paper.arxiv_id]


def test_csrf_is_required(alice):
    paper = feature(DAY, 1)[0]
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(alice)
    assert strict.post(f"/papers/{paper.arxiv_id}/save", {}).status_code == 403
    assert not CollectionItem.objects.exists()


def test_rename_reorder_notes_remove_delete(alice_client, alice):
    a, b, c = feature(DAY, 3)
    alice_client.post("/library/new", {"name": "Later"})
    later = Collection.objects.get(user=alice, name="Later")
    for p in (a, b, c):
        alice_client.post(f"/papers/{p.arxiv_id}/save", {"collection": str(later.pk)})
    alice_client.post(f"/library/{later.pk}/papers/{c.arxiv_id}/move", {"direction": "up"})
    assert _items(later) == [a.arxiv_id, c.arxiv_id, b.arxiv_id]
    alice_client.post(f"/library/{later.pk}/papers/{a.arxiv_id}/note", {"note": "read §3 <b>first</b>"})
    page = alice_client.get(f"/library/{later.pk}").content.decode()
    assert "read §3 &lt;b&gt;first&lt;/b&gt;" in page
    alice_client.post(f"/library/{later.pk}/rename", {"name": "Someday"})
    later.refresh_from_db()
    assert later.name == "Someday"
    response = alice_client.post(f"/library/{later.pk}/rename", {"name": "Reading list"}, follow=True)
    assert "You already have a collection named “Reading list”." in response.content.decode()
    names = lambda: list(
        Collection.objects.filter(user=alice).order_by("position", "id").values_list("name", flat=True)
    )
    assert names() == ["Reading list", "Someday"]
    alice_client.post(f"/library/{later.pk}/move", {"direction": "up"})
    assert names() == ["Someday", "Reading list"]
    alice_client.post(f"/papers/{b.arxiv_id}/save", {"collection": str(later.pk), "remove": "1"})
    assert _items(later) == [a.arxiv_id, c.arxiv_id]
    alice_client.post(f"/library/{later.pk}/delete")
    assert names() == ["Reading list"] and not CollectionItem.objects.filter(collection_id=later.pk).exists()


def test_private_by_default_shared_by_revocable_link(alice_client, alice):
    paper = feature(DAY, 1, title="Shared & escaped")[0]
    alice_client.post(f"/papers/{paper.arxiv_id}/save", {})
    default = Collection.objects.get(user=alice)
    assert default.share_token == ""
    alice_client.post(f"/library/{default.pk}/share", {"share": "1"})
    default.refresh_from_db()
    token = default.share_token
    assert len(token) >= 32
    anonymous = Client()
    page = anonymous.get(f"/shared/{token}").content.decode()
    assert "Shared &amp; escaped" in page and "csrfmiddlewaretoken" not in page  # read-only
    (entry,) = bibtexparser.parse_string(anonymous.get(f"/shared/{token}.bib").content.decode()).entries
    assert entry["eprint"] == paper.arxiv_id
    assert anonymous.get(f"/library/{default.pk}").status_code == 302  # the owner's page needs the login
    alice_client.post(f"/library/{default.pk}/share", {"share": "0"})
    assert anonymous.get(f"/shared/{token}").status_code == 404
    assert anonymous.get(f"/shared/{token}.bib").status_code == 404


def test_bib_downloads_parse_back(alice_client, alice):
    a = feature(
        DAY, 1, title="Learning to rank", authors=["Ada Lovelace"], journal_ref="JMLR 1 (2025)", doi="10.5555/abc"
    )[0]
    b = feature(DAY, 1, title="Learning to rank again", authors=["Ada Lovelace"])[0]
    single = Client().get(f"/papers/{a.arxiv_id}.bib")
    assert single["Content-Type"].startswith("application/x-bibtex")
    assert 'filename="' in single["Content-Disposition"]
    (entry,) = bibtexparser.parse_string(single.content.decode()).entries
    assert entry.entry_type == "article" and entry["doi"] == "10.5555/abc" and entry["journal"] == "JMLR 1 (2025)"
    for p in (a, b):
        alice_client.post(f"/papers/{p.arxiv_id}/save", {})
    default = Collection.objects.get(user=alice)
    entries = bibtexparser.parse_string(alice_client.get(f"/library/{default.pk}.bib").content.decode()).entries
    assert [e["eprint"] for e in entries] == [a.arxiv_id, b.arxiv_id]
    assert len({e.key for e in entries}) == 2 and all(e.key.startswith("lovelace2025learning") for e in entries)


def test_import_bibtex_and_ids_lists_missing_and_fetches(alice_client, alice, arxiv_api):
    known = feature(DAY, 1)[0]
    default = Collection.objects.get_or_create(user=alice, name="Reading list")[0]
    bib = (
        f"@misc{{k1, title={{Whatever}}, eprint={{{known.arxiv_id}}}}}\n"
        "@misc{k2, title={Not stored}, eprint={2412.99999}}\n@misc{broken, title={x}\n"
    )
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = alice_client.post(
        f"/library/{default.pk}/import", {"file": SimpleUploadedFile("refs.bib", bib.encode())}, follow=True
    )
    text = response.content.decode()
    assert "1 added" in text and "1 not found" in text and "1 unreadable" in text
    assert "line 2 (k2): we have no paper 2412.99999." in text and "line 3:" in text
    assert _items(default) == [known.arxiv_id]
    # A list of ids; the one we lack is fetched from (a loopback replay of) the arXiv API when asked.
    from dailypapers.ingest.parsers.atom import parse_atom
    from tests.conftest import RECORDED

    recorded = next(r for r in parse_atom(RECORDED.read_bytes()) if hasattr(r, "arxiv_id"))
    response = alice_client.post(
        f"/library/{default.pk}/import",
        {"text": f"{known.arxiv_id}\nhttps://arxiv.org/abs/{recorded.arxiv_id}v1\nnot-an-id", "fetch": "1"},
        follow=True,
    )
    text = response.content.decode()
    assert "1 added" in text and "1 already there" in text and "1 fetched from arXiv" in text
    assert "“not-an-id” is not an arXiv id or arXiv URL." in text
    assert _items(default) == [known.arxiv_id, recorded.arxiv_id] and len(arxiv_api) == 1


def test_not_interested_and_read_are_post_only_toggles(alice_client, alice):
    paper = feature(DAY, 1)[0]
    assert alice_client.get(f"/papers/{paper.arxiv_id}/signal").status_code == 405
    alice_client.post(f"/papers/{paper.arxiv_id}/signal", {"not_interested": "1"})
    alice_client.post(f"/papers/{paper.arxiv_id}/signal", {"read": "1"})
    signal = ReaderMark.objects.get(user=alice, paper=paper)
    assert signal.not_interested and signal.read_at
    page = alice_client.get(f"/papers/{paper.arxiv_id}").content.decode()
    assert "Show me this paper again" in page and "Mark unread" in page
    alice_client.post(f"/papers/{paper.arxiv_id}/signal", {"not_interested": "0", "read": "0"})
    signal.refresh_from_db()
    assert not signal.not_interested and signal.read_at is None


def test_interests_form_validates(alice_client, alice):
    feature(DAY, 1, categories=["cs.LG", "stat.ML"])  # the one category rule names categories papers here have
    response = alice_client.post("/library/interests", {"categories": "cs.LG, stat.ML", "keywords": "diffusion, RLHF"})
    assert response.status_code == 302
    assert alice.interests.categories == ["cs.LG", "stat.ML"] and alice.interests.keywords == ["diffusion", "RLHF"]
    response = alice_client.post("/library/interests", {"categories": "cs.LG; DROP TABLE", "keywords": ""})
    assert "is not an arXiv category" in response.content.decode()


def _count(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_query_counts_do_not_grow_with_papers_or_collections(alice_client, alice):
    papers = feature(DAY, 3)
    alice_client.post(f"/papers/{papers[0].arxiv_id}/save", {})
    default = Collection.objects.get(user=alice)
    small = (
        _count(alice_client, f"/library/{default.pk}"),
        _count(alice_client, "/library"),
        _count(alice_client, f"/papers/{papers[0].arxiv_id}"),
    )
    for p in papers[1:] + feature(DAY, 20):
        alice_client.post(f"/papers/{p.arxiv_id}/save", {})
    for n in range(5):
        alice_client.post("/library/new", {"name": f"c{n}"})
    big = (
        _count(alice_client, f"/library/{default.pk}"),
        _count(alice_client, "/library"),
        _count(alice_client, f"/papers/{papers[0].arxiv_id}"),
    )
    assert big == small


def test_not_interested_papers_leave_that_readers_lists_only(alice_client, alice, make_user):
    keep, drop = feature(DAY, 2, upvotes=3)
    alice_client.post(f"/papers/{drop.arxiv_id}/signal", {"not_interested": "1"})
    for url in (f"/papers/date/{DAY}", "/trending"):
        page = alice_client.get(url).content.decode()
        assert keep.title in page and drop.title not in page, url
    bob = Client()
    bob.force_login(make_user("bob"))
    assert drop.title in bob.get(f"/papers/date/{DAY}").content.decode()
    assert drop.title in Client().get("/trending").content.decode()


def test_not_interested_is_left_out_in_the_listing_query_so_pages_stay_full(alice, make_user):
    from dailypapers.lists import listings

    feature(DAY, 3, upvotes=3)
    period = periods.Period.containing("day", DAY)
    everyone = [p.pk for p in listings.period_papers(period, page_size=3).papers]
    ReaderMark.objects.create(user=alice, paper_id=everyone[0], not_interested=True)
    mine = listings.period_papers(period, page_size=2, reader=alice)
    assert [p.pk for p in mine.papers] == everyone[1:]  # a full page: the mark is left out before paging
    assert mine.total == 2 and not mine.has_next  # and the count agrees with what the reader sees
    assert listings.period_papers(period, page_size=2, reader=make_user("bob")).total == 3
    assert everyone[0] not in [p.pk for p in listings.trending_page(reader=alice).papers]
    assert everyone[0] in [p.pk for p in listings.trending_page().papers]


@pytest.mark.parametrize(
    "url",
    [
        f"/papers/date/{DAY}",
        f"/papers/week/{DAY.isocalendar()[0]}-W{DAY.isocalendar()[1]:02d}",
        f"/papers/month/{DAY:%Y-%m}",
        "/trending",
    ],
)
def test_not_interested_marks_cost_constant_queries(alice_client, alice, url):
    papers = feature(DAY, 12, upvotes=3)
    alice_client.post(f"/papers/{papers[0].arxiv_id}/signal", {"not_interested": "1"})
    small = _count(alice_client, url)
    for paper in papers[1:8]:
        alice_client.post(f"/papers/{paper.arxiv_id}/signal", {"not_interested": "1"})
    page = alice_client.get(url).content.decode()
    assert all(p.title not in page for p in papers[:8]) and all(p.title in page for p in papers[8:])
    assert _count(alice_client, url) == small

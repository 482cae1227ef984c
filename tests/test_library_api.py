"""The library's JSON API with per-user tokens, and the CLI commands `bibtex` and `collection`."""

import datetime as dt

import bibtexparser
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from dailypapers.community import tokens
from dailypapers.community.models import ReaderMark
from dailypapers.library.models import Collection, CollectionItem
from tests.web_fixtures import feature

pytestmark = pytest.mark.django_db
DAY = dt.date(2025, 1, 6)


@pytest.fixture
def bearer(alice):
    return {"HTTP_AUTHORIZATION": f"Bearer {tokens.create(alice, 'test')[1]}"}


def test_collections_through_the_api(client, alice, bearer, make_user):
    a, b = feature(DAY, 2)
    assert client.get("/api/collections").status_code == 401
    assert client.get("/api/collections", **bearer).json() == []  # reading creates nothing
    made = client.post("/api/collections", {"name": "Thesis"}, content_type="application/json", **bearer)
    assert made.status_code == 201
    default, _ = client.get("/api/collections", **bearer).json()
    assert default["name"] == "Reading list" and default["papers"] == 0 and default["shared"] is False
    pk = made.json()["id"]
    dup = client.post("/api/collections", {"name": "Thesis"}, content_type="application/json", **bearer)
    assert dup.status_code == 400 and dup.json()["detail"] == "You already have a collection named “Thesis”."
    for p in (a, b):
        saved = client.post(
            f"/api/collections/{pk}/papers",
            {"arxiv_id": p.arxiv_id, "note": "n"},
            content_type="application/json",
            **bearer,
        )
        assert saved.json() == {"saved": True, "added": True}
    got = client.get(f"/api/collections/{pk}", **bearer).json()
    assert [i["id"] for i in got["papers"]] == [a.arxiv_id, b.arxiv_id] and got["papers"][0]["note"] == "n"
    entries = bibtexparser.parse_string(client.get(f"/api/collections/{pk}/bibtex", **bearer).content.decode()).entries
    assert [e["eprint"] for e in entries] == [a.arxiv_id, b.arxiv_id]
    assert client.delete(f"/api/collections/{pk}/papers/{a.arxiv_id}", **bearer).json() == {"removed": True}
    imported = client.post(
        f"/api/collections/{pk}/import", {"text": f"{a.arxiv_id} 2412.99999"}, content_type="application/json", **bearer
    ).json()
    assert imported["added"] == [a.arxiv_id] and imported["missing"] == ["2412.99999: we have no paper 2412.99999."]
    assert client.put(
        f"/api/collections/{pk}/papers/{b.arxiv_id}/note",
        {"note": " see fig. 2 "},
        content_type="application/json",
        **bearer,
    ).json() == {"note": "see fig. 2"}
    notes = {i["id"]: i["note"] for i in client.get(f"/api/collections/{pk}", **bearer).json()["papers"]}
    assert notes == {b.arxiv_id: "see fig. 2", a.arxiv_id: ""}
    shared = client.patch(
        f"/api/collections/{pk}", {"name": "PhD", "shared": True}, content_type="application/json", **bearer
    ).json()
    assert shared["name"] == "PhD" and shared["shared"] and "/shared/" in shared["url"]
    assert client.get(shared["url"]).status_code == 200
    client.patch(f"/api/collections/{pk}", {"shared": False}, content_type="application/json", **bearer)
    assert client.get(shared["url"]).status_code == 404
    other = {"HTTP_AUTHORIZATION": f"Bearer {tokens.create(make_user('bob'), 'b')[1]}"}
    assert client.get(f"/api/collections/{pk}", **other).status_code == 404
    (entry,) = bibtexparser.parse_string(client.get(f"/api/bibtex/{a.arxiv_id}").content.decode()).entries
    assert entry["eprint"] == a.arxiv_id
    assert client.get("/api/bibtex/9999.99999").status_code == 404
    assert client.delete(f"/api/collections/{pk}", **other).status_code == 404
    assert client.delete(f"/api/collections/{pk}", **bearer).json() == {"deleted": "PhD"}
    assert [c["name"] for c in client.get("/api/collections", **bearer).json()] == ["Reading list"]


def test_signals_through_the_api(client, alice, bearer):
    paper = feature(DAY, 1)[0]
    url = f"/api/signals/{paper.arxiv_id}"
    assert client.post(url, {"not_interested": True}, content_type="application/json").status_code == 401
    assert client.post(url, {"not_interested": True}, content_type="application/json", **bearer).json() == {
        "not_interested": True,
        "read": False,
    }
    assert client.post(url, {"read": True}, content_type="application/json", **bearer).json() == {
        "not_interested": True,
        "read": True,
    }
    assert ReaderMark.objects.get(user=alice, paper=paper).not_interested


def test_cli_bibtex_and_collection_import(alice, tmp_path, capsys):
    a = feature(DAY, 1, title="Graph nets", authors=["Ada Lovelace"])[0]
    b = feature(DAY, 1, title="Graph nets", authors=["Ada Lovelace"])[0]
    call_command("bibtex", a.arxiv_id, f"arXiv:{b.arxiv_id}v2")
    entries = bibtexparser.parse_string(capsys.readouterr().out).entries
    assert [e.key for e in entries] == ["lovelace2025grapha", "lovelace2025graphb"]
    with pytest.raises(CommandError, match="We have no paper 2412.99999"):
        call_command("bibtex", "2412.99999")
    with pytest.raises(CommandError, match="is not an arXiv id"):
        call_command("bibtex", "banana")
    refs = tmp_path / "refs.bib"
    call_command("bibtex", a.arxiv_id, b.arxiv_id, output=str(refs))
    call_command("collection", "import", "alice", "From file", str(refs))
    assert "From file: 2 added, 0 already there, 0 not found, 0 unreadable." in capsys.readouterr().out
    target = Collection.objects.get(user=alice, name="From file")
    assert list(CollectionItem.objects.filter(collection=target).values_list("paper_id", flat=True)) == [a.pk, b.pk]
    ids = tmp_path / "ids.txt"
    ids.write_text(f"# my list\n{a.arxiv_id}\n2412.99999\n")
    with pytest.raises(SystemExit):
        call_command("collection", "import", "alice", "From file", str(ids))
    captured = capsys.readouterr()
    assert "0 added, 1 already there, 1 not found" in captured.out
    assert f"{ids}: 2412.99999: we have no paper 2412.99999." in captured.err
    call_command("collection", "export", "alice", "From file")
    assert [e["eprint"] for e in bibtexparser.parse_string(capsys.readouterr().out).entries] == [a.arxiv_id, b.arxiv_id]
    with pytest.raises(CommandError, match="There is no user 'nobody'"):
        call_command("collection", "import", "nobody", "x", str(ids))

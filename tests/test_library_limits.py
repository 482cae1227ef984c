"""The library's limits: bounded imports (caps, batches, rate, the worker hand-off, what a cut-short
import says), the collection size cap, paged and cached shared pages, a bounded For you profile,
the PostgreSQL statement timeout of web requests, and the collection operations' edge cases."""

import datetime as dt
import threading

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from dailypapers.community import tokens
from dailypapers.community.models import ReaderMark
from dailypapers.library import imports, transfer
from dailypapers.library.models import Collection, CollectionImport, CollectionItem
from tests.search_fixtures import write_paper
from tests.web_fixtures import feature

pytestmark = pytest.mark.django_db
DAY = dt.date(2025, 1, 6)
on_postgres = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only")


@pytest.fixture
def config(monkeypatch):
    """Set DAILYPAPERS_* values for one test (settings.CONFIG is read where each limit applies)."""

    def set_(**values):
        for name, value in values.items():
            monkeypatch.setitem(django_settings.CONFIG, f"DAILYPAPERS_{name}", value)

    return set_


def _reading_list(user) -> Collection:
    return Collection.objects.get_or_create(user=user, name="Reading list")[0]


def _ids(collection) -> list[str]:
    return list(
        CollectionItem.objects.filter(collection=collection)
        .order_by("position")
        .values_list("paper__arxiv_id", flat=True)
    )


def test_title_only_entries_are_looked_up_in_bounded_statements(alice):
    # One OR per title made a single statement that SQLite refused past ~1,200 entries (a 500) and
    # that PostgreSQL ran for more than 20 minutes at 60,000.
    stored = feature(DAY, 3, title="Stored title")
    for i, paper in enumerate(stored):
        from dailypapers.store.guard import paper_writes

        with paper_writes():
            type(paper).objects.filter(pk=paper.pk).update(title=f"A Stored Title number {i}")
    entries = [f"@misc{{k{i}, title={{Unknown paper {i}}}}}" for i in range(1500)]
    entries += ["@misc{s0, title={a stored title NUMBER 0}}", "@misc{s2, title={A Stored Title number 2}}"]
    default = _reading_list(alice)
    with CaptureQueriesContext(connection) as queries:
        result = transfer.import_text(alice, default.pk, "\n".join(entries))
    assert sorted(_ids(default)) == sorted([stored[0].arxiv_id, stored[2].arxiv_id])
    assert result.missing_count == 1500 and len(result.missing) == transfer.MAX_REPORTED
    lookups = [q["sql"] for q in queries.captured_queries if 'FROM "store_paper"' in q["sql"]]
    assert len(lookups) == 6  # 1,502 entries: six batches of at most 300, one title statement each
    assert all(" OR " not in sql.upper() for sql in lookups)


def test_oversized_imports_are_refused_before_any_work(alice_client, alice, config):
    config(LIBRARY_IMPORT_MAX_KB=1, LIBRARY_IMPORT_MAX_ENTRIES=10)
    default = _reading_list(alice)
    big = "x" * 2000
    page = alice_client.post(f"/library/{default.pk}/import", {"text": big}, follow=True).content.decode()
    assert "The import is larger than 1 KiB; split it into smaller files." in page
    ids = " ".join(f"2501.{n:05d}" for n in range(11))
    page = alice_client.post(f"/library/{default.pk}/import", {"text": ids}, follow=True).content.decode()
    assert "The import has more than 10 entries; split it into smaller files." in page
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {tokens.create(alice, 't')[1]}"}
    response = Client().post(
        f"/api/collections/{default.pk}/import", {"text": ids}, content_type="application/json", **bearer
    )
    assert response.status_code == 400 and "more than 10 entries" in response.json()["error"]
    assert not CollectionItem.objects.exists() and not CollectionImport.objects.exists()


def test_malformed_bibtex_gives_bounded_output(alice, caplog):
    # 1 MB of broken entries made an 18 MB answer: now the first MAX_REPORTED sentences and a count.
    bib = "\n".join(f"@misc{{broken{i}, title={{x}}\n" for i in range(150))
    default = _reading_list(alice)
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {tokens.create(alice, 't')[1]}"}
    body = (
        Client()
        .post(f"/api/collections/{default.pk}/import", {"text": bib}, content_type="application/json", **bearer)
        .json()
    )
    reported = len(body["errors"]) + len(body["missing"])
    assert reported <= transfer.MAX_REPORTED and body["error_count"] + body["missing_count"] >= 1
    result = transfer.import_text(alice, default.pk, bib)
    lines = result.lines()
    assert len(lines) <= transfer.MAX_REPORTED + 1
    total = result.error_count + result.missing_count
    if total > transfer.MAX_REPORTED:
        assert lines[-1] == f"… and {total - transfer.MAX_REPORTED:,} more not listed."
    assert not [r for r in caplog.records if r.name.startswith("bibtexparser")]  # no log line per block


def test_imports_are_rate_limited(alice_client, alice, settings):
    settings.IMPORT_RATE = "2/3600"
    default = _reading_list(alice)
    for _ in range(2):
        assert alice_client.post(f"/library/{default.pk}/import", {"text": "2501.00001"}).status_code == 302
    assert alice_client.post(f"/library/{default.pk}/import", {"text": "2501.00001"}).status_code == 429
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {tokens.create(alice, 't')[1]}"}
    response = Client().post(
        f"/api/collections/{default.pk}/import", {"text": "2501.00001"}, content_type="application/json", **bearer
    )
    assert response.status_code == 429 and "Retry-After" in response


def test_a_large_import_goes_to_the_worker_and_shows_its_progress(alice_client, alice, config, monkeypatch):
    from dailypapers.cli import jobs

    config(LIBRARY_IMPORT_INLINE_ENTRIES=5)
    monkeypatch.setattr(transfer, "BATCH", 4)
    papers = feature(DAY, 10)
    default = _reading_list(alice)
    text = "\n".join([p.arxiv_id for p in papers] + ["2412.99999", "nonsense"])
    page = alice_client.post(f"/library/{default.pk}/import", {"text": text}, follow=True).content.decode()
    assert "Import of 12 entries queued" in page and "waiting for the worker" in page
    assert not CollectionItem.objects.exists()  # the request did no import work
    seen: list[int] = []
    monkeypatch.setattr(
        imports.transfer,
        "import_entries",
        _recording(transfer.import_entries, lambda: seen.append(CollectionImport.objects.get().processed)),
    )
    assert jobs.run_jobs()["imports"] == 1
    job = CollectionImport.objects.get()
    assert job.state == "done" and (job.added, job.missing, job.unreadable, job.processed) == (10, 1, 1, 11)
    assert job.text == ""  # not kept once done
    assert _ids(default) == [p.arxiv_id for p in papers]
    page = alice_client.get(f"/library/{default.pk}").content.decode()
    assert "Import finished: 10 added, 0 already there, 1 not found, 1 unreadable." in page


def _recording(real, after):
    def wrapped(*args, after_batch=None, **kwargs):
        def both(done):
            after_batch(done)
            after()

        return real(*args, after_batch=both, **kwargs)

    return wrapped


def test_a_cut_short_import_says_exactly_what_was_saved(alice_client, alice, config, monkeypatch):
    config(LIBRARY_IMPORT_INLINE_ENTRIES=5, COLLECTION_MAX_PAPERS=6)
    monkeypatch.setattr(transfer, "BATCH", 4)
    papers = feature(DAY, 10)
    default = _reading_list(alice)
    alice_client.post(f"/library/{default.pk}/import", {"text": " ".join(p.arxiv_id for p in papers)})
    imports.run_pending()
    job = CollectionImport.objects.get()
    assert job.state == "stopped" and job.added == 6 and job.processed == 4
    assert _ids(default) == [p.arxiv_id for p in papers[:6]]
    page = alice_client.get(f"/library/{default.pk}").content.decode()
    assert "Stopped at entry 7 of 10: “Reading list” is full: a collection can hold at most 6 papers." in page
    assert "6 papers were saved by this import; entry 7 and the entries after it were not imported." in page
    # A worker that died mid-import: the next one resumes from the last committed batch.
    config(COLLECTION_MAX_PAPERS=5000)
    stale = CollectionImport.objects.create(
        user=alice,
        collection=default,
        text=" ".join(p.arxiv_id for p in papers),
        state="running",
        total=10,
        processed=8,
        added=6,
    )
    CollectionImport.objects.filter(pk=stale.pk).update(updated_at=dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc))
    imports.run_pending()
    stale.refresh_from_db()
    assert stale.state == "done" and stale.added == 8 and stale.processed == 10
    assert _ids(default) == [p.arxiv_id for p in papers[:6] + papers[8:]]


def test_collections_have_a_size_cap(alice_client, alice, config):
    config(COLLECTION_MAX_PAPERS=2)
    papers = feature(DAY, 3)
    for p in papers:
        page = alice_client.post(f"/papers/{p.arxiv_id}/save", {}, follow=True).content.decode()
    assert "“Reading list” is full: a collection can hold at most 2 papers." in page
    default = _reading_list(alice)
    assert _ids(default) == [p.arxiv_id for p in papers[:2]]
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {tokens.create(alice, 't')[1]}"}
    response = Client().post(
        f"/api/collections/{default.pk}/papers",
        {"arxiv_id": papers[2].arxiv_id},
        content_type="application/json",
        **bearer,
    )
    assert response.status_code == 400 and "is full" in response.json()["error"]


def test_shared_collection_is_paged_and_cached_for_anonymous_viewers(alice_client, alice, settings):
    from dailypapers.library import paper_collections as library
    from dailypapers.library.views import COLLECTION_PAGE_SIZE

    settings.PAGE_CACHE_SECONDS = 30
    papers = feature(DAY, COLLECTION_PAGE_SIZE + 20)
    default = _reading_list(alice)
    library.add_many(alice, default.pk, papers)
    token = library.share(alice, default.pk, True).share_token
    anonymous = Client()
    first = anonymous.get(f"/shared/{token}").content.decode()
    assert first.count(' collection-item"') == COLLECTION_PAGE_SIZE and 'rel="next"' in first
    second = anonymous.get(f"/shared/{token}?p=1").content.decode()
    assert second.count(' collection-item"') == 20 and 'rel="prev"' in second
    with CaptureQueriesContext(connection) as queries:
        again = anonymous.get(f"/shared/{token}")
    assert again.content.decode() == first and len(queries) == 1  # the token's lookup only
    # A change shows at once, and a link turned off stops at once.
    library.remove(alice, default.pk, papers[0])
    assert anonymous.get(f"/shared/{token}").content.decode().count(f'/papers/{papers[0].arxiv_id}"') == 0
    library.share(alice, default.pk, False)
    assert anonymous.get(f"/shared/{token}").status_code == 404
    assert anonymous.get(f"/shared/{token}.bib").status_code == 404
    owner = alice_client.get(f"/library/{default.pk}?p=1").content.decode()
    assert owner.count(' collection-item"') == 19


def test_for_you_profile_uses_the_most_recent_saves_only(alice, config):
    from dailypapers.library import foryou
    from dailypapers.library import paper_collections as library

    config(RECS_PROFILE_PAPERS=3)
    papers = feature(DAY, 6)
    default = _reading_list(alice)
    for p in papers:
        library.add(alice, default.pk, p)
    liked, _, hidden, _ = foryou._liked_and_disliked(alice)
    assert liked == sorted(p.pk for p in papers[-3:])
    assert hidden == {p.pk for p in papers}  # every saved paper still stays out of the list


@on_postgres
@pytest.mark.django_db(transaction=True)
def test_web_requests_get_a_statement_timeout_and_the_worker_none(settings, alice):
    settings.WEB_STATEMENT_TIMEOUT_MS = 1500
    client = Client()
    client.force_login(alice)
    assert client.get("/library").status_code == 200
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone()[0] == "1500ms"
    other: list[str] = []

    def worker_like():  # any thread outside a request: the worker, the CLI
        from django.db import connection as own

        with own.cursor() as cursor:
            cursor.execute("SHOW statement_timeout")
            other.append(cursor.fetchone()[0])
        own.close()

    thread = threading.Thread(target=worker_like)
    thread.start()
    thread.join()
    assert other == ["0"]
    from django.db import OperationalError

    with pytest.raises(OperationalError, match="statement timeout"), connection.cursor() as cursor:
        cursor.execute("SELECT pg_sleep(3)")
    with connection.cursor() as cursor:
        cursor.execute("SET statement_timeout = 0")


@pytest.mark.django_db(transaction=True)
def test_deleting_a_collection_during_item_operations_never_gives_500(make_user, settings):
    settings.LIBRARY_RATE = settings.API_READ_RATE = "1000000/60"  # 180 writes by one reader: the race, not the brake
    owner = make_user("owner")
    papers = feature(DAY, 4)
    statuses: list[int] = []

    bearer = {"HTTP_AUTHORIZATION": f"Bearer {tokens.create(owner, 't')[1]}"}

    def post(barrier, path, data):
        from django.db import connection as own

        client = Client(raise_request_exception=False)
        client.force_login(owner)
        barrier.wait()
        if path.startswith("/api/"):
            method = client.delete if path.endswith("/delete") else client.post
            path = path.removesuffix("/delete")
            statuses.append(method(path, data, content_type="application/json", **bearer).status_code)
        else:
            statuses.append(client.post(path, data).status_code)
        own.close()

    for attempt in range(30):
        collection = Collection.objects.create(user=owner, name=f"c{attempt}")
        CollectionItem.objects.create(collection=collection, paper=papers[0], position=0)
        actions = [
            (f"/papers/{papers[1].arxiv_id}/save", {"collection": str(collection.pk)}),
            (f"/papers/{papers[2].arxiv_id}/save", {"collection": str(collection.pk)}),
            (f"/library/{collection.pk}/papers/{papers[0].arxiv_id}/note", {"note": "n"}),
            (f"/library/{collection.pk}/papers/{papers[0].arxiv_id}/move", {"direction": "down"}),
            (f"/api/collections/{collection.pk}/papers", {"arxiv_id": papers[3].arxiv_id}),
            (f"/library/{collection.pk}/delete", {})
            if attempt % 2
            else (f"/api/collections/{collection.pk}/delete", {}),
        ]
        barrier = threading.Barrier(len(actions))
        threads = [threading.Thread(target=post, args=(barrier, *action)) for action in actions]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert set(statuses) <= {200, 201, 302, 404}, statuses
    assert not CollectionItem.objects.filter(collection__user=owner).exists()


def test_download_filename_keeps_any_script(alice_client, alice):
    collection = Collection.objects.create(user=alice, name="Статьи 論文 2025")
    response = alice_client.get(f"/library/{collection.pk}.bib")
    assert response.status_code == 200
    disposition = response["Content-Disposition"]
    assert disposition.isascii()
    assert 'filename="2025.bib"' in disposition
    assert "filename*=UTF-8''%D1%81%D1%82%D0%B0%D1%82%D1%8C%D0%B8-%E8%AB%96%E6%96%87-2025.bib" in disposition


def test_notes_stay_private_on_a_shared_page_unless_chosen(alice_client, alice):
    paper = feature(DAY, 1)[0]
    default = _reading_list(alice)
    CollectionItem.objects.create(collection=default, paper=paper, note="my private thought", position=0)
    page = alice_client.get(f"/library/{default.pk}").content.decode()
    assert "Your notes stay private unless you tick the box." in page
    alice_client.post(f"/library/{default.pk}/share", {"share": "1"})
    default.refresh_from_db()
    assert "my private thought" not in Client().get(f"/shared/{default.share_token}").content.decode()
    alice_client.post(f"/library/{default.pk}/share", {"share": "1", "notes": "1"})
    default.refresh_from_db()
    assert "my private thought" in Client().get(f"/shared/{default.share_token}").content.decode()


def test_search_leaves_out_not_interested_papers_before_paging(alice, search_index):
    from dailypapers.search.indexer import catch_up

    papers = [write_paper(title=f"Graph transformers part {i}") for i in range(6)]
    catch_up()
    for paper in papers[:2]:
        ReaderMark.objects.create(user=alice, paper=paper, not_interested=True)
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {tokens.create(alice, 't')[1]}"}
    anonymous = [i["paper"]["id"] for i in Client().get("/api/papers/search?q=graph+transformers&limit=6").json()]
    assert len(anonymous) == 6
    hidden = {p.arxiv_id for p in papers[:2]}
    pages = [
        [
            i["paper"]["id"]
            for i in Client().get(f"/api/papers/search?q=graph+transformers&limit=2&p={n}", **bearer).json()
        ]
        for n in range(3)
    ]
    assert [len(p) for p in pages] == [2, 2, 0]  # full pages, no holes
    assert sum(pages, []) == [i for i in anonymous if i not in hidden]
    web = Client()
    web.force_login(alice)
    page = web.get("/search?q=graph+transformers").content.decode()
    assert all(f'/papers/{i}"' not in page for i in hidden)
    assert Client().get("/api/papers/search?q=x", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401


@on_postgres
@pytest.mark.django_db(transaction=True)
def test_an_import_cut_short_by_the_statement_timeout_says_what_was_saved(settings, alice):
    # A lookup held up (here by a lock another session keeps on the papers table) is cancelled by the
    # web statement timeout; the reader gets a sentence with what was saved, not a 500.
    settings.WEB_STATEMENT_TIMEOUT_MS = 500
    papers = feature(DAY, 2)
    default = _reading_list(alice)
    locked, release = threading.Event(), threading.Event()

    def hold_lock():
        from django.db import connection as own
        from django.db import transaction

        with transaction.atomic(), own.cursor() as cursor:
            cursor.execute("LOCK TABLE store_paper IN ACCESS EXCLUSIVE MODE")
            locked.set()
            release.wait(30)
        own.close()

    holder = threading.Thread(target=hold_lock)
    holder.start()
    try:
        assert locked.wait(10)
        client = Client(raise_request_exception=False)
        client.force_login(alice)
        started = dt.datetime.now()
        response = client.post(f"/library/{default.pk}/import", {"text": " ".join(p.arxiv_id for p in papers)})
        elapsed = (dt.datetime.now() - started).total_seconds()
    finally:
        release.set()
        holder.join()
    assert response.status_code == 302 and elapsed < 10
    page = client.get(f"/library/{default.pk}").content.decode()
    assert (
        "Stopped after entry 0 of 2: the database did not answer in time. 0 papers were saved; "
        "entries 1 to 2 were not imported" in page
    )
    with connection.cursor() as cursor:
        cursor.execute("SET statement_timeout = 0")

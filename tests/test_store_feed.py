"""The store's change feed: the only path by which anything learns of a paper change.

Bare ORM writes on Paper raise; store writes append to the feed in their own transaction;
feed ids commit in order under the write lock (real threads, real SQLite file or PostgreSQL);
a hidden paper leaves the search index, the pages, the API and the CLI search alike."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time

import pytest
from django.db import connection, transaction
from django.utils import timezone

from dailypapers.search import service
from dailypapers.search.indexer import catch_up
from dailypapers.store import changes, moderation
from dailypapers.store.guard import BarePaperWrite
from dailypapers.store.models import Paper, PaperChange
from dailypapers.store.papers import save_paper
from dailypapers.store.upsert import write_batch
from dailypapers.store.visibility import is_shown, shown_papers
from tests.conftest import dailypapers_env, run_cli
from tests.search_fixtures import write_paper, write_papers
from tests.web_fixtures import feature, paper_record

pytestmark = pytest.mark.django_db


def kinds(paper: Paper) -> list[str]:
    return list(PaperChange.objects.filter(paper_id=paper.pk).order_by("id").values_list("kind", flat=True))


def test_bare_orm_writes_on_papers_raise():
    paper = write_paper(title="Guarded")
    paper.title = "Changed behind the store's back"
    with pytest.raises(BarePaperWrite, match=r"^Paper\.save\(\) outside the store's write functions"):
        paper.save()
    with pytest.raises(BarePaperWrite):
        Paper.objects.filter(pk=paper.pk).update(title="x")
    with pytest.raises(BarePaperWrite):
        Paper.objects.create(arxiv_id="2501.99999", title="Sneaked in")
    with pytest.raises(BarePaperWrite):
        Paper.objects.bulk_create([Paper(arxiv_id="2501.99998", title="Sneaked in")])
    with pytest.raises(BarePaperWrite):
        Paper.objects.filter(pk=paper.pk).delete()
    assert Paper.objects.get(pk=paper.pk).title == "Guarded" and kinds(paper) == ["metadata"]


def test_store_writes_append_to_the_feed_in_their_own_transaction():
    paper = write_paper(title="First text")
    assert kinds(paper) == ["metadata"]
    write_papers(paper_record(arxiv_id=paper.arxiv_id, title="First text"))  # same record: nothing changes
    assert kinds(paper) == ["metadata"]
    with pytest.raises(RuntimeError), transaction.atomic():
        write_batch([paper_record(arxiv_id=paper.arxiv_id, title="Second text", latest_version=2)], timezone.now())
        raise RuntimeError("rolled back")
    assert kinds(paper) == ["metadata"] and Paper.objects.get(pk=paper.pk).title == "First text"
    edited = Paper.objects.get(pk=paper.pk)
    before = edited.change_seq
    edited.title = "Edited in the admin"
    save_paper(edited)
    assert kinds(paper) == ["metadata", "metadata"]
    # The stamp grows with the feed (PostgreSQL sequences leave gaps where a transaction rolled back).
    assert before < Paper.objects.get(pk=paper.pk).change_seq <= PaperChange.objects.filter(paper_id=paper.pk).last().id
    assert moderation.set_paper_hidden(paper.pk, True) and not moderation.set_paper_hidden(paper.pk, True)
    write_papers(paper_record(arxiv_id=paper.arxiv_id, deleted=True))
    assert kinds(paper) == ["metadata", "metadata", "hidden", "deleted"]


@pytest.mark.django_db(transaction=True)
def test_begin_write_outside_a_transaction_is_refused():
    with pytest.raises(RuntimeError, match="needs an open transaction"):
        changes.begin_write()


def test_the_visibility_rule():
    assert is_shown(False, False, False)
    assert not any(is_shown(*flags) for flags in [(True, False, False), (False, True, False), (False, False, True)])
    shown, withdrawn, hidden = write_paper(), write_paper(withdrawn=True), write_paper()
    moderation.set_paper_hidden(hidden.pk, True)
    assert list(shown_papers().values_list("pk", flat=True)) == [shown.pk]
    assert withdrawn.pk and hidden.pk


@pytest.mark.django_db(transaction=True)
def test_feed_ids_commit_in_order_under_concurrent_writers():
    """A writer that took its feed ids later cannot commit them before an earlier writer: a
    reader that saw id N never misses a smaller id committed afterwards."""
    first, second = write_paper(title="One"), write_paper(title="Two")
    start = changes.last_change_id()
    inside, log = threading.Event(), []

    def slow_writer():
        with transaction.atomic():
            changes.begin_write()
            changes.record([(first.pk, first.arxiv_id)], PaperChange.METADATA)
            inside.set()
            time.sleep(0.5)  # holding ids, not committed yet
            log.append(("slow commits", changes.last_change_id()))
        connection.close()

    def fast_writer():
        inside.wait(10)
        with transaction.atomic():
            changes.begin_write()  # waits for the slow writer's commit
            changes.record([(second.pk, second.arxiv_id)], PaperChange.METADATA)
        log.append(("fast committed", None))
        connection.close()

    threads = [threading.Thread(target=slow_writer), threading.Thread(target=fast_writer)]
    for t in threads:
        t.start()
    seen_during = []
    while any(t.is_alive() for t in threads):
        seen_during.append(changes.last_change_id())  # what a concurrent indexer would see
        time.sleep(0.02)
    for t in threads:
        t.join()
    assert [entry[0] for entry in log] == ["slow commits", "fast committed"]
    rows = list(PaperChange.objects.filter(id__gt=start).order_by("id").values_list("paper_id", flat=True))
    assert rows == [first.pk, second.pk]  # the later writer's id is the larger one
    assert max(seen_during) <= start + 2


def test_a_hidden_paper_leaves_the_index_and_comes_back(search_index, settings):
    from dailypapers.search.backfill import backfill
    from dailypapers.search.embed import Embedder

    paper = write_paper(title="Narwhal tusks sense salinity", abstract="Narwhal tusks are sensory organs.")
    other = write_paper(title="Narwhal migration", abstract="Where narwhals go in winter.")
    backfill(Embedder(max_length=32, model_dir=settings.SEARCH_MODEL_DIR))
    assert catch_up().state.vectors == 2
    moderation.set_paper_hidden(paper.pk, True)
    state = catch_up().state
    assert state.keyword_docs == 1 and state.vectors == 1
    assert service.search("narwhal", mode="keyword").ids == [other.arxiv_id]
    assert paper.arxiv_id not in service.search("sensory organs of whales", mode="semantic", limit=5).ids
    moderation.set_paper_hidden(paper.pk, False)
    state = catch_up().state
    assert state.keyword_docs == 2 and state.vectors == 2
    assert service.search("sensory organs of whales", mode="semantic", limit=1).ids == [paper.arxiv_id]


def test_hidden_papers_agree_across_cli_api_pages(search_index, client, make_user):
    from django.contrib.auth.models import Permission

    from dailypapers.community.moderation import set_paper_hidden

    day = dt.date(2025, 1, 3)
    hidden, shown = feature(day, 1, upvotes=5, title="Okapi stripes"), feature(day, 1, upvotes=1, title="Okapi diet")
    moderator = make_user("mod")
    moderator.user_permissions.add(Permission.objects.get(codename="moderate"))
    moderator = type(moderator).objects.get(pk=moderator.pk)
    set_paper_hidden(moderator, hidden[0], True, "spam")
    catch_up()
    assert service.search("okapi", mode="keyword").ids == [shown[0].arxiv_id]
    api = client.get("/api/papers/search?q=okapi").json()
    assert hidden[0].arxiv_id not in json.dumps(api) and shown[0].arxiv_id in json.dumps(api)
    page = client.get("/search?q=okapi").content.decode()
    assert hidden[0].arxiv_id not in page and shown[0].arxiv_id in page
    assert client.get(f"/papers/{hidden[0].arxiv_id}").status_code == 404
    assert hidden[0].arxiv_id not in client.get("/papers/date/2025-01-03").content.decode()


def test_the_cli_search_does_not_list_a_hidden_paper(tmp_path, scratch_databases):
    url = scratch_databases("hidden")
    env = dailypapers_env(tmp_path / "home", DATABASE_URL=url)
    run_cli("migrate", "--verbosity", "0", env=env)
    papers = tmp_path / "papers.jsonl"
    papers.write_text(
        "\n".join(
            json.dumps(
                {
                    "id": f"2501.0000{i}",
                    "title": f"Aardvark burrows {i}",
                    "authors": ["A"],
                    "categories": ["cs.LG"],
                    "abstract": "Digging.",
                    "listing_date": "2025-01-02",
                }
            )
            for i in (1, 2)
        )
        + "\n"
    )
    run_cli("import", str(papers), env=env)
    hide = (
        "from dailypapers.store.models import Paper; from dailypapers.store.moderation import set_paper_hidden; "
        "set_paper_hidden(Paper.objects.get(arxiv_id='2501.00001').pk, True)"
    )
    run_cli("shell", "-c", hide, env=env)
    found = json.loads(run_cli("search", "--json", "--mode", "keyword", "aardvark", env=env).stdout)
    assert [hit["id"] for hit in found] == ["2501.00002"]

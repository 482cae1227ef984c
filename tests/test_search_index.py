"""The per-machine search index follows the store's change feed: incremental updates,
votes, visibility, one writer, crash catch-up (real subprocesses killed with SIGKILL), rebuild.
Searches never write the index: each test catches up explicitly."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from dailypapers.community import votes
from dailypapers.search import indexer, refresher, service
from dailypapers.search.backfill import backfill
from dailypapers.search.embed import Embedder
from dailypapers.search.indexer import catch_up, read_state
from dailypapers.search.vectors import VectorIndex
from dailypapers.store.locks import file_lock
from dailypapers.store.models import Paper, PaperChange
from tests.conftest import dailypapers_env, run_cli, sql_rows
from tests.search_fixtures import indexed_ids, write_paper, write_papers
from tests.web_fixtures import feature, paper_record

pytestmark = pytest.mark.django_db


def ids(query: str, **kwargs) -> list[str]:
    return service.search(query, mode="keyword", **kwargs).ids


def fresh_ids(query: str, **kwargs) -> list[str]:
    catch_up()
    return ids(query, **kwargs)


def test_add_update_delete_reach_the_index(search_index):
    first = write_paper(arxiv_id="2501.00001", title="Quokka behaviour in the wild")
    write_paper(arxiv_id="2501.00002", title="Wombat burrows")
    result = catch_up()
    assert result.applied == 2 and result.state.keyword_docs == 2
    assert ids("quokka") == ["2501.00001"]

    write_papers(paper_record(arxiv_id="2501.00001", title="Numbat behaviour in the wild", latest_version=2))
    assert ids("numbat") == [] and read_state().feed == result.state.feed  # a search never writes the index
    assert fresh_ids("numbat") == ["2501.00001"]
    assert ids("quokka") == []

    write_papers(paper_record(arxiv_id="2501.00001", deleted=True))
    assert Paper.objects.get(pk=first.pk).deleted
    assert PaperChange.objects.filter(paper_id=first.pk).order_by("id").last().kind == "deleted"
    assert fresh_ids("numbat") == []
    assert indexed_ids() == {"2501.00002"}


def test_a_batch_larger_than_a_chunk_is_not_cut_at_the_chunk_edge(search_index, monkeypatch):
    # One upsert batch writes many feed rows in one transaction; chunks of the feed cut it anywhere.
    monkeypatch.setattr(indexer, "CHUNK", 3)
    write_papers(*[paper_record(title=f"Axolotl study {i}") for i in range(10)])
    catch_up(limit_seconds=None)
    assert len(indexed_ids()) == 10
    write_papers(*[paper_record(title=f"Axolotl sequel {i}") for i in range(7)])
    assert len(fresh_ids("axolotl", limit=50)) == 17


def test_votes_sort_follows_votes(search_index, make_user):
    low, high = write_paper(title="Capybara vision"), write_paper(title="Capybara language")
    catch_up()
    assert ids("capybara", sort="votes")[0] in {low.arxiv_id, high.arxiv_id}
    before = Paper.objects.get(pk=low.pk).change_seq
    for name in ("ann", "bob"):
        votes.cast(make_user(name), Paper.objects.get(pk=low.pk), want=True)
    # A vote is a "votes" change in the feed; the paper's own change_seq (its text version) stays.
    assert PaperChange.objects.filter(paper_id=low.pk, kind="votes").count() == 2
    assert Paper.objects.get(pk=low.pk).change_seq == before
    assert fresh_ids("capybara", sort="votes") == [low.arxiv_id, high.arxiv_id]
    # Imported Hugging Face upvotes count too.
    hf = feature(dt.date(2025, 1, 6), upvotes=9, title="Capybara audio")[0]
    assert fresh_ids("capybara", sort="votes")[0] == hf.arxiv_id


def test_a_vector_is_not_lost_when_a_vote_follows_it_across_a_partial_catch_up(
    search_index, settings, monkeypatch, make_user
):
    from dailypapers.search.backfill import backfill
    from dailypapers.search.embed import Embedder

    paper = write_paper(title="Gene therapy for rare disease", abstract="A trial of gene therapy.")
    catch_up()
    assert backfill(Embedder(max_length=32, model_dir=settings.SEARCH_MODEL_DIR)).embedded == 1
    write_paper(title="Unrelated later paper")
    votes.cast(make_user("ann"), Paper.objects.get(pk=paper.pk), want=True)  # the paper moves past the other
    monkeypatch.setattr(indexer, "CHUNK", 1)
    first = catch_up(limit_seconds=1e-9)  # stops after one change
    assert not first.complete and first.applied == 1
    final = catch_up()
    assert final.state.vectors == 1 and final.applied == 2  # embedding, later paper, vote: each once
    assert service.search("curing hereditary illness", mode="semantic", limit=1).ids == [paper.arxiv_id]


def test_unchanged_vote_totals_do_not_bump_the_paper(search_index):
    from dailypapers.community.community_stats import refresh_papers

    paper = write_paper(title="Tapir")
    refresh_papers([paper.pk])
    refresh_papers([paper.pk])
    assert list(PaperChange.objects.filter(paper_id=paper.pk).values_list("kind", flat=True)) == ["metadata"]


def test_a_second_writer_skips_and_serves_the_current_index(search_index):
    write_paper(title="Pangolin scales")
    catch_up()
    write_paper(title="Pangolin diet")
    with file_lock(search_index / "writer.lock", wait=False) as held:  # the lock a writer takes
        assert held
        busy = catch_up()
        assert busy.busy and busy.applied == 0
        assert len(ids("pangolin")) == 1  # the reader still answers from the committed index
    assert len(fresh_ids("pangolin")) == 2


def test_the_web_refresher_leaves_new_vectors_to_a_running_embedder(search_index, settings, make_user):
    """While `dailypapers embed` runs here, it indexes its own vectors at its low priority: a web
    process never saves vector files between two requests. A change a page shows (a vote, new
    metadata) is still applied at once, and once the embedder is gone its backlog is taken over."""

    paper = write_paper(title="Gene therapy for rare disease", abstract="A trial of gene therapy.")
    catch_up()
    assert backfill(Embedder(max_length=32, model_dir=settings.SEARCH_MODEL_DIR)).embedded == 1
    with indexer.embedding_here() as held:
        assert held and indexer.embedder_running()
        assert indexer.pending() and indexer.only_embeddings_pending()
        assert refresher.refresh_once() is None
        assert read_state().vectors == 0
        votes.cast(make_user("ann"), Paper.objects.get(pk=paper.pk), want=True)
        assert not indexer.only_embeddings_pending()
        applied = refresher.refresh_once()
        assert applied is not None and read_state().vectors == 1  # the vote took the vector along
    assert not indexer.embedder_running()
    write_paper(title="Unrelated later paper")
    assert refresher.refresh_once() is not None and not indexer.pending()


def test_readers_map_the_saved_vectors_instead_of_copying_them(tmp_path):
    rng = np.random.default_rng(7)
    ids = [f"2501.{i:05d}" for i in range(3000)]
    writable = VectorIndex(tmp_path / "v")
    writable.add(ids, rng.standard_normal((len(ids), 384), dtype=np.float32), np.arange(len(ids)) % 90 + 1)
    writable.save()
    mapped = VectorIndex.open(tmp_path / "v", read_only=True)
    assert isinstance(mapped._store.matrix, np.memmap)
    loaded = VectorIndex.open(tmp_path / "v")
    query = rng.standard_normal(384, dtype=np.float32)
    assert mapped.search(query, 10) == loaded.search(query, 10) == writable.search(query, 10)
    assert mapped.search(query, 5, days=(10, 20)) == writable.search(query, 5, days=(10, 20))
    assert mapped.search(query, 3, allowed_ids=ids[:50]) == writable.search(query, 3, allowed_ids=ids[:50])


def test_an_index_ahead_of_the_database_is_rebuilt(search_index):
    write_paper(title="Okapi")
    catch_up()
    state = read_state()
    indexer._write_state(search_index, indexer.State(**{**state.__dict__, "feed": state.feed + 1000}))
    result = catch_up()
    assert result.state.generation == state.generation + 1 and result.state.feed == state.feed
    assert ids("okapi")


def test_rebuild_gives_the_same_index(search_index):
    write_papers(*[paper_record(title=f"Lemur {i}") for i in range(5)])
    catch_up()
    before = indexed_ids()
    result = indexer.rebuild()
    assert indexed_ids() == before and result.state.generation == 1
    assert not (search_index / "g0").exists()


# -- real processes, killed with SIGKILL --------------------------------------------------


def _papers_file(tmp_path, data_dir, n: int):
    path = tmp_path / "papers.jsonl.gz"
    with (
        gzip.open(data_dir / "arxiv-cs-daily-2025-2026" / "papers.jsonl.gz", "rt") as src,
        gzip.open(path, "wt") as out,
    ):
        for i, line in enumerate(src):
            if i == n:
                break
            out.write(line)
    return path


def _kill_when(proc: subprocess.Popen, ready, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        if ready():
            proc.send_signal(signal.SIGKILL)
            break
        time.sleep(0.02)
    proc.wait()


def test_killed_indexer_catches_up_to_the_database(tmp_path, data_dir, scratch_databases):
    url = scratch_databases("index")
    env = dailypapers_env(tmp_path / "home", DATABASE_URL=url)
    run_cli("migrate", "--verbosity", "0", env=env)
    run_cli("import", "--no-index", str(_papers_file(tmp_path, data_dir, 6000)), env=env)
    proc = subprocess.Popen(
        [sys.executable, "-m", "dailypapers.cli.main", "index"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    keyword = tmp_path / "home" / "index" / "g0" / "keyword"
    # Killed once tantivy has written segment files, before the cursor is saved.
    _kill_when(proc, lambda: keyword.is_dir() and any(p.suffix == ".idx" for p in keyword.rglob("*")))
    assert proc.returncode == -signal.SIGKILL, "the indexer finished before it could be killed"
    assert not (tmp_path / "home" / "index" / "state.json").exists()
    result = json.loads(run_cli("index", "--json", env=env).stdout)
    papers = sql_rows(url, "SELECT count(*) FROM store_paper WHERE NOT deleted")[0][0]
    assert result["keyword_docs"] == papers == 6000 and result["complete"]
    # Re-running finds nothing to do; the index answers.
    assert json.loads(run_cli("index", "--json", env=env).stdout)["applied"] == 0
    top = json.loads(run_cli("search", "--json", "--limit", "1", "--mode", "keyword", "transformer", env=env).stdout)
    assert top and top[0]["score"] > 0


def test_killed_embed_resumes_without_redoing_committed_chunks(tmp_path, data_dir, scratch_databases):
    url = scratch_databases("embed")
    env = dailypapers_env(tmp_path / "home", DATABASE_URL=url)
    run_cli("migrate", "--verbosity", "0", env=env)
    run_cli("import", "--no-index", str(_papers_file(tmp_path, data_dir, 120)), env=env)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dailypapers.cli.main",
            "embed",
            "--chunk",
            "8",
            "--max-length",
            "64",
            "--no-index",
            "--no-static",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _kill_when(proc, lambda: sql_rows(url, "SELECT count(*) FROM search_paperembedding")[0][0] >= 16, timeout=120)
    assert proc.returncode == -signal.SIGKILL, "embed finished before it could be killed"
    done = sql_rows(url, "SELECT count(*) FROM search_paperembedding")[0][0]
    assert 16 <= done < 120 and done % 8 == 0  # whole chunks only
    summary = json.loads(
        run_cli("embed", "--json", "--max-length", "64", "--chunk", "64", "--no-static", env=env).stdout
    )
    assert summary["embedded"] == 120 - done
    assert sql_rows(url, "SELECT count(*) FROM search_paperembedding")[0][0] == 120
    state = json.loads((tmp_path / "home" / "index" / "state.json").read_text())
    assert state["vectors"] == 120 and state["keyword_docs"] == 120
    assert json.loads(run_cli("embed", "--json", env=env).stdout)["embedded"] == 0  # nothing left
    top = json.loads(
        run_cli("search", "--json", "--mode", "semantic", "--limit", "3", "neural network training", env=env).stdout
    )
    assert len(top) == 3


def test_backfill_in_small_pipelined_chunks_stores_each_papers_own_vector(search_index, settings):
    """The model runs a chunk ahead of the database writes: every stored vector must still
    be its own paper's, a limit must stop at a chunk edge, and a re-run re-stamps only."""
    from dailypapers.search.backfill import backfill
    from dailypapers.search.embed import Embedder, document_text
    from dailypapers.search.models import VECTOR_DTYPE, PaperEmbedding

    topics = ["protein folding", "sorting networks", "galaxy surveys", "speech recognition", "graph coloring"]
    papers = [
        write_paper(title=f"{topics[i % 5]} study {i}", abstract=f"We study {topics[i % 5]}." + " More." * i)
        for i in range(11)
    ]
    embedder = Embedder(max_length=32, batch_size=2, model_dir=settings.SEARCH_MODEL_DIR)
    first = backfill(embedder, chunk=3, limit=6)
    assert (first.embedded, PaperEmbedding.objects.count()) == (6, 6)
    rest = backfill(embedder, chunk=3)
    assert (rest.embedded, rest.unchanged) == (5, 0)
    expected = embedder.embed([document_text(p.title, p.abstract) for p in papers])
    stored = dict(PaperEmbedding.objects.values_list("paper_id", "vector"))
    matrix = np.stack([np.frombuffer(stored[p.pk], dtype=VECTOR_DTYPE).astype(np.float32) for p in papers])
    similarity = matrix @ expected.T  # int8 activations are scaled per batch: batch-mates move vectors a little
    assert (similarity.argmax(axis=1) == np.arange(len(papers))).all() and similarity.diagonal().min() > 0.98
    p4 = papers[4]  # written again with the same text: re-stamped, not re-embedded
    write_papers(
        paper_record(arxiv_id=p4.arxiv_id, title=p4.title, abstract=p4.abstract, comments="v2", latest_version=2)
    )
    again = backfill(embedder, chunk=3)
    assert (again.embedded, again.unchanged) == (0, 1)


# -- the embedding pipeline (the GPU path's CPU-side parts, run with device="cpu") ---------


def test_pipelined_chunks_keep_input_order(monkeypatch, settings):
    from dailypapers.search import embed

    topics = [
        "protein folding",
        "galaxy rotation curves",
        "reinforcement learning for robots",
        "sparse matrix solvers",
        "speech recognition",
        "graph colouring",
        "quantum error correction",
        "image segmentation",
        "compiler optimisation",
        "market microstructure",
        "climate model downscaling",
    ]
    texts = [f"A study of {topics[i % len(topics)]}" + " with long context" * (i % 9) for i in range(23)] + ["", "🙂"]
    embedder = embed.Embedder(max_length=64, batch_size=4, model_dir=settings.SEARCH_MODEL_DIR)
    whole = embedder.embed(texts)
    embedder.chunk = 5  # several chunks: tokenized in the background while the model runs
    seen: list[int] = []
    chunked = embedder.embed(texts, progress=seen.append)
    assert seen == [5, 10, 15, 20, 25]
    assert np.allclose(np.linalg.norm(chunked, axis=1), 1.0, atol=1e-4)
    # Each row is its own text's vector (int8 activations are quantized per batch, so the
    # batch make-up moves vectors slightly; they never trade places).
    similarity = chunked[:11] @ whole[:11].T
    assert list(similarity.argmax(axis=1)) == list(range(11)) and similarity.diagonal().min() > 0.95
    singles = np.stack([embedder.embed_query(t) for t in texts[:11]])
    assert list((singles @ chunked[:11].T).argmax(axis=1)) == list(range(11))


def test_embed_cuda_without_gpu_runtime_is_one_clear_sentence():
    from django.core.management import CommandError, call_command

    try:
        import torch

        if torch.cuda.is_available():
            pytest.skip("a GPU is usable here")
        expected = "sees no CUDA GPU"
    except ImportError:
        expected = "PyTorch, which is not installed"
    with pytest.raises(CommandError) as raised:
        call_command("embed", "--device", "cuda")
    assert raised.value.returncode == 2 and expected in str(raised.value) and "\n" not in str(raised.value)


def test_vector_days_follow_paper_dates(search_index, settings):
    from dailypapers.search.backfill import backfill
    from dailypapers.search.embed import Embedder
    from dailypapers.search.keyword import Filters
    from dailypapers.search.vectors import VectorIndex

    march = Filters(date_from=dt.date(2025, 3, 1), date_to=dt.date(2025, 3, 31))
    early = write_paper(
        title="Gene therapy for rare disease", abstract="A trial of gene therapy.", announced=dt.date(2025, 3, 5)
    )
    late = write_paper(
        title="Gene editing cures inherited blindness", abstract="CRISPR in the retina."
    )  # undated: first_submitted 2025-01-02
    sorting = write_paper(title="Sorting networks", abstract="Comparators.", announced=dt.date(2025, 3, 6))
    catch_up()
    assert backfill(Embedder(max_length=32, model_dir=settings.SEARCH_MODEL_DIR)).embedded == 3
    vectors_dir = indexer.generation_dir(search_index, read_state()) / "vectors"

    def semantic_in_march() -> list[str]:
        catch_up()
        return service.search("curing hereditary illness", filters=march, mode="semantic", limit=3).ids

    assert semantic_in_march() == [early.arxiv_id, sorting.arxiv_id]
    assert VectorIndex.open(vectors_dir).knows_days

    # The listing day arrives later; the text (and so the vector) is unchanged.
    write_papers(
        paper_record(arxiv_id=late.arxiv_id, title=late.title, abstract=late.abstract, announced=dt.date(2025, 3, 20))
    )
    assert set(semantic_in_march()[:2]) == {late.arxiv_id, early.arxiv_id}
    assert read_state().vectors == 3

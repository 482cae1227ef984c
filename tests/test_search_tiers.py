"""Semantic search in two tiers: static token vectors distilled from MiniLM give every paper a
vector in seconds, the full model replaces them newest first, and a query is only ever compared
with vectors of its own space. Real bundled abstracts, a real (small) distilled table, the real
ONNX model, real SQLite/PostgreSQL and tantivy; `dailypapers embed` through call_command."""

from __future__ import annotations

import datetime as dt
import gzip
import itertools
import json
import re
from pathlib import Path

import numpy as np
import pytest
from django.core.management import call_command
from tokenizers import Tokenizer

from dailypapers.search import indexer, service, static
from dailypapers.search.backfill import backfill, backfill_static
from dailypapers.search.embed import EMBEDDING_SPACE, QUANTIZED_MODEL, Embedder, document_text, tokenizer_path
from dailypapers.search.models import PaperEmbedding
from dailypapers.store.models import Paper
from tests.search_fixtures import write_papers
from tests.web_fixtures import paper_record

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "arxiv-cs-daily-2025-2026" / "papers.jsonl.gz"
PAPERS = 12
STAMP = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4} ")


@pytest.fixture(scope="module")
def real_papers() -> list[dict]:
    if not DATA.exists():
        pytest.skip(f"bundled arXiv papers not found at {DATA}")
    with gzip.open(DATA, "rt") as fh:
        return [json.loads(line) for line in itertools.islice(fh, PAPERS)]


@pytest.fixture(scope="module")
def model_dir(real_papers, tmp_path_factory) -> Path:
    """A model directory with the real ONNX model and a table distilled for these papers'
    tokens only (the whole vocabulary takes a minute; the code path is the same)."""
    from django.conf import settings

    folder = tmp_path_factory.mktemp("models")
    source = Path(settings.SEARCH_MODEL_DIR) / QUANTIZED_MODEL
    if source.is_file():
        (folder / QUANTIZED_MODEL).symlink_to(source)
    tokenizer = Tokenizer.from_file(str(tokenizer_path()))
    texts = [document_text(p["title"], p["abstract"]) for p in real_papers] + ["graph", "retrieval"]
    tokens = {i for e in tokenizer.encode_batch(texts, add_special_tokens=False) for i in e.ids}
    static.build(folder, only=tokens)
    return folder


def test_the_distilled_table_is_the_transformers_token_vectors_and_finds_real_papers(model_dir, real_papers):
    table = np.load(static.table_path(model_dir))
    assert table.dtype == np.float16 and table.shape[1] == 384
    vocab = Tokenizer.from_file(str(tokenizer_path())).get_vocab()
    assert not table[vocab["[CLS]"]].any() and not table[vocab["[PAD]"]].any()  # never part of a text's mean
    fast = static.StaticEmbedder(model_dir)
    full = Embedder(model_dir=model_dir, max_length=32)
    # A one-token text: the static vector is the transformer's vector of "[CLS] token [SEP]" (up to
    # int8 activation scales, which onnxruntime sets per batch: distilled 1,024 tokens at a time).
    for word in ("graph", "retrieval"):
        assert float(fast.embed_query(word) @ full.embed_query(word)) > 0.98
    assert float(fast.embed_query("graph") @ full.embed_query("retrieval")) < 0.9

    texts = [document_text(p["title"], p["abstract"]) for p in real_papers]
    docs = fast.embed(texts)
    assert docs.shape == (PAPERS, 384) and np.allclose(np.linalg.norm(docs, axis=1), 1.0, atol=1e-5)
    assert np.allclose(fast.embed_query(texts[3]), docs[3], atol=1e-6)  # queries are embedded the same way
    # Known items: each paper's title finds its own paper first among the real papers.
    titles = fast.embed([p["title"] for p in real_papers])
    found = np.argmax(titles @ docs.T, axis=1)
    assert (found == np.arange(PAPERS)).mean() >= 0.9, found


@pytest.mark.django_db
def test_full_vectors_replace_static_ones_newest_first_and_each_query_meets_its_own_space(
    search_index, settings, model_dir, real_papers
):
    settings.SEARCH_MODEL_DIR = model_dir
    day = dt.datetime(2025, 3, 1, tzinfo=dt.UTC)
    papers = write_papers(
        *(
            paper_record(
                arxiv_id=f"2503.{i:05d}",
                title=p["title"],
                abstract=p["abstract"],
                first_submitted=day + dt.timedelta(days=i),
            )
            for i, p in enumerate(real_papers)
        )
    )
    fast = static.StaticEmbedder(model_dir)
    assert backfill_static(fast).embedded == PAPERS
    state = indexer.catch_up().state
    assert (state.static_vectors, state.vectors) == (0 + PAPERS, 0)
    found = service.search("learning from graphs", mode="semantic")
    assert found.mode == "semantic" and found.ids and found.coverage.static == PAPERS
    assert f"semantic: {PAPERS} of {PAPERS} papers ({PAPERS} by the fast first tier" in found.coverage.describe()

    full = Embedder(model_dir=model_dir, max_length=32)
    assert backfill(full, chunk=2, limit=3).embedded == 3
    state = indexer.catch_up().state
    assert (state.static_vectors, state.vectors) == (PAPERS - 3, 3)
    assert backfill_static(fast).embedded == 0  # a full vector is never replaced by a static one
    assert PaperEmbedding.objects.count() == PAPERS  # one vector per paper, in one space
    newest = {p.arxiv_id for p in papers[-3:]}
    reader = service._reader()
    assert reader is not None and reader.vectors is not None and reader.static is not None
    assert {i for i in newest if i in reader.vectors} == newest
    assert not any(i in reader.static for i in newest) and len(reader.static) == PAPERS - 3
    # Each index holds exactly its own space's stored vectors.
    for model_id, index in ((EMBEDDING_SPACE, reader.vectors), (static.STATIC_SPACE, reader.static)):
        rows = PaperEmbedding.objects.filter(model_id=model_id).values_list("paper__arxiv_id", "vector")
        ids = [i for i, _ in rows]
        stored = np.stack([np.frombuffer(bytes(v), dtype=np.float16).astype(np.float32) for _, v in rows])
        assert np.allclose(index._store.vectors(ids), stored / np.linalg.norm(stored, axis=1, keepdims=True), atol=2e-3)

    # Every merged hit's score is its own tier's query against its own tier's vector, standardised.
    text = real_papers[0]["title"]
    tiers = reader.tiers()
    hits = tiers.search(text, PAPERS)
    assert {i for i, _ in hits} == {p.arxiv_id for p in papers}
    for tier in tiers.tiers:
        query = tier.encode(text)
        background = tier.sample() @ query
        for doc_id, score in hits:
            if doc_id in tier.vectors:
                own = float(tier.vectors._store.vectors([doc_id])[0] @ query)
                assert score == pytest.approx((own - background.mean()) / background.std(), abs=1e-4)

    # Once every paper has its full vector, the static tier is empty and scores are plain cosines.
    backfill(full, chunk=4)
    state = indexer.catch_up().state
    assert (state.static_vectors, state.vectors) == (0, PAPERS)
    reader = service._reader()
    assert reader is not None and reader.static is None or len(reader.static) == 0
    hits = reader.tiers().search(text, 3)
    query = full.embed_query(text)
    assert hits[0][1] == pytest.approx(float(reader.vectors._store.vectors([hits[0][0]])[0] @ query), abs=1e-5)
    assert service.search(text, mode="semantic").coverage.static == 0


@pytest.mark.django_db
def test_embed_logs_with_times_and_says_resumed_with_one_denominator(
    search_index, settings, model_dir, real_papers, capsys
):
    settings.SEARCH_MODEL_DIR = model_dir
    write_papers(*(paper_record(title=p["title"], abstract=p["abstract"]) for p in real_papers))
    call_command("embed", "--limit", "4", "--max-length", "16", "--chunk", "2", "--sessions", "1")
    first = capsys.readouterr().err.splitlines()
    assert first and all(STAMP.match(line) for line in first), first
    assert any(f"fast tier: {PAPERS} papers given static vectors" in line for line in first)
    assert any("every paper is searchable by meaning" in line for line in first)
    assert not any("resumed" in line for line in first)
    progress = [STAMP.sub("", line) for line in first if " embedded " in line and "/s)" in line]
    assert progress[0].startswith(f"embedded 2 of {PAPERS} (") and f"{PAPERS - 2} left, ETA" in progress[0]
    assert progress[-1].startswith(f"embedded 4 of {PAPERS} (")
    assert indexer.read_state().static_vectors == PAPERS - 4

    call_command("embed", "--limit", "2", "--max-length", "16", "--chunk", "2", "--sessions", "1")
    second = capsys.readouterr().err.splitlines()
    assert any(STAMP.sub("", line) == "resumed (4 already embedded)" for line in second), second
    assert not any("fast tier:" in line for line in second)  # every paper had a vector already
    progress = [STAMP.sub("", line) for line in second if " embedded " in line and "/s)" in line]
    assert progress == [progress[0]] and progress[0].startswith(f"embedded 6 of {PAPERS} (")
    assert f"{PAPERS - 6} left" in progress[0]
    assert Paper.objects.count() == PAPERS


def test_hybrid_fusion_gives_a_static_vector_its_own_smaller_weight():
    from dailypapers.search.hybrid import FusionParams, fuse

    params = FusionParams()
    keyword = [("a", 3.0), ("b", 2.0), ("c", 1.0)]
    semantic = [("c", 0.9), ("b", 0.5), ("a", 0.1)]
    full = dict(fuse(keyword, semantic, params))
    mixed = dict(fuse(keyword, semantic, params, fast=lambda doc_id: doc_id == "c"))
    # Min-max normalised: keyword a 1, b 0.5, c 0; semantic c 1, b 0.5, a 0.
    assert full["c"] == pytest.approx(params.alpha) and mixed["c"] == pytest.approx(params.static_alpha)
    assert mixed["a"] == pytest.approx(full["a"]) == pytest.approx(1 - params.alpha)
    assert mixed["b"] == pytest.approx(full["b"]) == pytest.approx(0.5)

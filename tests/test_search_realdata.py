"""Search quality on real data through the whole stack (database, indexer, site API).

SciFact: the documents judged relevant for the first test claims plus unrelated ones,
stored as papers, embedded, and searched through /api/papers/search; the arXiv set: a
few thousand real papers imported from the shared file, found again by their titles.
"""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import orjson
import pytest

from dailypapers.ingest.importer import import_paths
from dailypapers.search import service
from dailypapers.search.backfill import backfill
from dailypapers.search.embed import Embedder
from dailypapers.search.indexer import catch_up
from tests.search_fixtures import write_papers
from tests.web_fixtures import paper_record

pytestmark = pytest.mark.django_db

SCIFACT = Path(
    os.environ.get("DAILYPAPERS_SCIFACT", Path(__file__).resolve().parents[2] / "shared" / "data" / "scifact-beir")
)
N_CLAIMS = 25
N_OTHERS = 150


def _scifact() -> tuple[dict[str, str], dict[str, set[str]], list[dict]]:
    if not (SCIFACT / "corpus.jsonl.gz").exists():
        pytest.fail(f"SciFact is missing at {SCIFACT}")
    queries = {r["_id"]: r["text"] for r in map(orjson.loads, (SCIFACT / "queries.jsonl").read_bytes().splitlines())}
    qrels: dict[str, set[str]] = {}
    for line in (SCIFACT / "qrels" / "test.tsv").read_text().splitlines()[1:]:
        qid, did, _ = line.split("\t")
        qrels.setdefault(qid, set()).add(did)
    qrels = dict(list(qrels.items())[:N_CLAIMS])
    wanted = set().union(*qrels.values())
    docs, others = [], 0
    with gzip.open(SCIFACT / "corpus.jsonl.gz") as f:
        for doc in map(orjson.loads, f):
            if doc["_id"] in wanted or others < N_OTHERS:
                others += doc["_id"] not in wanted
                docs.append(doc)
    return queries, qrels, docs


def _hit_rate(client, queries, qrels, k: int = 10) -> float:
    found = 0
    for qid, relevant in qrels.items():
        results = client.get("/api/papers/search", {"q": queries[qid], "limit": k}).json()
        found += any(item["paper"]["id"].removeprefix("sf.") in relevant for item in results)
    return found / len(qrels)


def test_scifact_claims_find_their_evidence(client, search_index, settings):
    queries, qrels, docs = _scifact()
    write_papers(
        *[paper_record(arxiv_id=f"sf.{d['_id']}", title=d["title"] or d["_id"], abstract=d["text"]) for d in docs]
    )
    catch_up()
    keyword_rate = _hit_rate(client, queries, qrels)
    assert service.search("cancer", limit=1).mode == "keyword"
    # Embedding a couple of hundred abstracts at 128 tokens keeps the test to seconds.
    assert backfill(Embedder(max_length=128, model_dir=settings.SEARCH_MODEL_DIR)).embedded == len(docs)
    catch_up()
    assert service.search("cancer", limit=1).mode == "hybrid"
    hybrid_rate = _hit_rate(client, queries, qrels)
    assert keyword_rate >= 0.8 and hybrid_rate >= 0.88 and hybrid_rate >= keyword_rate - 0.04, (
        keyword_rate,
        hybrid_rate,
    )
    semantic = service.search(queries[next(iter(qrels))], mode="semantic", limit=10).ids
    assert {i.removeprefix("sf.") for i in semantic} & qrels[next(iter(qrels))]


def test_arxiv_papers_are_found_by_title(client, search_index, data_dir, tmp_path):
    source = data_dir / "arxiv-cs-daily-2025-2026" / "papers.jsonl.gz"
    subset = tmp_path / "papers.jsonl.gz"
    with gzip.open(source, "rt") as src, gzip.open(subset, "wt") as out:
        lines = [line for _, line in zip(range(3000), src)]
        out.writelines(lines)
    import_paths([subset])
    assert catch_up().state.keyword_docs == 3000
    for line in lines[::600]:
        paper = orjson.loads(line)
        results = client.get("/api/papers/search", {"q": paper["title"], "limit": 3}).json()
        assert results[0]["paper"]["id"] == paper["id"], paper["title"]
        page = client.get("/search", {"q": paper["title"]}).content.decode()
        assert f"/papers/{paper['id']}" in page

"""What each semantic-search tier is worth: SciFact nDCG@10 and known items on the bundled arXiv papers.

    PYTHONPATH=src .venv/bin/python bench/tier_quality.py [--arxiv 2000] [--mixed 0.5]

Tiers: "static" (search/static.py: token vectors distilled from MiniLM, every paper in
seconds), "full" (the per-channel int8 MiniLM at 256 tokens, as `embed` runs it) and "mixed"
(a --mixed share of papers, at random with seed 0, carry the full vector and the rest the
static one, searched through search/tiers.py as while `embed` runs). For each: semantic
alone and hybrid (BM25 + the tier, the shipped fusion), on

* SciFact (BEIR test split, 300 claims, 5,183 abstracts): nDCG@10 and recall@100
  (bench/scifact.py's data, metrics and cached full-model corpus vectors);
* the bundled arXiv papers: --arxiv papers (the first of the file), each paper's title as the
  query against abstracts without titles (so a hit is a match of meaning, not of the title's
  words): success@1 and MRR@10 of finding that paper.

The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scifact import DATA, evaluate, load_corpus, load_qrels, load_queries  # noqa: E402

from dailypapers.search.embed import Embedder, document_text  # noqa: E402
from dailypapers.search.hybrid import HybridSearch  # noqa: E402
from dailypapers.search.keyword import KeywordIndex  # noqa: E402
from dailypapers.search.static import StaticEmbedder  # noqa: E402
from dailypapers.search.tiers import Tier, TieredVectors  # noqa: E402
from dailypapers.search.vectors import VectorIndex  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
ARXIV = ROOT.parent / "shared" / "data" / "arxiv-cs-daily-2025-2026" / "papers.jsonl.gz"
MODEL_DIR = Path(os.environ.get("DAILYPAPERS_MODEL_DIR") or Path(sys.prefix) / "share" / "dailypapers" / "models")
CACHE = ROOT / "bench" / "out" / "tier-quality-cache"
DEPTH = 100


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def cached(name: str, make: Callable[[], np.ndarray]) -> np.ndarray:
    path = CACHE / f"{name}.npy"
    if path.exists():
        return np.load(path)
    started = time.perf_counter()
    vectors = make()
    log(f"{name}: {len(vectors)} vectors in {time.perf_counter() - started:.0f} s")
    CACHE.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors)
    return vectors


def tiers_for(
    tmp: Path, ids: list[str], full: np.ndarray, fast: np.ndarray, full_share: float, embedder, static
) -> TieredVectors:
    """Vector indexes as `embed` leaves them with ``full_share`` of the papers done (random, seed 0)."""
    chosen = np.zeros(len(ids), dtype=bool)
    chosen[np.random.default_rng(0).permutation(len(ids))[: int(round(full_share * len(ids)))]] = True
    tiers = []
    for name, mask, vectors, encode in (
        ("full", chosen, full, embedder.embed_query),
        ("static", ~chosen, fast, static.embed_query),
    ):
        index = VectorIndex(tmp / name)
        rows = np.flatnonzero(mask)
        if len(rows):
            index.add([ids[i] for i in rows], vectors[rows])
        tiers.append(Tier(name, index, encode, fast=name == "static"))
    return TieredVectors(tiers)


def runs(keyword: KeywordIndex, tiers: TieredVectors, queries: dict[str, str]) -> tuple[dict, dict]:
    engine = HybridSearch(keyword, tiers)
    semantic = {q: [d for d, _ in tiers.search(text, DEPTH)] for q, text in queries.items()}
    hybrid = {q: [d for d, _ in engine.search(text, limit=DEPTH).hits] for q, text in queries.items()}
    return semantic, hybrid


def known_items(run: dict[str, list[str]]) -> dict[str, float]:
    """Each query's own paper is its id: success@1 and MRR@10."""
    first = [1.0 if r[:1] == [q] else 0.0 for q, r in run.items()]
    rr = [next((1.0 / (i + 1) for i, d in enumerate(r[:10]) if d == q), 0.0) for q, r in run.items()]
    return {"success@1": round(float(np.mean(first)), 4), "mrr@10": round(float(np.mean(rr)), 4)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--arxiv", type=int, default=2000)
    ap.add_argument("--mixed", type=float, default=0.5)
    args = ap.parse_args()
    embedder = Embedder(model_dir=MODEL_DIR, threads=2, sessions=2)
    static = StaticEmbedder(MODEL_DIR)
    shares = {"static": 0.0, "mixed": args.mixed, "full": 1.0}
    result: dict = {"load_average_start": round(os.getloadavg()[0], 1), "mixed_full_share": args.mixed}

    docs = load_corpus(DATA)
    queries, test = load_queries(DATA), load_qrels(DATA, "test")
    test_queries = {q: queries[q] for q in test}
    texts = [document_text(d["title"], d["abstract"]) for d in docs]
    ids = [d["id"] for d in docs]
    started = time.perf_counter()
    fast = static.embed(texts)
    static_rate = len(texts) / (time.perf_counter() - started)
    full = cached(f"scifact-full-{embedder.model_file.split(':')[1]}", lambda: embedder.embed(texts))
    scifact: dict = {"static_abstracts_per_s": round(static_rate)}
    with tempfile.TemporaryDirectory() as tmp:
        keyword = KeywordIndex(Path(tmp) / "keyword")
        keyword.add(docs)
        keyword.commit()
        scifact["keyword"] = evaluate(
            {q: [d for d, _ in keyword.search(t, limit=DEPTH).hits] for q, t in test_queries.items()}, test
        )
        for name, share in shares.items():
            tiers = tiers_for(Path(tmp) / name, ids, full, fast, share, embedder, static)
            semantic, hybrid = runs(keyword, tiers, test_queries)
            scifact[name] = {"semantic": evaluate(semantic, test), "hybrid": evaluate(hybrid, test)}
            log(f"scifact {name}: {scifact[name]}")
    result["scifact"] = scifact

    with gzip.open(ARXIV, "rt") as fh:
        papers = [json.loads(line) for line in itertools.islice(fh, args.arxiv)]
    ids = [p["id"] for p in papers]
    abstracts = [p["abstract"] or "" for p in papers]
    titles = {p["id"]: p["title"] for p in papers}
    fast = static.embed(abstracts)
    full = cached(
        f"arxiv-{args.arxiv}-abstracts-{embedder.model_file.split(':')[1]}", lambda: embedder.embed(abstracts)
    )
    arxiv: dict = {"papers": len(papers)}
    with tempfile.TemporaryDirectory() as tmp:
        keyword = KeywordIndex(Path(tmp) / "keyword")
        keyword.add(
            [
                {"id": p["id"], "title": "", "abstract": a, "authors": [], "categories": [], "date": None, "votes": 0}
                for p, a in zip(papers, abstracts)
            ]
        )
        keyword.commit()
        arxiv["keyword"] = known_items({q: [d for d, _ in keyword.search(t, limit=10).hits] for q, t in titles.items()})
        for name, share in shares.items():
            tiers = tiers_for(Path(tmp) / name, ids, full, fast, share, embedder, static)
            semantic, hybrid = runs(keyword, tiers, titles)
            arxiv[name] = {"semantic": known_items(semantic), "hybrid": known_items(hybrid)}
            log(f"arxiv {name}: {arxiv[name]}")
    result["arxiv_title_to_abstract"] = arxiv
    result["load_average_end"] = round(os.getloadavg()[0], 1)
    print(json.dumps(result))


if __name__ == "__main__":
    main()

"""SciFact (BEIR) retrieval benchmark for dailypapers.search.

    PYTHONPATH=src .venv/bin/python bench/scifact.py            # test split: keyword, semantic, hybrid
    PYTHONPATH=src .venv/bin/python bench/scifact.py --tune     # grid searches on the TRAIN qrels only
    ... --model packaged --max-length 128                       # the alternatives embed.py compares

The last line printed by the default run is one JSON object with the figures. Under
--cache-dir (default bench/out/scifact-cache) go the per-channel int8 model (built on first
use when the ``onnx`` package is installed, else the packaged model is used) and the corpus
embeddings, keyed by model file hash and max length: a re-run embeds nothing.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import math
import os
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np
import orjson

from dailypapers.search.embed import (
    DEFAULT_MAX_LENGTH,
    QUANTIZED_MODEL,
    Embedder,
    document_text,
)
from dailypapers.search.hybrid import FusionParams, HybridSearch, fuse
from dailypapers.search.keyword import FieldBoosts, KeywordIndex
from dailypapers.search.keyword import ranking as keyword_module
from dailypapers.search.vectors import Hits, VectorIndex

DATA = Path(
    os.environ.get("DAILYPAPERS_SCIFACT", Path(__file__).resolve().parents[2] / "shared" / "data" / "scifact-beir")
)
DEPTH = 100  # results per query that the metrics look at (recall@100)

Qrels = dict[str, dict[str, int]]
Run = dict[str, list[str]]


# -- data ------------------------------------------------------------------------------


def load_corpus(data: Path) -> list[dict]:
    """BEIR corpus as dailypapers documents (no authors, dates or categories in SciFact)."""
    docs = []
    with gzip.open(data / "corpus.jsonl.gz", "rb") as fh:
        for line in fh:
            row = orjson.loads(line)
            docs.append(
                {
                    "id": row["_id"],
                    "title": row["title"],
                    "abstract": row["text"],
                    "authors": [],
                    "categories": [],
                    "date": None,
                    "votes": 0,
                }
            )
    return docs


def load_queries(data: Path) -> dict[str, str]:
    with open(data / "queries.jsonl", "rb") as fh:
        return {row["_id"]: row["text"] for row in map(orjson.loads, fh)}


def load_qrels(data: Path, split: str) -> Qrels:
    qrels: Qrels = {}
    with open(data / "qrels" / f"{split}.tsv") as fh:
        next(fh)
        for line in fh:
            qid, did, score = line.split("\t")
            qrels.setdefault(qid, {})[did] = int(score)
    return qrels


# -- metrics (BEIR / trec_eval definitions) ---------------------------------------------


def ndcg_at(ranked: Sequence[str], rels: Mapping[str, int], k: int = 10) -> float:
    """nDCG@k with graded gains from the qrels and a log2(rank + 1) discount."""
    dcg = sum(rels.get(d, 0) / math.log2(i + 2) for i, d in enumerate(ranked[:k]))
    ideal = sorted((g for g in rels.values() if g > 0), reverse=True)[:k]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def recall_at(ranked: Sequence[str], rels: Mapping[str, int], k: int = 100) -> float:
    relevant = {d for d, g in rels.items() if g > 0}
    return len(relevant.intersection(ranked[:k])) / len(relevant) if relevant else 0.0


def evaluate(run: Run, qrels: Qrels) -> dict[str, float]:
    """Mean nDCG@10 and recall@100 over the judged queries (a missing run counts as 0)."""
    ndcg = [ndcg_at(run.get(q, []), r) for q, r in qrels.items()]
    recall = [recall_at(run.get(q, []), r) for q, r in qrels.items()]
    return {"ndcg@10": round(float(np.mean(ndcg)), 4), "recall@100": round(float(np.mean(recall)), 4)}


# -- retrieval -------------------------------------------------------------------------


def corpus_embeddings(embedder: Embedder, docs: list[dict], cache_dir: Path) -> np.ndarray:
    """Vectors of every document, cached by model file hash and max length."""
    key = hashlib.sha256(
        f"{embedder.model_file}|{embedder.backend}|{embedder.max_length}|{len(docs)}".encode()
    ).hexdigest()[:16]
    path = cache_dir / f"scifact-{key}.npy"
    if path.exists():
        log(f"corpus vectors from cache {path}")
        return np.load(path)
    texts = [document_text(d["title"], d["abstract"]) for d in docs]
    start = time.perf_counter()
    vecs = embedder.embed(
        texts, progress=lambda n: log(f"  embedded {n}/{len(texts)} ({n / (time.perf_counter() - start):.1f}/s)")
    )
    cache_dir.mkdir(parents=True, exist_ok=True)
    np.save(path, vecs)
    return vecs


def throughput(embedder: Embedder, docs: list[dict], sample: int = 128, rounds: int = 3) -> float:
    """Abstracts per second on a fixed sample: the best of a few rounds, since other work
    may share the cores."""
    texts = [document_text(d["title"], d["abstract"]) for d in docs[:sample]]
    embedder.embed(texts[:8])
    best = 0.0
    for _ in range(rounds):
        start = time.perf_counter()
        embedder.embed(texts)
        best = max(best, len(texts) / (time.perf_counter() - start))
    return best


def make_embedder(args: argparse.Namespace) -> Embedder:
    """The embedder under test; builds the per-channel int8 model into the cache once if asked."""
    model_dir = args.cache_dir / "models"
    if args.model == "per-channel" and not (model_dir / QUANTIZED_MODEL).exists():
        try:
            from dailypapers.search.quantize import build
        except ImportError as exc:
            log(f"cannot build the per-channel model ({exc}); using the packaged model")
        else:
            log(f"built {build(model_dir)}")
    # Two 1-thread sessions side by side, as `dailypapers embed` runs: the same vectors as one 2-thread session.
    return Embedder(
        max_length=args.max_length,
        threads=args.threads,
        sessions=args.sessions,
        model_dir=model_dir if args.model == "per-channel" else None,
    )


def keyword_hits(index: KeywordIndex, queries: Mapping[str, str], depth: int = DEPTH) -> dict[str, Hits]:
    return {qid: index.search(text, limit=depth).hits for qid, text in queries.items()}


def semantic_hits(vectors: VectorIndex, query_vecs: Mapping[str, np.ndarray], depth: int = DEPTH) -> dict[str, Hits]:
    return {qid: vectors.search(vec, depth) for qid, vec in query_vecs.items()}


def ids_only(hits: Mapping[str, Hits]) -> Run:
    return {q: [d for d, _ in h] for q, h in hits.items()}


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -- tuning (train qrels only) ---------------------------------------------------------


def tune(
    index: KeywordIndex, vectors: VectorIndex, embedder: Embedder, queries: Mapping[str, str], train: Qrels
) -> None:
    train_queries = {q: queries[q] for q in train}
    log(f"tuning on {len(train_queries)} train queries")
    for title in (0.0, 0.1, 0.2, 0.35, 0.5, 1.0):
        index.boosts = FieldBoosts(title=title, body=1.0)
        print(f"keyword title boost {title}: {evaluate(ids_only(keyword_hits(index, train_queries)), train)}")
    index.boosts = FieldBoosts()
    keyword = keyword_hits(index, train_queries)
    qvecs = dict(zip(train_queries, embedder.embed(list(train_queries.values()))))
    semantic = semantic_hits(vectors, qvecs)
    print(f"semantic: {evaluate(ids_only(semantic), train)}")
    grid = [FusionParams("convex", alpha=a / 10) for a in range(1, 10)]
    grid += [FusionParams("rrf", alpha=a / 10, rrf_k=k) for k in (10, 30, 60, 100) for a in (3, 4, 5, 6, 7)]
    results = []
    for params in grid:
        run = {q: [d for d, _ in fuse(keyword[q], semantic[q], params)] for q in train_queries}
        results.append((evaluate(run, train)["ndcg@10"], params))
        print(f"fusion {params.method} alpha={params.alpha} k={params.rrf_k}: {evaluate(run, train)}")
    best = max(results, key=lambda r: r[0])
    print(f"best fusion on train: {best[1]} ndcg@10={best[0]}")


# -- main ------------------------------------------------------------------------------


def coverage_runs(
    index: KeywordIndex,
    embedder: Embedder,
    docs: list[dict],
    queries: Mapping[str, str],
    qrels: Qrels,
    args: argparse.Namespace,
) -> list[dict]:
    """Hybrid nDCG@10 with only a share of the corpus embedded: what a user sees while the
    background embedding runs. "naive" fuses as if unembedded papers scored 0 semantically."""
    vecs = corpus_embeddings(embedder, docs, args.cache_dir)
    rng = np.random.default_rng(0)
    out = []
    for share in args.coverage:
        chosen = np.sort(rng.permutation(len(docs))[: int(round(share * len(docs)))])
        with tempfile.TemporaryDirectory() as tmp:
            vectors = VectorIndex(Path(tmp) / "vectors")
            vectors.add([docs[i]["id"] for i in chosen], vecs[chosen])
            row = {"coverage": share}
            for name, stand_in in (("naive", False), ("stand_in", True)):
                engine = HybridSearch(index, vectors, embedder, replace(FusionParams(), stand_in=stand_in))
                run = {qid: [d for d, _ in engine.search(text, limit=DEPTH).hits] for qid, text in queries.items()}
                row[name] = round(evaluate(run, qrels)["ndcg@10"], 4)
            log(f"coverage {share:.2f}: {row}")
            out.append(row)
    return out


def keyword_only(docs: list[dict], queries: Mapping[str, str], args: argparse.Namespace) -> int:
    test = load_qrels(args.data, "test")
    test_queries = {q: queries[q] for q in test}
    figures = {}
    with tempfile.TemporaryDirectory() as tmp:
        index = KeywordIndex(Path(tmp) / "keyword")
        index.add(docs)
        index.commit()
        tiers = keyword_module.COORDINATION_MAX_TERMS
        for name, boosts, coordination in (
            ("keyword", FieldBoosts(), tiers),
            ("plain_bm25", FieldBoosts(exact=0, proximity=0), 0),
        ):
            index.boosts, keyword_module.COORDINATION_MAX_TERMS = boosts, coordination
            figures[name] = evaluate(ids_only(keyword_hits(index, test_queries)), test)
            log(f"{name} {figures[name]}")
        keyword_module.COORDINATION_MAX_TERMS = tiers
    print(orjson.dumps({**figures, "queries": len(test), "documents": len(docs)}).decode())
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--cache-dir", type=Path, default=Path(__file__).parent / "out" / "scifact-cache")
    parser.add_argument("--model", choices=("per-channel", "packaged"), default="per-channel")
    parser.add_argument("--max-length", type=int, default=DEFAULT_MAX_LENGTH)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--sessions", type=int, default=2)
    parser.add_argument(
        "--keyword-only",
        action="store_true",
        help="keyword figures only (no embedding): today's boosts against the plain BM25 union "
        "(no exact-form field, no proximity, no all-words tier)",
    )
    parser.add_argument("--tune", action="store_true", help="grid searches on the train qrels; no test figures")
    parser.add_argument(
        "--coverage",
        type=float,
        nargs="*",
        default=[0.1, 0.25, 0.5, 0.75],
        help="also run hybrid with only this share of documents embedded (random, seed 0), "
        "with and without the stand-in fusion of partial embeddings",
    )
    args = parser.parse_args(argv)

    docs = load_corpus(args.data)
    queries = load_queries(args.data)
    if args.keyword_only:
        return keyword_only(docs, queries, args)
    embedder = make_embedder(args)
    log(f"{len(docs)} documents; model {embedder.model_file} ({embedder.backend}), max length {embedder.max_length}")
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        index = KeywordIndex(Path(tmp) / "keyword")
        index.add(docs)
        index.commit()
        index_seconds = time.perf_counter() - start
        vectors = VectorIndex(Path(tmp) / "vectors")
        vectors.add([d["id"] for d in docs], corpus_embeddings(embedder, docs, args.cache_dir))
        if args.tune:
            tune(index, vectors, embedder, queries, load_qrels(args.data, "train"))
            return 0

        test = load_qrels(args.data, "test")
        test_queries = {q: queries[q] for q in test}
        keyword = evaluate(ids_only(keyword_hits(index, test_queries)), test)
        print(f"keyword  {keyword}")
        qvecs = dict(zip(test_queries, embedder.embed(list(test_queries.values()))))
        semantic = evaluate(ids_only(semantic_hits(vectors, qvecs)), test)
        print(f"semantic {semantic}")
        hybrid_search = HybridSearch(index, vectors, embedder)
        latencies, run = [], {}
        for qid, text in test_queries.items():
            start = time.perf_counter()
            run[qid] = [d for d, _ in hybrid_search.search(text, limit=DEPTH).hits]
            latencies.append(time.perf_counter() - start)
        hybrid = evaluate(run, test)
        print(f"hybrid   {hybrid}")
        partial = coverage_runs(index, embedder, docs, test_queries, test, args) if args.coverage else []
        rate = throughput(embedder, docs)
        print(f"embedding throughput {rate:.1f} abstracts/s ({args.threads} threads)")
    figures = {
        "keyword": keyword,
        "semantic": semantic,
        "hybrid": hybrid,
        "partial_coverage": partial,
        "fusion": asdict(hybrid_search.params),
        "keyword_boosts": asdict(index.boosts),
        "model": embedder.model_file,
        "max_length": embedder.max_length,
        "embed_abstracts_per_s": round(rate, 1),
        "threads": args.threads,
        "keyword_index_s": round(index_seconds, 2),
        "hybrid_query_ms_p50": round(1000 * float(np.median(latencies)), 1),
        "queries": len(test),
        "documents": len(docs),
    }
    print(orjson.dumps(figures).decode())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

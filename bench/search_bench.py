"""Search speed at arXiv scale: build a 1,000,000-paper corpus and time keyword, semantic and hybrid queries.

    .venv/bin/python bench/search_bench.py [--n 1000000] [--queries 200] [--out bench/out/search] [--reuse] [--keyword-only]

Corpus: the 74,728 real papers of ../shared/data/arxiv-cs-daily-2025-2026/papers.jsonl.gz,
replicated with new ids and light perturbation (one abstract sentence dropped, the date
moved by up to a year, votes drawn at random). It goes straight into the engine's indexes
(the database is not part of this measurement; `dailypapers index` feeds the same indexes).

Vectors are SYNTHETIC but clustered: embedding 1M abstracts on 2 CPU cores would take
about 10 hours. Each real paper's vector is a random projection of its words (every word
hashed to a fixed random 384-d direction, summed with sqrt term weights), so papers that
share words are neighbours as with a real model; each replica adds noise to its source's
vector. (Independent random cluster centres are all equidistant in 384-d, which makes HNSW
inserts crawl and is nothing like real embeddings.) Queries ARE embedded with the real
model (per-channel int8 MiniLM, max length 256) and that time is part of the semantic and
hybrid latencies; the vector searched is the query's projection into the synthetic space.

Timing: the index files are read once through the page cache, each kind of search is warmed
with 200 other title queries, then timed over --rounds passes; each figure is the median
over the passes (p50 and p95 over the queries within a pass). The *_cpu_* figures are the
process's CPU time per query (all threads), steadier than wall time on a shared machine.
--keyword-only builds and times the keyword index alone (no vectors, no model). --baseline-keyword times
another keyword index (e.g. built with --shards 1) interleaved with ours, for a ratio.

Prints progress on stderr; the last stdout line is one JSON object.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import os
import random
import resource
import shutil
import statistics
import sys
import time
import zlib
from pathlib import Path

import numpy as np
import orjson

from dailypapers.search.embed import Embedder
from dailypapers.search.hybrid import HybridSearch
from dailypapers.search.keyword import DEFAULT_SHARDS, Filters, KeywordIndex, day_number
from dailypapers.search.text import analyze, parse_query
from dailypapers.search.vectors import VectorIndex

REPO = Path(__file__).resolve().parents[1]
PAPERS = REPO.parent / "shared" / "data" / "arxiv-cs-daily-2025-2026" / "papers.jsonl.gz"
DIM = 384
KEYWORD_SEED = 7


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


class WordProjection:
    """Text -> unit 384-d vector: sum of per-word random directions (hashed), sqrt-tf weighted."""

    def __init__(self, rng: np.random.Generator, buckets: int = 1 << 16):
        self.table = rng.standard_normal((buckets, DIM)).astype(np.float32)
        self.buckets = buckets

    def __call__(self, text: str) -> np.ndarray:
        words, counts = np.unique([w for w in analyze(text)] or ["empty"], return_counts=True)
        rows = np.fromiter((zlib.crc32(w.encode()) % self.buckets for w in words), dtype=np.int64, count=len(words))
        vector = np.sqrt(counts.astype(np.float32)) @ self.table[rows]
        return vector / max(float(np.linalg.norm(vector)), 1e-12)


class ProjectedQueries:
    """The real embedder's cost per query, searched in the synthetic space: embed_query runs
    the model (timed as part of each query) and returns the query's word projection."""

    def __init__(self, embedder: Embedder, project: WordProjection):
        self.embedder = embedder
        self.project = project

    def embed_query(self, text: str) -> np.ndarray:
        self.embedder.embed_query(text)
        return self.project(text)


def load_papers() -> list[dict]:
    with gzip.open(PAPERS) as f:
        return [orjson.loads(line) for line in f]


def _date(paper: dict) -> dt.date:
    raw = paper.get("listing_date") or "2025-06-01"
    return dt.date.fromisoformat(str(raw)[:10])


def replicas(papers: list[dict], n: int, rng: random.Random):
    """(row, source index, keyword doc) for n documents; row < len(papers) are the originals."""
    for row in range(n):
        source = row % len(papers)
        paper = papers[source]
        abstract = paper.get("abstract") or ""
        date = _date(paper)
        if row >= len(papers):
            sentences = abstract.split(". ")
            if len(sentences) > 2:
                del sentences[rng.randrange(len(sentences))]
            abstract = ". ".join(sentences)
            date += dt.timedelta(days=rng.randint(-365, 365))
        yield (
            row,
            source,
            {
                "id": paper["id"] if row < len(papers) else f"b{row:07d}",
                "title": paper.get("title") or "",
                "abstract": abstract,
                "authors": paper.get("authors") or [],
                "categories": paper.get("categories") or [],
                "date": date,
                "votes": rng.randint(0, 50) if rng.random() < 0.1 else 0,
            },
        )


def read_through(*paths: Path) -> float:
    """Read every index file once, so queries are timed on a warm page cache (as a serving
    machine has them), not on whatever this machine's memory reclaim left; returns seconds."""
    t0 = time.monotonic()
    for path in paths:
        for f in sorted(p for p in path.rglob("*") if p.is_file()):
            with open(f, "rb") as fh:
                while fh.read(1 << 24):
                    pass
    return time.monotonic() - t0


def disk(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def percentiles(samples: list[float]) -> dict:
    ms = np.asarray(samples) * 1000
    return {"p50_ms": round(float(np.percentile(ms, 50)), 2), "p95_ms": round(float(np.percentile(ms, 95)), 2)}


def title_queries(papers: list[dict], n: int, seed: int) -> list[str]:
    """User-like queries: the first 2-6 words of real titles."""
    qrng = random.Random(seed)
    return [" ".join((p.get("title") or "paper").split()[: qrng.randint(2, 6)]) for p in qrng.sample(papers, n)]


def timed(fn, queries, cpu: list[float] | None = None) -> list[float]:
    """Wall seconds per query; with ``cpu``, each query's CPU seconds (all threads) go there too:
    on a loaded machine they move far less than wall time does."""
    out = []
    for q in queries:
        c0, t0 = time.process_time(), time.perf_counter()
        fn(q)
        out.append(time.perf_counter() - t0)
        if cpu is not None:
            cpu.append(time.process_time() - c0)
    return out


def build_keyword(args, papers: list[dict], rng: random.Random) -> float:
    """Write the keyword index to args.out / "keyword"; returns the build time in seconds."""
    shutil.rmtree(args.out / "keyword", ignore_errors=True)
    log(f"{len(papers)} real papers; building {args.n:,} keyword documents")
    t0 = time.monotonic()
    keyword = KeywordIndex(args.out / "keyword", writer_heap=512_000_000, shards=args.shards)
    batch: list[dict] = []
    for row, _, doc in replicas(papers, args.n, rng):
        batch.append(doc)
        if len(batch) == 20_000:
            keyword.add(batch)
            batch.clear()
            if (row + 1) % 200_000 == 0:
                log(f"keyword: {row + 1:,} documents")
    keyword.add(batch)
    keyword.commit()
    keyword.close()
    seconds = time.monotonic() - t0
    log(f"keyword index built in {seconds:.0f} s, {disk(args.out / 'keyword') / 1e6:.0f} MB")
    return seconds


def replica_ids(papers: list[dict], rows: np.ndarray) -> list[str]:
    return [papers[r]["id"] if r < len(papers) else f"b{r:07d}" for r in rows.tolist()]


def replica_days(papers: list[dict], n: int) -> np.ndarray:
    """Each document's day number, as the keyword index has it (the same seeded stream)."""
    return np.fromiter(
        (day_number(doc["date"]) for _, _, doc in replicas(papers, n, random.Random(KEYWORD_SEED))),
        dtype=np.int32,
        count=n,
    )


def build_vectors(args, papers: list[dict], vrng: np.random.Generator, project: WordProjection) -> float:
    """Write the vector index to args.out / "vectors"; returns the build time in seconds."""
    shutil.rmtree(args.out / "vectors", ignore_errors=True)
    days = replica_days(papers, args.n)
    t0 = time.monotonic()
    centres = np.stack([project(f"{p.get('title') or ''} {p.get('abstract') or ''}") for p in papers])
    log(f"projected {len(papers)} papers in {time.monotonic() - t0:.0f} s")
    vectors = VectorIndex(args.out / "vectors")
    step = 50_000
    for start in range(0, args.n, step):
        rows = np.arange(start, min(start + step, args.n))
        block = centres[rows % len(papers)] + 0.3 * vrng.standard_normal((len(rows), DIM)).astype(np.float32) / np.sqrt(
            DIM
        )
        vectors.add(replica_ids(papers, rows), block, days[rows])
        log(f"vectors: {start + len(rows):,} ({'hnsw' if vectors.uses_hnsw else 'exact'})")
    vectors.save()
    seconds = time.monotonic() - t0
    log(f"vector index built in {seconds:.0f} s, {disk(args.out / 'vectors') / 1e6:.0f} MB")
    return seconds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--out", type=Path, default=REPO / "bench" / "out" / "search")
    ap.add_argument("--shards", type=int, default=DEFAULT_SHARDS, help="Keyword index shards (when it is built).")
    ap.add_argument(
        "--baseline-keyword",
        type=Path,
        default=None,
        help="Another keyword index of the same corpus (e.g. one built with --shards 1): its keyword queries are timed too, interleaved, and compared.",
    )
    ap.add_argument("--rounds", type=int, default=3, help="Timed passes over the queries for each kind of search.")
    ap.add_argument(
        "--reuse", action="store_true", help="Keep the indexes a previous run left in --out; build only those missing."
    )
    ap.add_argument(
        "--keyword-only",
        action="store_true",
        help="Build and time only the keyword index (keyword, keyword_date, highlight): no vectors, no model.",
    )
    ap.add_argument("--model-dir", type=Path, default=Path(sys.prefix) / "share" / "dailypapers" / "models")
    args = ap.parse_args()
    rng = random.Random(KEYWORD_SEED)
    log(f"loading {PAPERS.name}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    papers = load_papers()
    vrng = np.random.default_rng(7)
    project = WordProjection(vrng)
    if not args.reuse:
        shutil.rmtree(args.out, ignore_errors=True)
    args.out.mkdir(parents=True, exist_ok=True)
    # Each index draws from its own generator, so either can be rebuilt alone.
    keyword_build = None if KeywordIndex.exists(args.out / "keyword") else build_keyword(args, papers, rng)
    vectors_built = args.keyword_only or (args.out / "vectors" / "meta.json").exists()
    vector_build = None if vectors_built else build_vectors(args, papers, vrng, project)
    vector_dir = None if args.keyword_only else args.out / "vectors"
    warm = read_through(*(p for p in (args.out / "keyword", vector_dir, args.baseline_keyword) if p))
    log(f"read the index files through the page cache in {warm:.0f} s")
    keyword = KeywordIndex(args.out / "keyword")
    queries = title_queries(papers, args.queries, seed=11)  # the same queries with or without --reuse
    # Warm-up queries come from another seed: postings of common words get hot, as on a
    # serving machine, without timing the very queries that warmed them.
    warmup = [parse_query(q) for q in title_queries(papers, args.queries, seed=13)]
    last = max(_date(p) for p in papers)
    recent = Filters(date_from=last - dt.timedelta(days=90), date_to=last)
    parsed = [parse_query(q) for q in queries]

    results: dict = {
        "n": args.n,
        "queries": len(queries),
        "vectors": "synthetic: hashed word projections of the real papers, replicas with noise",
        "cores": os.cpu_count(),
        "load_average": round(os.getloadavg()[0], 2),
        "keyword_build_s": keyword_build and round(keyword_build, 1),
        "vector_build_s": vector_build and round(vector_build, 1),
        "keyword_disk_mb": round(disk(args.out / "keyword") / 1e6),
        "keyword_shards": keyword.shard_count,
    }
    runs = {
        "keyword": lambda q: keyword.search(q, limit=20),
        "keyword_date": lambda q: keyword.search(q, limit=20, filters=recent),
        "highlight": lambda q: keyword.highlight(q, [i for i, _ in keyword.search(q, limit=20).hits]),
    }
    if vector_dir is not None:
        vectors = VectorIndex.open(vector_dir)
        embedder = Embedder(model_dir=args.model_dir, threads=2)
        engine = HybridSearch(keyword, vectors, ProjectedQueries(embedder, project))
        results["model"] = embedder.model_path.name
        results["vector_disk_mb"] = round(disk(vector_dir) / 1e6)
        embed_times = timed(embedder.embed_query, queries)
        q_embed = percentiles(embed_times)
        results["query_embed_p50_ms"], results["query_embed_p95_ms"] = q_embed["p50_ms"], q_embed["p95_ms"]
        runs |= {
            "semantic": lambda q: engine.semantic(q, 20),
            "semantic_date": lambda q: engine.semantic(q, 20, recent),
            "hybrid": lambda q: engine.search(q, limit=20),
            "hybrid_date": lambda q: engine.search(q, limit=20, filters=recent),
        }
    for name, fn in runs.items():
        timed(fn, warmup)
        # Each figure: the median over --rounds passes of its p50 and of its p95.
        cpu_rounds: list[list[float]] = [[] for _ in range(args.rounds)]
        rounds = [percentiles(timed(fn, parsed, cpu)) for cpu in cpu_rounds]
        for stat in ("p50_ms", "p95_ms"):
            results[f"{name}_{stat}"] = round(statistics.median(r[stat] for r in rounds), 2)
            results[f"{name}_cpu_{stat}"] = round(statistics.median(percentiles(c)[stat] for c in cpu_rounds), 2)
        log(
            f"{name}: p50 {results[f'{name}_p50_ms']} ms, p95 {results[f'{name}_p95_ms']} ms "
            f"(p95 by round: {', '.join(str(r['p95_ms']) for r in rounds)})"
        )
    if args.baseline_keyword:
        baseline = KeywordIndex(args.baseline_keyword)
        results["baseline_keyword_shards"] = baseline.shard_count
        for name, index in (
            ("baseline_keyword", baseline),
            ("keyword", keyword),
            ("baseline_keyword", baseline),
            ("keyword", keyword),
        ):
            # Interleaved rounds: the machine's load falls on both alike; the last round of each is kept.
            stats = percentiles(timed(lambda q, index=index: index.search(q, limit=20), parsed))
            results[f"{name}_rerun_p50_ms"], results[f"{name}_rerun_p95_ms"] = stats["p50_ms"], stats["p95_ms"]
        results["keyword_p95_vs_baseline"] = round(
            results["keyword_rerun_p95_ms"] / results["baseline_keyword_rerun_p95_ms"], 2
        )
        log(
            f"keyword p95 {results['keyword_rerun_p95_ms']} ms vs baseline {results['baseline_keyword_rerun_p95_ms']} ms"
        )
    results["rss_mb"] = round(rss_mb())
    print(json.dumps(results))


if __name__ == "__main__":
    main()

"""What `dailypapers embed` costs around the model: the ceiling the CPU side puts on the GPU path.

On a GPU the model itself is fast (~40,000 abstracts/s for MiniLM-L6 in fp16 on one H200,
../shared/MEASUREMENTS.md), so end-to-end speed is set by what runs on the CPU: reading
papers, hashing their text, tokenizing, building length-sorted batches and storing the
vectors. This bench measures those parts on real papers, with real components:

* "database": the real `dailypapers embed --no-index --max-length 8` in a subprocess on a
  fresh SQLite database holding --papers real papers, GPU-sized chunks (16,384). Its
  summary times the database side apart: reading candidates, hashing, storing vectors and
  bumping change_seq, on the one thread that talks to the database while the model runs
  beside it. (Its end-to-end rate, "embed_8_tokens", is still the CPU model's: on 2 cores
  even 8-token texts cost it ~1 ms each.)
* "tokenize_256": tokenizing and batching the same texts at 256 tokens in this process
  (Embedder._prepare, the GPU path's batching), per abstract.
* "cpu_model_256": the CPU model itself (int8 onnx, 2 threads) on --model-sample abstracts.

Figures are medians of --runs runs; the last line is one JSON object.

    [DATABASE_URL=postgres://...] .venv/bin/python bench/embed_bench.py [--papers 20000] [--runs 3] [--model-sample 256]
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# A PostgreSQL URL here adds runs on a fresh PostgreSQL database beside it (dropped and recreated).
DATABASE_URL = os.environ.get("DATABASE_URL", "")
PAPERS = REPO.parent / "shared" / "data" / "arxiv-cs-daily-2025-2026" / "papers.jsonl.gz"
sys.path.insert(0, str(REPO / "bench"))
from import_bench import _cli, _env, _fresh_pg  # noqa: E402  (one subprocess runner for the benches)


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def first_papers(n: int, target: Path) -> list[str]:
    """Write the first ``n`` real papers to ``target``; return their title + abstract texts."""
    texts = []
    with gzip.open(PAPERS, "rt") as src, open(target, "w") as out:
        for line in itertools.islice(src, n):
            out.write(line)
            paper = json.loads(line)
            texts.append(f"{paper.get('title') or ''} {paper.get('abstract') or ''}".strip())
    return texts


def embed_run(papers_file: Path, n: int, database_url: str | None = None) -> dict:
    with tempfile.TemporaryDirectory() as home:
        env = _env(Path(home), _fresh_pg(database_url, "dailypapers_embed_bench") if database_url else None)
        _cli(["migrate", "--verbosity", "0"], env)
        _cli(["import", "--no-index", str(papers_file)], env)
        out, seconds, peak = _cli(["embed", "--json", "--no-index", "--max-length", "8", "--chunk", "16384",
                                   "--batch", "256"], env)
        summary = json.loads(out.strip().splitlines()[-1])
        if summary["embedded"] != n:
            raise SystemExit(f"embed stored {summary['embedded']} vectors, expected {n}")
        return {"abstracts_per_s": summary["abstracts_per_second"], "seconds": summary["seconds"],
                "database_papers_per_s": round(n / summary["database_seconds"], 1),
                "process_seconds": round(seconds, 2), "peak_rss_mb": round(peak, 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--papers", type=int, default=20_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--model-sample", type=int, default=256)
    args = ap.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dailypapers.settings")
    import django

    with tempfile.TemporaryDirectory() as scratch:
        os.environ["DAILYPAPERS_HOME"] = scratch
        django.setup()
        from django.conf import settings

        from dailypapers.search.embed import Embedder

        papers_file = Path(scratch) / "papers.jsonl"
        texts = first_papers(args.papers, papers_file)
        log(f"{len(texts)} papers; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        pipeline = []  # one summary per embed run
        for run in range(args.runs):
            pipeline.append(embed_run(papers_file, len(texts)))
            log(f"embed run {run + 1}: {pipeline[-1]}")
        embedder = Embedder(max_length=256, batch_size=256, model_dir=Path(settings.SEARCH_MODEL_DIR), threads=2)
        tokenize = []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            for start in range(0, len(texts), 16_384):
                embedder._prepare(texts[start:start + 16_384])
            tokenize.append(len(texts) / (time.perf_counter() - t0))
        postgres = []
        if DATABASE_URL.startswith(("postgres://", "postgresql://")):
            for run in range(args.runs):
                postgres.append(embed_run(papers_file, len(texts), DATABASE_URL))
                log(f"embed run {run + 1} on PostgreSQL: {postgres[-1]}")
        log(f"tokenize+batch at 256 tokens: {[round(r) for r in tokenize]} abstracts/s")
        cpu = Embedder(max_length=256, batch_size=32, model_dir=Path(settings.SEARCH_MODEL_DIR), threads=2)
        sample = texts[: args.model_sample]
        model = []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            cpu.embed(sample)
            model.append(len(sample) / (time.perf_counter() - t0))
        log(f"cpu model at 256 tokens: {[round(r, 1) for r in model]} abstracts/s")

    result = {
        "papers": len(texts), "cores": os.cpu_count(), "runs": args.runs,
        "embed_8_tokens_abstracts_per_s": round(statistics.median(r["abstracts_per_s"] for r in pipeline), 1),
        "database_papers_per_s": round(statistics.median(r["database_papers_per_s"] for r in pipeline), 1),
        "embed_peak_rss_mb": round(statistics.median(r["peak_rss_mb"] for r in pipeline), 1),
        "tokenize_256_abstracts_per_s": round(statistics.median(tokenize), 1),
        "cpu_model_256_abstracts_per_s": round(statistics.median(model), 1),
        "embed_runs": pipeline,
        **({"postgresql_database_papers_per_s": round(statistics.median(r["database_papers_per_s"] for r in postgres), 1),
            "postgresql_embed_runs": postgres} if postgres else {}),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()

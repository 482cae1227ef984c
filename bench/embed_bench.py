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
        out, seconds, peak = _cli(
            ["embed", "--json", "--no-index", "--max-length", "8", "--chunk", "16384", "--batch", "256"], env
        )
        summary = json.loads(out.strip().splitlines()[-1])
        if summary["embedded"] != n:
            raise SystemExit(f"embed stored {summary['embedded']} vectors, expected {n}")
        return {
            "abstracts_per_s": summary["abstracts_per_second"],
            "seconds": summary["seconds"],
            "database_papers_per_s": round(n / summary["database_seconds"], 1),
            "process_seconds": round(seconds, 2),
            "peak_rss_mb": round(peak, 1),
        }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--papers", type=int, default=20_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--model-sample", type=int, default=256)
    ap.add_argument(
        "--cpu",
        action="store_true",
        help="only the CPU model: the configuration `embed` ran before and after the search-quality work, interleaved, "
        "and the time `make run` needs to embed every bundled paper at each rate",
    )
    args = ap.parse_args()
    if args.cpu:
        return cpu_main(args)
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
                embedder._prepare(texts[start : start + 16_384])
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
        "papers": len(texts),
        "cores": os.cpu_count(),
        "runs": args.runs,
        "embed_8_tokens_abstracts_per_s": round(statistics.median(r["abstracts_per_s"] for r in pipeline), 1),
        "database_papers_per_s": round(statistics.median(r["database_papers_per_s"] for r in pipeline), 1),
        "embed_peak_rss_mb": round(statistics.median(r["peak_rss_mb"] for r in pipeline), 1),
        "tokenize_256_abstracts_per_s": round(statistics.median(tokenize), 1),
        "cpu_model_256_abstracts_per_s": round(statistics.median(model), 1),
        "embed_runs": pipeline,
        **(
            {
                "postgresql_database_papers_per_s": round(
                    statistics.median(r["database_papers_per_s"] for r in postgres), 1
                ),
                "postgresql_embed_runs": postgres,
            }
            if postgres
            else {}
        ),
    }
    print(json.dumps(result))


BUNDLED_PAPERS = 80_317  # papers after `make run`'s first import (74,728 arXiv + the Hugging Face archive's others)


def cpu_main(args) -> None:
    """CPU abstracts/s: one 2-thread session (before) against two 1-thread sessions running
    batches side by side (after, the `embed` default now), same texts, same vectors."""
    import numpy as np

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dailypapers.settings")
    import django

    with tempfile.TemporaryDirectory() as scratch:
        os.environ["DAILYPAPERS_HOME"] = scratch
        django.setup()
        from django.conf import settings

        from dailypapers.search.embed import Embedder

        texts = first_papers(args.model_sample, Path(scratch) / "papers.jsonl")
        model_dir = Path(settings.SEARCH_MODEL_DIR)
        configs = {
            "before_1x2_threads": Embedder(max_length=256, batch_size=32, model_dir=model_dir, threads=2),
            "after_2x1_threads": Embedder(max_length=256, batch_size=32, model_dir=model_dir, threads=2, sessions=2),
        }
        log(f"{len(texts)} abstracts; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        rates: dict[str, list[float]] = {name: [] for name in configs}
        vectors = {}
        for _ in range(args.runs):  # interleaved, so load from other processes hits both alike
            for name, embedder in configs.items():
                t0 = time.perf_counter()
                vectors[name] = embedder.embed(texts)
                rates[name].append(len(texts) / (time.perf_counter() - t0))
                log(f"{name}: {rates[name][-1]:.1f} abstracts/s")
        agreement = float(np.min(np.sum(vectors["before_1x2_threads"] * vectors["after_2x1_threads"], axis=1)))
    medians = {name: round(statistics.median(r), 1) for name, r in rates.items()}
    print(
        json.dumps(
            {
                "abstracts": len(texts),
                "runs": args.runs,
                "cores": os.cpu_count(),
                "load_average": round(os.getloadavg()[0], 1),
                "abstracts_per_s": medians,
                "runs_abstracts_per_s": {k: [round(x, 1) for x in v] for k, v in rates.items()},
                "speedup": round(medians["after_2x1_threads"] / medians["before_1x2_threads"], 2),
                "min_cosine_before_after": round(agreement, 5),
                "make_run_full_coverage_hours": {
                    name: round(BUNDLED_PAPERS / rate / 3600, 2) for name, rate in medians.items()
                },
                "bundled_papers": BUNDLED_PAPERS,
            }
        )
    )


if __name__ == "__main__":
    main()

"""Import the 74,728 real papers into a fresh database and report the speed.

Runs the real `dailypapers import --no-index` in a subprocess per run (fresh data dir each
time), then `dailypapers index` (the keyword-index catch-up `import` runs by default) timed
apart as "index_seconds"; for SQLite and, when DATABASE_URL names PostgreSQL, for a fresh PostgreSQL database too.
Prints one line per run, then as its last line one JSON object:
{"backend": "sqlite", "papers": ..., "seconds": ..., "papers_per_s": ..., "peak_rss_mb": ...,
 "runs": [...], "projected_2_9M_minutes": ..., "postgresql": {...same keys...}}
Figures are medians over --runs runs. The projection for the 2.9M-line arXiv snapshot uses
a second measurement, "snapshot_format": the same 74,728 papers rewritten as snapshot
JSONL lines (authors string + authors_parsed, 1-3 dated versions each), since that
format carries more per paper than the flat file.

    .venv/bin/python bench/import_bench.py [--runs 3] [--file PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_FILE = REPO.parent / "shared" / "data" / "arxiv-cs-daily-2025-2026" / "papers.jsonl.gz"
SNAPSHOT_SIZE = 2_900_000


def _env(home: Path, database_url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DAILYPAPERS_") and k != "DATABASE_URL"}
    env["DAILYPAPERS_HOME"] = str(home)
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def _cli(args: list[str], env: dict[str, str]) -> tuple[str, float, float]:
    """Run dailypapers; return (stdout, seconds, peak RSS in MB of that process alone)."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "dailypapers.cli.main", *args], env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)  # wait4 gives this child's own peak RSS
        seconds = time.perf_counter() - start
        code = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if code not in (0, 1):  # 1 = some records rejected: still a measurement
            raise SystemExit(f"dailypapers {' '.join(args)} failed ({code}):\n{err.read()}")
        return out.read(), seconds, usage.ru_maxrss / 1024


def one_run(path: Path, database_url: str | None) -> dict:
    with tempfile.TemporaryDirectory() as home:
        env = _env(Path(home), database_url)
        _cli(["migrate", "--verbosity", "0"], env)
        out, seconds, peak = _cli(["import", "--json", "--no-index", str(path)], env)
        summary = json.loads(out.strip().splitlines()[-1])
        papers = summary["new"]
        # `import` catches the keyword index up at the end by default; timed apart so both figures show.
        _, index_seconds, index_peak = _cli(["index"], env)
        return {
            "papers": papers,
            "seconds": round(seconds, 2),
            "papers_per_s": round(papers / seconds, 1),
            "peak_rss_mb": round(peak, 1),
            "rejected": summary["rejected"],
            "index_seconds": round(index_seconds, 2),
            "index_peak_rss_mb": round(index_peak, 1),
        }


def write_snapshot_copy(flat: Path, target: Path) -> Path:
    """The flat papers in the arXiv snapshot's JSONL shape (what a 2.9M import actually reads)."""
    import gzip
    import zlib

    with gzip.open(flat, "rt") as src, gzip.open(target, "wt", compresslevel=1) as out:
        for line in src:
            paper = json.loads(line)
            n_versions = 1 + zlib.crc32(paper["id"].encode()) % 3
            day = paper["listing_date"]
            versions = [
                {"version": f"v{i + 1}", "created": f"Mon, {1 + i} Jun 2026 10:00:00 GMT"} for i in range(n_versions)
            ]
            out.write(
                json.dumps(
                    {
                        "id": paper["id"],
                        "submitter": paper["authors"][0] if paper["authors"] else None,
                        "authors": ", ".join(paper["authors"]),
                        "title": paper["title"],
                        "comments": paper["comment"],
                        "journal-ref": None,
                        "doi": None,
                        "report-no": None,
                        "categories": " ".join(paper["categories"]),
                        "license": "http://arxiv.org/licenses/nonexclusive-distrib/1.0/",
                        "abstract": paper["abstract"],
                        "versions": versions,
                        "update_date": day,
                        "authors_parsed": [
                            [name.rsplit(" ", 1)[-1], name.rsplit(" ", 1)[0] if " " in name else "", ""]
                            for name in paper["authors"]
                        ],
                    }
                )
                + "\n"
            )
    return target


def _fresh_pg(base_url: str, name: str) -> str:
    import psycopg

    root = base_url.rsplit("/", 1)[0]
    with psycopg.connect(f"{root}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{root}/{name}"


def bench_backend(backend: str, path: Path, runs: int, database_url: str | None) -> dict:
    results = []
    for i in range(runs):
        url = _fresh_pg(database_url, f"dailypapers_bench_{i}") if database_url else None
        result = one_run(path, url)
        print(f"{backend} run {i + 1}: {result}", flush=True)
        results.append(result)
    median = {
        k: statistics.median(r[k] for r in results)
        for k in ("papers", "seconds", "papers_per_s", "peak_rss_mb", "index_seconds", "index_peak_rss_mb")
    }
    median["projected_2_9M_minutes"] = round(SNAPSHOT_SIZE / median["papers_per_s"] / 60, 1)
    return {"backend": backend, **median, "runs": results}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--file", type=Path, default=DEFAULT_FILE)
    args = parser.parse_args()
    database_url = os.environ.get("DATABASE_URL", "")
    use_pg = database_url.startswith(("postgres://", "postgresql://"))
    with tempfile.TemporaryDirectory() as tmp:
        snapshot = write_snapshot_copy(args.file, Path(tmp) / "snapshot.jsonl.gz")
        report = bench_backend("sqlite", args.file, args.runs, None)
        report["snapshot_format"] = bench_backend("sqlite", snapshot, args.runs, None)
        report["projected_2_9M_minutes"] = report["snapshot_format"]["projected_2_9M_minutes"]
        if use_pg:
            report["postgresql"] = bench_backend("postgresql", args.file, args.runs, database_url)
            report["postgresql"]["snapshot_format"] = bench_backend("postgresql", snapshot, args.runs, database_url)
            report["postgresql"]["projected_2_9M_minutes"] = report["postgresql"]["snapshot_format"][
                "projected_2_9M_minutes"
            ]
    for section in [
        report,
        report["snapshot_format"],
        *([report["postgresql"], report["postgresql"]["snapshot_format"]] if use_pg else []),
    ]:
        section.pop("runs", None)
    print(json.dumps(report))


if __name__ == "__main__":
    main()

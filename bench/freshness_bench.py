"""Freshness lag: seconds from a committed paper change to that paper being found by a search.

    .venv/bin/python bench/freshness_bench.py [--papers 5000] [--changes 20] [--refresh 1.0 0.25]

For each refresh interval: a fresh DAILYPAPERS_HOME (SQLite; DATABASE_URL for PostgreSQL is
honoured), `migrate`, `import` of the first --papers real arXiv papers, then the real
`dailypapers serve` (gunicorn, 2 workers, each with its background index refresher) with
DAILYPAPERS_SEARCH_REFRESH_SECONDS set. This process then commits --changes new papers one at
a time through the store's write path, each with a unique word in its title, and polls
`GET /api/papers/search?q=WORD` every 5 ms until the paper is listed. Searches never write the
index, so the lag is the refresher's wait plus its catch-up. The last line printed is one JSON
object: {"papers": ..., "runs": {"1.0": {"median_s": ..., "p95_s": ..., "max_s": ...}, ...}}.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from _server import free_port, wait_for

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data" / "arxiv-cs-daily-2025-2026" / "papers.jsonl.gz"
CLI = [sys.executable, "-m", "dailypapers.cli.main"]


def found(port: int, word: str) -> bool:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/papers/search?q={word}", timeout=5) as response:
        return word in response.read().decode()


def one_interval(refresh: float, papers: int, changes: int) -> dict:
    with tempfile.TemporaryDirectory() as home:
        env = {k: v for k, v in os.environ.items() if not k.startswith("DAILYPAPERS_")}
        env.update(
            DAILYPAPERS_HOME=home,
            DAILYPAPERS_SEARCH_REFRESH_SECONDS=str(refresh),
            DAILYPAPERS_SECRET_KEY=secrets.token_urlsafe(50),
        )
        subset = Path(home) / "papers.jsonl.gz"
        with gzip.open(DATA, "rt") as src, gzip.open(subset, "wt") as out:
            for i, line in enumerate(src):
                if i == papers:
                    break
                out.write(line)
        subprocess.run([*CLI, "migrate", "--verbosity", "0"], env=env, check=True)
        subprocess.run([*CLI, "import", str(subset)], env=env, check=True, capture_output=True)
        port = free_port()
        server = subprocess.Popen(
            [*CLI, "serve", "--port", str(port), "--workers", "2"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_for(f"http://127.0.0.1:{port}/api/papers/search?q=transformer")
            os.environ.update(env, DJANGO_SETTINGS_MODULE="dailypapers.settings")
            import django

            django.setup()
            from django.utils import timezone

            from dailypapers.ingest.records import PaperRecord
            from dailypapers.store.upsert import write_batch

            lags = []
            for i in range(changes):
                word = f"zqx{secrets.token_hex(4)}"
                record = PaperRecord(
                    arxiv_id=f"2999.{i:05d}",
                    title=f"Freshness probe {word}",
                    source="bench",
                    abstract="A probe.",
                    authors=["Bench"],
                    categories=["cs.LG"],
                    first_submitted=dt.datetime(2025, 1, 2, tzinfo=dt.timezone.utc),
                )
                write_batch([record], timezone.now())  # committed when this returns
                start = time.monotonic()
                while not found(port, word):
                    if time.monotonic() - start > 60:
                        raise SystemExit(f"change {i} was not searchable after 60 s")
                    time.sleep(0.005)
                lags.append(time.monotonic() - start)
                time.sleep(refresh * (0.3 + 0.7 * (i % 5) / 4))  # changes land at varied points of the refresh cycle
        finally:
            server.terminate()
            server.wait(30)
    lags.sort()
    result = {
        "median_s": round(statistics.median(lags), 3),
        "p95_s": round(lags[int(0.95 * (len(lags) - 1))], 3),
        "max_s": round(lags[-1], 3),
        "changes": len(lags),
    }
    print(f"refresh every {refresh} s: {result}", flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=5000)
    parser.add_argument("--changes", type=int, default=20)
    parser.add_argument("--refresh", type=float, nargs="+", default=[1.0, 0.25])
    args = parser.parse_args()
    if len(args.refresh) > 1:  # django.setup() binds one data dir per process: one interval per child
        runs = {}
        for refresh in args.refresh:
            out = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--papers",
                    str(args.papers),
                    "--changes",
                    str(args.changes),
                    "--refresh",
                    str(refresh),
                ],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            print(out.splitlines()[0], flush=True)
            runs[str(refresh)] = json.loads(out.splitlines()[-1])["runs"][str(refresh)]
    else:
        runs = {str(args.refresh[0]): one_interval(args.refresh[0], args.papers, args.changes)}
    print(json.dumps({"papers": args.papers, "runs": runs}))


if __name__ == "__main__":
    main()

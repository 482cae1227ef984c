"""A first `make run`'s semantic search: how long until every bundled paper is searchable by
meaning, and how responsive pages stay meanwhile.

    .venv/bin/python bench/first_run_bench.py [--idle-seconds 30] [--full-seconds 120] [--base DIR]

Imports the bundled papers once into a cached base (``bench/out/first-run-base``: what `make
run`'s first import leaves, no embeddings), copies it to a fresh home, then does what `make
run` does: starts `dailypapers serve` (gunicorn) and beside it `nice -n 19 dailypapers embed
--threads 2`. One client walks a fixed set of pages (home, trending, a day, paper pages,
keyword and semantic searches) in a loop, before the embedder starts ("idle") and while it
runs: during the fast tier ("static_phase") and for --full-seconds of the full model after
("full_phase"), then for --idle-seconds once the embedder is stopped ("idle_after": the same
indexes and the same semantic query work as the full phase, without the embedder). "all_searchable_s" is the time from the embedder's start until the index's
state shows a vector (either tier) for every paper in the keyword index, checked again by a
semantic search that says so. Also reported: the load average (other work on the machine
counts: figures are under that load), the CPU-seconds the embedder and the server used, and
the full model's rate. The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

from _server import free_port, wait_for

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
SOURCES = [
    DATA / "arxiv-cs-daily-2025-2026" / "papers.jsonl.gz",
    DATA / "hf-daily-papers" / "daily_papers_raw.jsonl.gz",
]
CLI = [sys.executable, "-m", "dailypapers.cli.main"]
CLOCK = os.sysconf("SC_CLK_TCK")
EMBEDDER_NICE = 19  # as `dailypapers run` starts its embedder (cli/management/commands/run.py)


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def env_for(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DAILYPAPERS_") and k != "DATABASE_URL"}
    env.update(
        DAILYPAPERS_HOME=str(home),
        DAILYPAPERS_SECRET_KEY="bench-" + os.urandom(16).hex(),
        DAILYPAPERS_DEBUG="0",
        DAILYPAPERS_LOG_LEVEL="ERROR",
        # Every search reaches the server's code: the anonymous page cache would hide the load.
        DAILYPAPERS_PAGE_CACHE_SECONDS="0",
    )
    return env


def prepare_base(base: Path) -> None:
    if (base / "imported").exists():
        return
    shutil.rmtree(base, ignore_errors=True)
    base.mkdir(parents=True)
    env = env_for(base)
    started = time.monotonic()
    subprocess.run([*CLI, "migrate", "-v", "0"], env=env, check=True)
    subprocess.run([*CLI, "import", *map(str, SOURCES)], env=env, check=True, stdout=subprocess.DEVNULL)
    (base / "imported").write_text(f"{time.monotonic() - started:.0f} s\n")
    log(f"base imported in {time.monotonic() - started:.0f} s")


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its reaped children (from /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0
    # utime, stime, cutime, cstime are fields 14-17 (1-based); fields[0] here is field 3.
    return sum(int(fields[i]) for i in (11, 12, 13, 14)) / CLOCK


def tree_cpu_seconds(pid: int) -> float:
    """CPU of a process and every live descendant (gunicorn's workers)."""
    total, todo = 0.0, [pid]
    while todo:
        p = todo.pop()
        total += cpu_seconds(p)
        try:
            todo += [int(c) for c in Path(f"/proc/{p}/task/{p}/children").read_text().split()]
        except FileNotFoundError:
            pass
    return total


def state(home: Path) -> dict:
    try:
        return json.loads((home / "index" / "state.json").read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return {}


def pages(home: Path) -> list[str]:
    import sqlite3

    with sqlite3.connect(home / "dailypapers.sqlite3") as db:
        ids = [r[0] for r in db.execute("SELECT arxiv_id FROM store_paper ORDER BY id DESC LIMIT 3")]
        (day,) = db.execute("SELECT MAX(announced) FROM store_paper").fetchone()
    q = urllib.parse.quote
    return [
        "/",
        "/trending",
        f"/papers/date/{day}",
        *[f"/papers/{q(i)}" for i in ids],
        "/search?q=" + q("graph neural networks for molecules"),
        "/search?q=" + q("reducing hallucination in language models") + "&mode=semantic",
    ]


class Walker(threading.Thread):
    """One client fetching the pages in turn, each latency tagged with the phase it ran in."""

    def __init__(self, base_url: str, paths: list[str]):
        super().__init__(daemon=True)
        self.base_url, self.paths = base_url, paths
        self.phase = "idle"
        self.samples: dict[str, list[float]] = {}
        self.errors = 0
        self.stopped = threading.Event()

    def run(self) -> None:
        i = 0
        while not self.stopped.is_set():
            path = self.paths[i % len(self.paths)]
            i += 1
            phase, t0 = self.phase, time.perf_counter()
            try:
                urllib.request.urlopen(self.base_url + path, timeout=60).read()
            except OSError:
                self.errors += 1
                continue
            self.samples.setdefault(phase, []).append(1000 * (time.perf_counter() - t0))


def summary(ms: list[float]) -> dict:
    if not ms:
        return {"requests": 0}
    ordered = sorted(ms)
    return {
        "requests": len(ms),
        "p50_ms": round(statistics.median(ordered), 1),
        "p95_ms": round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 1),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base", type=Path, default=ROOT / "bench" / "out" / "first-run-base")
    ap.add_argument("--idle-seconds", type=float, default=30)
    ap.add_argument("--full-seconds", type=float, default=120, help="how long to watch the full model after")
    ap.add_argument("--limit-seconds", type=float, default=1500, help="give up waiting for full coverage")
    args = ap.parse_args()
    prepare_base(args.base)
    with tempfile.TemporaryDirectory() as scratch:
        home = Path(scratch) / "home"
        shutil.copytree(args.base, home)
        env = env_for(home)
        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [*CLI, "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        embed_log = Path(scratch) / "embed.log"
        embed = None
        loads = []
        try:
            wait_for(base_url + "/", 120)
            paths = pages(home)
            for path in paths:  # warm each worker's caches once before timing
                urllib.request.urlopen(base_url + path, timeout=60).read()
            walker = Walker(base_url, paths)
            walker.start()
            time.sleep(args.idle_seconds)
            loads.append(os.getloadavg()[0])
            server_cpu_before = tree_cpu_seconds(server.pid)
            walker.phase = "static_phase"
            started = time.monotonic()
            with open(embed_log, "w") as out:
                embed = subprocess.Popen(
                    ["nice", "-n", str(EMBEDDER_NICE), *CLI, "embed", "--threads", "2"], env=env, stdout=out, stderr=out
                )
            all_searchable = None
            while time.monotonic() - started < args.limit_seconds and embed.poll() is None:
                s = state(home)
                if s.get("keyword_docs") and s.get("vectors", 0) + s.get("static_vectors", 0) >= s["keyword_docs"]:
                    all_searchable = time.monotonic() - started
                    break
                time.sleep(0.5)
            if all_searchable is None:
                raise SystemExit(f"not every paper was searchable by meaning after {time.monotonic() - started:.0f} s")
            log(f"every paper searchable by meaning {all_searchable:.1f} s after the embedder started")
            check = urllib.request.urlopen(base_url + paths[-1], timeout=60).read().decode()
            keyword_only = "keyword only" in check
            loads.append(os.getloadavg()[0])
            walker.phase = "full_phase"
            time.sleep(args.full_seconds)
            loads.append(os.getloadavg()[0])
            embed_cpu = cpu_seconds(embed.pid)
            server_cpu = tree_cpu_seconds(server.pid) - server_cpu_before
            # Killed, not interrupted: it would finish the chunk in hand first (minutes under load);
            # every committed chunk stays, as when `make run` is stopped.
            embed.kill()
            embed.wait(timeout=60)
            # The same pages with the same indexes (both tiers in place) and no embedder: the
            # baseline for the full phase, whose semantic searches embed each query with the full
            # model, work the first idle phase (no vectors yet: keyword only) never did.
            time.sleep(3)
            walker.phase = "idle_after"
            time.sleep(args.idle_seconds)
            loads.append(os.getloadavg()[0])
            walker.stopped.set()
            walker.join(timeout=70)
        finally:
            if embed is not None and embed.poll() is None:
                embed.kill()
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        lines = embed_log.read_text().splitlines()
        s = state(home)
    rates = [line for line in lines if " embedded " in line and "/s)" in line]
    full_rate = float(rates[-1].split("(")[1].split("/s")[0]) if rates else 0.0
    idle, fast, full, after = (
        summary(walker.samples.get(p, [])) for p in ("idle", "static_phase", "full_phase", "idle_after")
    )
    papers = s.get("keyword_docs", 0)
    result = {
        "papers": papers,
        "all_searchable_s": round(all_searchable, 1),
        "search_said_keyword_only": keyword_only,
        "fast_tier_log": next((line for line in lines if "fast tier:" in line), ""),
        "full_model_abstracts_per_s": full_rate,
        "full_model_all_papers_h": round(papers / full_rate / 3600, 2) if full_rate else None,
        "pages": {"idle": idle, "static_phase": fast, "full_phase": full, "idle_after": after, "errors": walker.errors},
        "p95_ratio_static_phase": round(fast["p95_ms"] / idle["p95_ms"], 2) if fast.get("p95_ms") else None,
        "p95_ratio_full_phase": round(full["p95_ms"] / idle["p95_ms"], 2) if full.get("p95_ms") else None,
        # The full phase against the same pages and indexes once the embedder is gone.
        "p95_ratio_full_phase_vs_after": round(full["p95_ms"] / after["p95_ms"], 2)
        if full.get("p95_ms") and after.get("p95_ms")
        else None,
        "embed_cpu_s": round(embed_cpu, 1),
        "server_cpu_s_while_embedding": round(server_cpu, 1),
        "load_average": {"before": loads[0], "all_searchable": loads[1], "full_phase_end": loads[2], "end": loads[3]},
        "cores": os.cpu_count(),
        "note": "measured on a machine shared with other work: the load average says how much",
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()

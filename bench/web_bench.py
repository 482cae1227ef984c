"""Load-test the site: trending, a day page, a paper page and /api/daily_papers under `dailypapers serve`.

    .venv/bin/python bench/web_bench.py [--duration 30] [--connections 50] [--cores 2] [--home DIR] [--no-page-cache]
                                        [--baseline REV] [--rounds N] [--quick] [--render-only] [--start-timeout S]

Builds a fresh DAILYPAPERS_HOME (or reuses --home), imports the 74,728 real arXiv papers and
the Hugging Face daily lists, scores them (`dailypapers rank --rebuild`), starts the real
production server (gunicorn, DEBUG off) pinned to --cores CPUs with taskset, and drives each
endpoint with wrk (Debian package) for --duration seconds at --connections connections.
It does so twice: with the anonymous page cache on (DAILYPAPERS_PAGE_CACHE_SECONDS as
configured, 10 s by default), then with it off, which is what logged-in users always get;
--no-page-cache runs only the second. The last line printed is one JSON object keyed by
endpoint, the uncached run under "uncached":
{"trending": {"rps": ..., "p50_ms": ..., "p95_ms": ..., "p99_ms": ..., "errors": ...}, ...,
 "uncached": {"trending": {...}, ...}}

--baseline REV also runs the server of another revision (its src/ from `git archive`, on the same
data) for the uncached list pages, alternating old and new --rounds times so both see the same
machine load, and adds "baseline": {"rev", "uncached_rps": {old, new, ratio per list page (medians
over rounds)}, "render_cpu_ms": {in-process page renders' CPU time, medians, old, new, ratio}}. REV defaults to
2eb9b10, the last revision whose cards were HTML built in Python, so the template cards
are compared with them; that revision imports Markdown 3.11.3, no longer a dependency, so put it on
PYTHONPATH (`pip install --target DIR Markdown==3.11.3`). --quick imports only the Hugging Face
days (9,881 papers) for a run of a few minutes. --render-only (with --baseline) skips wrk and compares
only the in-process render CPU times, the figure a machine busy with other work disturbs least.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _server import free_port, wait_for

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
SOURCES = [
    DATA / "arxiv-cs-daily-2025-2026" / "papers.jsonl.gz",
    DATA / "hf-daily-papers" / "daily_papers_raw.jsonl.gz",
]
QUICK_SOURCES = SOURCES[1:]
OLD_CARDS = "2eb9b10"  # the last revision whose cards were f-string HTML (web/templatetags/cards.py)
LIST_PAGES = ("trending", "day")
CLI = [sys.executable, "-m", "dailypapers.cli.main"]

# wrk reports p50/p75/p90/p99 itself; this script asks its histogram for p95 and counts every error kind.
LUA = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('WRKJSON {"requests": %d, "duration_us": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d, "errors": %d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95), latency:percentile(99),
    e.connect + e.read + e.write + e.status + e.timeout))
end
"""


def env_for(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DAILYPAPERS_") and k != "DATABASE_URL"}
    env.update(
        DAILYPAPERS_HOME=str(home),
        DAILYPAPERS_SECRET_KEY="bench-" + os.urandom(16).hex(),
        DAILYPAPERS_API_READ_RATE="999999999/60",  # measuring throughput from one address, not abuse (9 digits at most)
        DAILYPAPERS_DEBUG="0",
        DAILYPAPERS_LOG_LEVEL="ERROR",
    )
    return env


def prepare(home: Path, env: dict[str, str], sources: list[Path] = SOURCES) -> None:
    if not (home / "dailypapers.sqlite3").exists():
        subprocess.run([*CLI, "migrate", "-v", "0"], env=env, check=True)
        started = time.monotonic()
        subprocess.run([*CLI, "import", *map(str, sources)], env=env, check=True)
        subprocess.run([*CLI, "rank", "--rebuild"], env=env, check=True)
        print(f"imported and scored in {time.monotonic() - started:.0f} s", flush=True)
    # The rescoring above appends a change per paper; left pending, the servers' refreshers would
    # re-index every paper while wrk measures them (a deploy applies them once, before serving).
    subprocess.run([*CLI, "index"], env=env, check=True, stdout=subprocess.DEVNULL)


def sample_targets(env: dict[str, str]) -> dict[str, str]:
    code = (
        "import django,json;django.setup();from dailypapers.store.models import DailyEntry, PaperStats;"
        "d=DailyEntry.objects.order_by('-date').values_list('date',flat=True).first();"
        "p=PaperStats.objects.order_by('-trending_score').select_related('paper').first().paper.arxiv_id;"
        "print(json.dumps([d.isoformat(), p]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={**env, "DJANGO_SETTINGS_MODULE": "dailypapers.settings"},
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    day, paper = json.loads(out.strip().splitlines()[-1])
    return {
        "trending": "/trending",
        "day": f"/papers/date/{day}",
        "paper": f"/papers/{paper}",
        "api_daily_papers": f"/api/daily_papers?date={day}",
    }


def run_wrk(url: str, duration: int, connections: int, script: Path, cpus: str | None) -> dict:
    cmd = ["wrk", "-t", "2", "-c", str(connections), "-d", f"{duration}s", "--timeout", "10s", "-s", str(script), url]
    if cpus:
        cmd = ["taskset", "-c", cpus, *cmd]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    line = next(row for row in out.splitlines() if row.startswith("WRKJSON "))
    raw = json.loads(line[len("WRKJSON ") :])
    return {
        "rps": round(raw["requests"] / (raw["duration_us"] / 1e6), 1),
        "p50_ms": raw["p50_us"] / 1000,
        "p95_ms": raw["p95_us"] / 1000,
        "p99_ms": raw["p99_us"] / 1000,
        "errors": raw["errors"],
        "requests": raw["requests"],
    }


def with_source(env: dict[str, str], src: Path | None) -> dict[str, str]:
    """``env`` running the code in ``src`` (another revision's src/) instead of this checkout's."""
    if src is None:
        return env
    return {**env, "PYTHONPATH": os.pathsep.join([str(src), *filter(None, [env.get("PYTHONPATH", "")])])}


def baseline_source(rev: str) -> Path:
    """The src/ folder of revision ``rev``, unpacked into a temporary folder."""
    folder = Path(tempfile.mkdtemp(prefix="dailypapers-baseline-"))
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "src"], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder / "src"


RENDER = """
import json, statistics, sys, time
import django
django.setup()
from django.test import Client
client = Client()
out = {}
for name, path in json.loads(sys.argv[1]).items():
    for _ in range(3):
        assert client.get(path).status_code == 200
    times = []
    for _ in range(int(sys.argv[2])):
        started = time.process_time()  # CPU time: what a page costs, apart from other load on the machine
        client.get(path)
        times.append((time.process_time() - started) * 1000)
    out[name] = round(statistics.median(times), 2)
print(json.dumps(out))
"""


def render_ms(env: dict[str, str], targets: dict[str, str], repeats: int) -> dict[str, float]:
    """Median CPU milliseconds of an uncached in-process render (Django test client) of each target."""
    env = {
        **env,
        "DJANGO_SETTINGS_MODULE": "dailypapers.settings",
        "DAILYPAPERS_PAGE_CACHE_SECONDS": "0",
        "DAILYPAPERS_ALLOWED_HOSTS": "testserver",
    }
    out = subprocess.run(
        [sys.executable, "-c", RENDER, json.dumps(targets), str(repeats)],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def compare_baseline(env: dict[str, str], targets: dict[str, str], args: argparse.Namespace) -> dict:
    """Old and new server, alternating, on the uncached list pages; medians over rounds and their ratio."""
    old_src = baseline_source(args.baseline)
    pages = {name: targets[name] for name in LIST_PAGES}
    uncached = {**env, "DAILYPAPERS_PAGE_CACHE_SECONDS": "0"}
    rps: dict[str, dict[str, list[float]]] = {name: {"old": [], "new": []} for name in pages}
    renders: dict[str, dict[str, list[float]]] = {name: {"old": [], "new": []} for name in pages}
    for _ in range(args.rounds):
        for label, src in (("old", old_src), ("new", None)):
            if not args.render_only:
                results = run_suite(with_source(uncached, src), pages, args, f"{label}-cards")
                for name, result in results.items():
                    rps[name][label].append(result["rps"])
            for name, ms in render_ms(with_source(env, src), pages, args.render_repeats).items():
                renders[name][label].append(ms)

    def summary(values: dict[str, dict[str, list[float]]]) -> dict[str, dict[str, float]]:
        out = {}
        for name, by_label in values.items():
            if not by_label["old"]:
                continue
            old, new = statistics.median(by_label["old"]), statistics.median(by_label["new"])
            out[name] = {"old": old, "new": new, "ratio": round(new / old, 3) if old else None}
        return out

    return {
        "rev": args.baseline,
        "rounds": args.rounds,
        "uncached_rps": summary(rps),
        "render_cpu_ms": summary(renders),
    }


def run_suite(env: dict[str, str], targets: dict[str, str], args: argparse.Namespace, label: str) -> dict[str, dict]:
    """Start the server with ``env``, drive every target with wrk, stop it; results by target."""
    total = os.cpu_count() or 1
    server_cpus = ",".join(str(i) for i in range(min(args.cores, total)))
    client_cpus = ",".join(str(i) for i in range(args.cores, total)) or None
    port = free_port()
    server = subprocess.Popen(
        ["taskset", "-c", server_cpus, *CLI, "serve", "--port", str(port), "--workers", str(workers_for(args))],
        env=env,
        stdout=subprocess.DEVNULL,
    )
    results: dict[str, dict] = {}
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for(base + "/trending", args.start_timeout)
        with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
            script.write(LUA)
            script.flush()
            for name, path in targets.items():
                run_wrk(base + path, 3, args.connections, Path(script.name), client_cpus)  # warm-up
                results[name] = run_wrk(base + path, args.duration, args.connections, Path(script.name), client_cpus)
                print(f"{label:9} {name:18} {path:45} {json.dumps(results[name])}", flush=True)
    finally:
        server.terminate()
        server.wait(timeout=30)
    return results


def workers_for(args: argparse.Namespace) -> int:
    return 2 * args.cores + 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=30)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--cores", type=int, default=2, help="CPUs the server may use (taskset)")
    parser.add_argument("--home", type=Path, help="reuse this data dir (imported once, kept)")
    parser.add_argument(
        "--no-page-cache",
        action="store_true",
        help="only the run with the anonymous page cache off (DAILYPAPERS_PAGE_CACHE_SECONDS=0)",
    )
    parser.add_argument(
        "--baseline",
        nargs="?",
        const=OLD_CARDS,
        default=None,
        metavar="REV",
        help=f"also run revision REV's server on the uncached list pages (default REV: {OLD_CARDS}, "
        "the f-string cards) and report old/new medians and their ratio",
    )
    parser.add_argument("--rounds", type=int, default=3, help="old/new alternations with --baseline")
    parser.add_argument("--render-repeats", type=int, default=40, help="in-process renders per page and round")
    parser.add_argument(
        "--start-timeout", type=float, default=180, help="seconds a server may take to answer its first request"
    )
    parser.add_argument("--quick", action="store_true", help="import only the Hugging Face days (9,881 papers)")
    parser.add_argument(
        "--render-only",
        action="store_true",
        help="with --baseline: only the in-process render CPU times (no wrk), which a busy machine disturbs least",
    )
    args = parser.parse_args()
    if not shutil.which("wrk") and not args.render_only:
        raise SystemExit("wrk is missing: apt-get install wrk")
    home = args.home or Path(tempfile.mkdtemp(prefix="dailypapers-webbench-"))
    env = env_for(home)
    prepare(home, env, QUICK_SOURCES if args.quick else SOURCES)
    targets = sample_targets(env)
    report: dict = {
        "server_cores": args.cores,
        "workers": workers_for(args),
        "connections": args.connections,
        "duration_s": args.duration,
    }
    if not args.no_page_cache and not args.render_only:
        report.update(run_suite(env, targets, args, "cached"))
    if not args.render_only:
        report["uncached"] = run_suite({**env, "DAILYPAPERS_PAGE_CACHE_SECONDS": "0"}, targets, args, "uncached")
    if args.baseline:
        report["baseline"] = compare_baseline(env, targets, args)
    print(json.dumps(report))


if __name__ == "__main__":
    main()

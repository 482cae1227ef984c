"""Load-test the site: trending, a day page, a paper page and /api/daily_papers under `dailypapers serve`.

    .venv/bin/python bench/web_bench.py [--duration 30] [--connections 50] [--cores 2] [--home DIR] [--no-page-cache]
                                        [--baseline-src ../main/src --rounds 3] [--only trending day paper]

Builds a fresh DAILYPAPERS_HOME (or reuses --home), imports the 74,728 real arXiv papers and
the Hugging Face daily lists, scores them (`dailypapers rank --rebuild`), starts the real
production server (gunicorn, DEBUG off) pinned to --cores CPUs with taskset, and drives each
endpoint with wrk (Debian package) for --duration seconds at --connections connections.
It does so twice: with the anonymous page cache on (DAILYPAPERS_PAGE_CACHE_SECONDS as
configured, 10 s by default), then with it off, which is what logged-in users always get;
--no-page-cache runs only the second. --baseline-src runs another checkout's code (main's src/)
over the same data for the uncached suite, alternating with ours for --rounds rounds, and adds
"baseline_uncached" and "uncached_rps_ratio" (ours / baseline, medians). The first uncached run
also weighs each page as a browser's first view would fetch it ("page_weight": the page and its
CSS/JS, gzip accepted; KiB on the wire). The last line printed is one JSON object keyed by
endpoint, the uncached run under "uncached":
{"trending": {"rps": ..., "p50_ms": ..., "p95_ms": ..., "p99_ms": ..., "errors": ...}, ...,
 "uncached": {"trending": {...}, ...}}
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
SOURCES = [DATA / "arxiv-cs-daily-2025-2026" / "papers.jsonl.gz", DATA / "hf-daily-papers" / "daily_papers_raw.jsonl.gz"]
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
    # This checkout's code, whatever the virtualenv has installed (--baseline-src swaps in another's).
    env.update(PYTHONPATH=str(ROOT / "src"), DAILYPAPERS_HOME=str(home), DAILYPAPERS_SECRET_KEY="bench-" + os.urandom(16).hex(),
               DAILYPAPERS_DEBUG="0", DAILYPAPERS_LOG_LEVEL="ERROR")
    return env


def prepare(home: Path, env: dict[str, str]) -> None:
    if (home / "dailypapers.sqlite3").exists():
        return
    subprocess.run([*CLI, "migrate", "-v", "0"], env=env, check=True)
    started = time.monotonic()
    subprocess.run([*CLI, "import", *map(str, SOURCES)], env=env, check=True)
    subprocess.run([*CLI, "rank", "--rebuild"], env=env, check=True)
    print(f"imported and scored in {time.monotonic() - started:.0f} s", flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_up(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=5).read()
            return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"server did not answer at {url}")


def sample_targets(env: dict[str, str]) -> dict[str, str]:
    code = ("import django,json;django.setup();from dailypapers.store.models import DailyEntry, PaperStats;"
            "d=DailyEntry.objects.order_by('-date').values_list('date',flat=True).first();"
            "p=PaperStats.objects.order_by('-trending_score').select_related('paper').first().paper.arxiv_id;"
            "print(json.dumps([d.isoformat(), p]))")
    out = subprocess.run([sys.executable, "-c", code], env={**env, "DJANGO_SETTINGS_MODULE": "dailypapers.settings"},
                         check=True, capture_output=True, text=True).stdout
    day, paper = json.loads(out.strip().splitlines()[-1])
    return {"trending": "/trending", "day": f"/papers/date/{day}", "paper": f"/papers/{paper}",
            "api_daily_papers": f"/api/daily_papers?date={day}"}


def run_wrk(url: str, duration: int, connections: int, script: Path, cpus: str | None) -> dict:
    cmd = ["wrk", "-t", "2", "-c", str(connections), "-d", f"{duration}s", "--timeout", "10s", "-s", str(script), url]
    if cpus:
        cmd = ["taskset", "-c", cpus, *cmd]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    line = next(l for l in out.splitlines() if l.startswith("WRKJSON "))
    raw = json.loads(line[len("WRKJSON "):])
    return {"rps": round(raw["requests"] / (raw["duration_us"] / 1e6), 1), "p50_ms": raw["p50_us"] / 1000,
            "p95_ms": raw["p95_us"] / 1000, "p99_ms": raw["p99_us"] / 1000, "errors": raw["errors"],
            "requests": raw["requests"]}


def run_suite(env: dict[str, str], targets: dict[str, str], args: argparse.Namespace, label: str,
              weigh: bool = False) -> dict[str, dict]:
    """Start the server with ``env``, drive every target with wrk, stop it; results by target."""
    total = os.cpu_count() or 1
    server_cpus = ",".join(str(i) for i in range(min(args.cores, total)))
    client_cpus = ",".join(str(i) for i in range(args.cores, total)) or None
    port = free_port()
    server = subprocess.Popen(["taskset", "-c", server_cpus, *CLI, "serve", "--port", str(port),
                               "--workers", str(workers_for(args))], env=env, stdout=subprocess.DEVNULL)
    results: dict[str, dict] = {}
    try:
        base = f"http://127.0.0.1:{port}"
        wait_up(base + "/trending")
        if weigh:
            results["page_weight"] = page_weights(base, targets)
            print(f"{label:9} page weight {json.dumps(results['page_weight'])}", flush=True)
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


_ASSET = re.compile(r'(?:href|src)="(/static/[^"]+\.(?:css|js))"')


def page_weights(base: str, targets: dict[str, str]) -> dict[str, dict]:
    """What a browser's first view of each page transfers: the page and the CSS/JS it names, each
    asked for with Accept-Encoding: gzip as browsers do; bytes on the wire, headers left out."""
    weights = {}
    for name, path in targets.items():
        if name.startswith("api"):
            continue
        html, page_bytes, _ = _fetch(base + path)
        assets = sorted(set(_ASSET.findall(html.decode())))
        asset_bytes = {url: _fetch(base + url)[1] for url in assets}
        weights[name] = {"kib": round((page_bytes + sum(asset_bytes.values())) / 1024, 1),
                         "page_kib": round(page_bytes / 1024, 1), "files": len(assets) + 1,
                         "katex": any("katex" in url for url in assets)}
    return weights


def _fetch(url: str) -> tuple[bytes, int, str]:
    """(decoded body, bytes transferred, Content-Encoding)."""
    request = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"})
    with urllib.request.urlopen(request, timeout=30) as response:
        raw = response.read()
        encoding = response.headers.get("Content-Encoding", "")
    return (gzip.decompress(raw) if encoding == "gzip" else raw), len(raw), encoding


def _median_runs(runs: list[dict]) -> dict:
    """Per endpoint, the run with the median req/s (its own latencies with it); page weights from the first."""
    merged: dict = {"page_weight": runs[0].get("page_weight")} if runs and "page_weight" in runs[0] else {}
    for name in runs[0]:
        if name == "page_weight":
            continue
        ordered = sorted((run[name] for run in runs), key=lambda r: r["rps"])
        merged[name] = {**ordered[len(ordered) // 2], "rps_runs": [run[name]["rps"] for run in runs]}
    return merged


def workers_for(args: argparse.Namespace) -> int:
    return 2 * args.cores + 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=30)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--cores", type=int, default=2, help="CPUs the server may use (taskset)")
    parser.add_argument("--home", type=Path, help="reuse this data dir (imported once, kept)")
    parser.add_argument("--no-page-cache", action="store_true",
                        help="only the run with the anonymous page cache off (DAILYPAPERS_PAGE_CACHE_SECONDS=0)")
    parser.add_argument("--baseline-src", type=Path,
                        help="another checkout's src/ (e.g. main's): its server runs the uncached suite too, "
                             "alternating with ours over the same data, and the JSON gets baseline_uncached and ratios")
    parser.add_argument("--rounds", type=int, default=1, help="uncached runs of each code base (alternating); medians reported")
    parser.add_argument("--only", nargs="+", help="endpoints to drive (default: all)")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: apt-get install wrk")
    home = args.home or Path(tempfile.mkdtemp(prefix="dailypapers-webbench-"))
    env = env_for(home)
    prepare(home, env)
    targets = sample_targets(env)
    if args.only:
        targets = {k: v for k, v in targets.items() if k in args.only}
    report: dict = {"server_cores": args.cores, "workers": workers_for(args), "connections": args.connections,
                    "duration_s": args.duration}
    if not args.no_page_cache:
        report.update(run_suite(env, targets, args, "cached"))
    uncached_env = {**env, "DAILYPAPERS_PAGE_CACHE_SECONDS": "0"}
    ours: list[dict] = []
    theirs: list[dict] = []
    for round_number in range(args.rounds):
        if args.baseline_src:  # the baseline first in odd rounds, second in even ones: load drift hits both
            base_env = {**uncached_env, "PYTHONPATH": str(args.baseline_src.resolve())}
            order = [(theirs, base_env, "baseline"), (ours, uncached_env, "uncached")]
            for bucket, run_env, label in order if round_number % 2 == 0 else order[::-1]:
                bucket.append(run_suite(run_env, targets, args, label, weigh=round_number == 0))
        else:
            ours.append(run_suite(uncached_env, targets, args, "uncached", weigh=round_number == 0))
    report["uncached"] = _median_runs(ours)
    if theirs:
        report["baseline_uncached"] = _median_runs(theirs)
        report["uncached_rps_ratio"] = {name: round(report["uncached"][name]["rps"] / report["baseline_uncached"][name]["rps"], 3)
                                        for name in targets}
    print(json.dumps(report))


if __name__ == "__main__":
    main()

"""Digest sending benchmark: 10,000 subscribers over the real arXiv and Hugging Face data.

    .venv/bin/python bench/digest_bench.py [--subscribers 10000] [--period daily:2026-06-30]
                                           [--baseline REF] [--rounds N]

Builds a fresh DAILYPAPERS_HOME (SQLite; PostgreSQL if --database-url is given), imports the
real data, creates subscribers with varied preferences, and runs the real sender
(`dailypapers digest send`, rate limit off) against an aiosmtpd sink in a separate process.

With --baseline REF (default: 2eb9b10, the last commit whose sender spliced pre-encoded
bytes instead of rendering Django templates and sending through Django's email backend),
the same period is also sent by that commit's code (its src/ taken with `git archive`) on
the same database, the ledger emptied before each send, old and new alternating for
--rounds rounds; `--baseline none` runs only this tree. Prints progress; the last line is
one JSON object: {"subscribers", "digests_per_s", "mails_per_s", "peak_rss_mb",
"sender_cpu_ms_per_mail"} for this tree (medians), plus "baseline_mails_per_s",
"baseline_peak_rss_mb", "baseline_sender_cpu_ms_per_mail" and "ratio" (new / baseline mails
per second) when a baseline ran. The sender's CPU time per mail (user + system, all its
processes) depends far less on other work on the machine than mails per second do.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import socket
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
SOURCES = [DATA / "arxiv-cs-daily-2025-2026" / "papers.jsonl.gz", DATA / "hf-daily-papers" / "papers_flat.jsonl.gz"]
CATEGORIES = ["cs.CV", "cs.CL", "cs.AI", "cs.LG", "cs.RO", "cs.IR", "cs.GR", "cs.HC"]
KEYWORDS = [
    "diffusion",
    "LLM",
    "agent",
    "reinforcement learning",
    "benchmark",
    "3D",
    "segmentation",
    "retrieval",
    "reasoning",
    "video",
    "multimodal",
    "robot",
    "graph",
    "transformer",
]
EXCLUDED = ["survey", "medical", "quantum", "dataset"]


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def cli(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "dailypapers.cli.main", *args],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def preferences(rng: random.Random) -> dict:
    """A mix like real readers: most pick categories, many add keywords, some exclude words."""
    prefs = {"top_n": rng.choice([5, 10, 10, 20]), "frequency": "daily"}
    roll = rng.random()
    if roll < 0.25:
        pass  # trending overall
    elif roll < 0.65:
        prefs["categories"] = " ".join(rng.sample(CATEGORIES, rng.randint(1, 3)))
    else:
        prefs["keywords"] = ", ".join(rng.sample(KEYWORDS, rng.randint(1, 3)))
        if rng.random() < 0.5:
            prefs["categories"] = rng.choice(CATEGORIES[:4])
    if rng.random() < 0.3:
        prefs["excluded_keywords"] = rng.choice(EXCLUDED)
    return prefs


def create_subscribers(count: int) -> None:
    from dailypapers.digest.models import Subscriber

    rng = random.Random(5)
    Subscriber.objects.bulk_create(
        [
            Subscriber(email=f"reader{i}@bench.example", status=Subscriber.ACTIVE, **preferences(rng))
            for i in range(count)
        ],
        batch_size=2000,
    )


def run_sender(env: dict, period: str, workers: int = 1) -> tuple[dict, float, float]:
    """Run `digest send`; return its report, the seconds it took and its peak RSS in MB (all its processes)."""
    started = time.monotonic()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dailypapers.cli.main",
            "digest",
            "send",
            "--period",
            period,
            "--rate",
            "0",
            "--json",
            "--workers",
            str(workers),
        ],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    watched = psutil.Process(proc.pid)
    peak = 0
    while proc.poll() is None:
        try:
            peak = max(
                peak,
                watched.memory_info().rss + sum(child.memory_info().rss for child in watched.children(recursive=True)),
            )
        except psutil.NoSuchProcess:
            if proc.poll() is not None:
                break
        time.sleep(0.05)
    out, err = proc.communicate()
    elapsed = time.monotonic() - started
    if proc.returncode != 0:
        raise SystemExit(f"digest send failed:\n{out}\n{err}")
    return json.loads(out.strip().splitlines()[-1]), elapsed, peak / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument(
        "--period", default="daily:2026-06-30", help="A period inside the data (default: the last full arXiv week)."
    )
    parser.add_argument("--workers", type=int, default=1, help="`digest send --workers N` (default 1).")
    parser.add_argument("--database-url", help="Benchmark on this (empty) database instead of a fresh SQLite file.")
    parser.add_argument(
        "--baseline",
        default="2eb9b10",
        help="Also send with this commit's code, for comparison ('none': only this tree).",
    )
    parser.add_argument(
        "--baseline-path",
        default="",
        help="Extra import path for the baseline's own dependencies (2eb9b10 needs Markdown==3.11.3: "
        "pip install --target DIR Markdown==3.11.3).",
    )
    parser.add_argument("--rounds", type=int, default=2, help="Old/new rounds, alternating; medians reported.")
    parser.add_argument(
        "--reuse",
        type=Path,
        help="A data dir an earlier run of this bench prepared (SQLite): "
        "skip the import; --subscribers of its subscribers take part.",
    )
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT / "src"))  # this tree, not whichever dailypapers the environment installed
    home = args.reuse or Path(tempfile.mkdtemp(prefix="digest-bench-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("DAILYPAPERS_") and k != "DATABASE_URL"}
    env.update(
        {
            "PYTHONPATH": str(ROOT / "src"),
            "DAILYPAPERS_HOME": str(home),
            "DAILYPAPERS_DIGEST_RATE": "0",
            "DAILYPAPERS_LOG_LEVEL": "ERROR",
            "DAILYPAPERS_BASE_URL": "https://papers.example.org",
        }
    )
    if args.database_url:
        env["DATABASE_URL"] = args.database_url
    os.environ.update(env)
    os.environ.pop("DATABASE_URL", None) if not args.database_url else None
    os.environ["DJANGO_SETTINGS_MODULE"] = "dailypapers.settings"

    log(f"data dir {home}; migrating")
    cli(env, "migrate", "-v0")
    import django

    if args.reuse:
        django.setup()
        from dailypapers.digest.models import Subscriber

        ids = list(Subscriber.objects.order_by("pk").values_list("pk", flat=True))
        Subscriber.objects.update(status=Subscriber.UNSUBSCRIBED)
        Subscriber.objects.filter(pk__in=ids[: args.subscribers]).update(status=Subscriber.ACTIVE)
        log(f"reusing {home}: {min(len(ids), args.subscribers)} of its {len(ids)} subscribers take part")
    else:
        log("importing the real arXiv and Hugging Face data ...")
        started = time.monotonic()
        log(
            cli(env, "import", "--no-index", *map(str, SOURCES)).stdout.strip()
            + f" ({time.monotonic() - started:.0f} s)"
        )
        django.setup()
        from django.core.management import get_commands

        if "rank" in get_commands():
            log("computing trending scores (dailypapers rank --rebuild)")
            cli(env, "rank", "--rebuild")
        log(f"creating {args.subscribers} subscribers with varied preferences")
        create_subscribers(args.subscribers)

    trees = {"new": ROOT / "src"}
    if args.baseline != "none":
        trees["baseline"] = baseline_tree(args.baseline, home)
    runs: dict[str, list[dict]] = {name: [] for name in trees}
    for round_number in range(args.rounds):
        for name, tree in trees.items():
            reset_ledger()
            path = os.pathsep.join(filter(None, [str(tree), args.baseline_path if name == "baseline" else ""]))
            run = send_once({**env, "PYTHONPATH": path}, args.period, args.workers)
            log(
                f"round {round_number + 1} {name}: {run['mails_per_s']} mails/s, {run['sender_cpu_ms_per_mail']} ms "
                f"of sender CPU per mail, {run['peak_rss_mb']} MB"
            )
            runs[name].append(run)
    result = {"subscribers": args.subscribers, **median_of(runs["new"])}
    if "baseline" in runs:
        base = median_of(runs["baseline"])
        result.update(
            {
                "baseline": args.baseline,
                "baseline_mails_per_s": base["mails_per_s"],
                "baseline_peak_rss_mb": base["peak_rss_mb"],
                "baseline_sender_cpu_ms_per_mail": base["sender_cpu_ms_per_mail"],
                "ratio": round(result["mails_per_s"] / base["mails_per_s"], 3),
            }
        )
    print(json.dumps(result))


def baseline_tree(ref: str, home: Path) -> Path:
    """The src/ folder of commit ``ref``, unpacked beside the benchmark's data."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref, "src"], check=True, capture_output=True).stdout
    target = home / f"baseline-{ref}"
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(target, filter="data")
    return target / "src"


def reset_ledger() -> None:
    """Forget every delivery (and with them the papers sent), so each run sends the whole period."""
    from dailypapers.digest.models import Delivery, SentPaper

    SentPaper.objects.all().delete()
    Delivery.objects.all().delete()


def send_once(env: dict, period: str, workers: int) -> dict:
    port = free_port()
    sink = subprocess.Popen(
        [sys.executable, str(ROOT / "tests" / "smtp_sink.py"), str(port)], stdout=subprocess.PIPE, text=True
    )
    assert sink.stdout.readline().strip() == "ready"
    env = {
        **env,
        "DAILYPAPERS_EMAIL_HOST": "127.0.0.1",
        "DAILYPAPERS_EMAIL_PORT": str(port),
        "DAILYPAPERS_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
    }
    log(
        f"sending {period} with {env['PYTHONPATH']} to the sink on port {port} (rate limit off, "
        f"{workers} sender process(es)) ..."
    )
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    report, elapsed, peak_mb = run_sender(env, period, workers)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)  # the sender, reaped; the sink is still running
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    sink.terminate()
    received = int(sink.communicate(timeout=30)[0].strip().splitlines()[-1])
    digests = report["sent"] + report["empty"] + report["bounced"] + report["failed"]
    log(f"report: {report}")
    log(
        f"sink received {received} mails; {elapsed:.1f} s; {os.cpu_count()} CPUs; "
        f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    if received != report["sent"]:
        raise SystemExit(f"the sink received {received} mails but the sender reports {report['sent']}")
    return {
        "digests_per_s": round(digests / elapsed, 1),
        "mails_per_s": round(report["sent"] / elapsed, 1),
        "peak_rss_mb": round(peak_mb, 1),
        "sender_cpu_ms_per_mail": round(1000 * cpu / max(report["sent"], 1), 2),
    }


def median_of(runs: list[dict]) -> dict:
    return {key: round(statistics.median(run[key] for run in runs), 1) for key in runs[0]}


if __name__ == "__main__":
    main()

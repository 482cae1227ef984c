"""Soak: mixed hostile and normal traffic against a real `dailypapers serve` on loopback.

    .venv/bin/python bench/soak.py [--seconds 60] [--hostile 4] [--normal 2] [--workers 5] [--papers 5000] [--home DIR]

Builds a fresh DAILYPAPERS_HOME (or reuses --home) holding the first --papers real Hugging Face daily-paper
entries of ../shared/data (papers and the days they were featured), scored and indexed, and starts the production
server (gunicorn, DEBUG off). Then:

1. idle: --normal visitor threads read normal pages (home, trending, a day, a week, a paper,
   a search, the API list) for a quarter of --seconds; their latencies are the baseline;
2. load: the same visitors go on while --hostile threads replay the known attacks without
   pause for the rest of --seconds: offsets up to 2^64 on /search, the API and list pages,
   year-9999 periods, control characters in feed queries, password spraying on /admin/login/
   and /accounts/login, 10,000-character "[" comments (logged in), 20,000-character queries,
   mail-bombing by password reset, and random junk paths and parameters.

The hostile load is bounded (that many closed-loop threads on loopback): it is a test of the
site's own limits, not a flood a reverse proxy would stop. Every request is counted; a 5xx or
a connection that fails or drops (reset, refused, closed without an answer, 30 s timeout) is
a failure. The last line printed is one JSON object:

{"seconds": ..., "requests": ..., "5xx": ..., "dropped_connections": ..., "hostile_requests": ...,
 "normal_requests": ..., "normal_p95_idle_ms": ..., "normal_p95_load_ms": ..., "p95_ratio": ...,
 "statuses": {...}, "floors_met": true}

Floors: 0 5xx, 0 dropped connections, p95_ratio <= 3.
"""

from __future__ import annotations

import argparse
import gzip
import http.client
import itertools
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import quote, urlencode

from _server import free_port

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
FLAT = DATA / "hf-daily-papers" / "papers_flat.jsonl.gz"  # papers with the day each was featured
CLI = [sys.executable, "-m", "dailypapers.cli.main"]
PASSWORD = "soak test passphrase 42"
TIMEOUT = 30.0


def env_for(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DAILYPAPERS_") and k != "DATABASE_URL"}
    env.update(
        DAILYPAPERS_HOME=str(home),
        DAILYPAPERS_SECRET_KEY="soak-" + os.urandom(24).hex(),
        DAILYPAPERS_DEBUG="0",
        DAILYPAPERS_LOG_LEVEL="ERROR",
        # Mail stays in memory (locmem backend): the reset flood must not need an SMTP server.
        DAILYPAPERS_EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
    )
    return env


def prepare(home: Path, env: dict[str, str], papers: int) -> None:
    if (home / "dailypapers.sqlite3").exists():
        return
    home.mkdir(parents=True, exist_ok=True)
    subset = home / "soak-papers.jsonl"  # in the scratch home, never in the project
    with gzip.open(FLAT, "rt") as source, subset.open("w") as out:
        out.writelines(itertools.islice(source, papers))
    started = time.monotonic()
    subprocess.run([*CLI, "migrate", "-v", "0"], env=env, check=True)
    subprocess.run([*CLI, "import", "--format", "hf-flat", str(subset)], env=env, check=True, stdout=subprocess.DEVNULL)
    subprocess.run([*CLI, "rank", "--rebuild"], env=env, check=True, stdout=subprocess.DEVNULL)
    code = (
        "import django;django.setup();from django.contrib.auth import get_user_model as g;"
        f"g().objects.create_user('soak', 'soak@example.org', {PASSWORD!r})"
    )
    subprocess.run(
        [sys.executable, "-c", code], env={**env, "DJANGO_SETTINGS_MODULE": "dailypapers.settings"}, check=True
    )
    print(f"soak: {papers} papers imported, scored and indexed in {time.monotonic() - started:.0f} s", flush=True)


def facts(env: dict[str, str]) -> dict:
    code = (
        "import django,json;django.setup();from dailypapers.store.models import DailyEntry, Paper;"
        "d=DailyEntry.objects.order_by('-date').values_list('date',flat=True).first();"
        "ids=list(Paper.objects.order_by('-id').values_list('arxiv_id',flat=True)[:50]);"
        "words=[w for t in Paper.objects.values_list('title',flat=True)[:200] for w in t.split() if w.isalpha()];"
        "print(json.dumps({'day': d.isoformat(), 'week': '%04d-W%02d' % d.isocalendar()[:2], 'month': d.strftime('%Y-%m'),"
        "'ids': ids, 'words': words[:300]}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={**env, "DJANGO_SETTINGS_MODULE": "dailypapers.settings"},
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


class Recorder:
    """Thread-safe tallies of statuses, failures and normal-page latencies per phase."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.statuses: Counter = Counter()
        self.dropped: Counter = Counter()
        self.latencies: dict[str, list[float]] = {"idle": [], "load": []}
        self.counts: Counter = Counter()
        self.samples_5xx: list[str] = []

    def add(self, kind: str, phase: str, path: str, status: int | None, seconds: float, error: str = "") -> None:
        with self.lock:
            self.counts[kind] += 1
            if status is None:
                self.dropped[error] += 1
                return
            self.statuses[str(status)] += 1
            if status >= 500 and len(self.samples_5xx) < 10:
                self.samples_5xx.append(f"{status} {path[:120]}")
            if kind == "normal" and phase in self.latencies:
                self.latencies[phase].append(seconds)


class Session:
    """One client's cookies and CSRF token over plain http.client (a new connection per request, as
    gunicorn's sync workers close each one)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=TIMEOUT)
        try:
            headers = {"Host": "127.0.0.1"}
            if self.cookies:
                headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            body = None
            if form is not None:
                body = urlencode(form).encode()
                headers["Content-Type"] = "application/x-www-form-urlencoded"
                headers["Referer"] = f"http://127.0.0.1:{self.port}/"
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
            for header in response.headers.get_all("Set-Cookie") or []:
                name, _, rest = header.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
            return response.status, data
        finally:
            conn.close()

    def csrf(self, path: str) -> str:
        _, page = self.request("GET", path)
        match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        return match.group(1).decode() if match else ""


def timed(
    recorder: Recorder, session: Session, kind: str, phase: str, method: str, path: str, form: dict | None = None
) -> None:
    started = time.perf_counter()
    try:
        status, _ = session.request(method, path, form)
    except (OSError, http.client.HTTPException) as exc:
        recorder.add(kind, phase, path, None, time.perf_counter() - started, type(exc).__name__)
        return
    recorder.add(kind, phase, path, status, time.perf_counter() - started)


def normal_paths(f: dict) -> list[str]:
    return [
        "/",
        "/trending",
        f"/papers/date/{f['day']}",
        f"/papers/week/{f['week']}",
        f"/papers/month/{f['month']}",
        f"/papers/{f['ids'][0]}",
        f"/papers/{f['ids'][1]}",
        f"/search?q={quote(' '.join(f['words'][:2]))}",
        f"/api/daily_papers?date={f['day']}",
        "/trending/feed",
    ]


def hostile_requests(
    f: dict, rng: random.Random, member: Session, member_csrf: str, sprayer: Session, spray_csrf: dict[str, str]
):
    """One hostile request at random: (session, method, path, form)."""
    word = rng.choice(f["words"])
    huge = rng.choice(["214748364", str(2**63), str(2**64 + 7), "9" * 30])
    junk = "".join(rng.choice("abcxyz%01-_.~") for _ in range(rng.randint(1, 12)))
    long_query = " ".join(rng.choice(f["words"]) for _ in range(2500))[:20_000]
    choices = [
        (sprayer, "GET", f"/search?q={word}&p={huge}", None),
        (sprayer, "GET", f"/api/papers/search?q={word}&p={huge}&limit=100", None),
        (sprayer, "GET", f"/papers/month/{f['month']}?p={huge}", None),
        (sprayer, "GET", f"/api/daily_papers?month={f['month']}&p={huge}", None),
        (
            sprayer,
            "GET",
            rng.choice(
                [
                    "/papers/week/9999-W52",
                    "/papers/month/9999-12",
                    "/api/daily_papers?month=9999-12",
                    "/papers/date/0001-01-01",
                ]
            ),
            None,
        ),
        (sprayer, "GET", rng.choice(["/search/feed?q=a%01", "/search/feed?q=%08%00&format=atom"]), None),
        (
            sprayer,
            "POST",
            "/admin/login/",
            {
                "csrfmiddlewaretoken": spray_csrf["admin"],
                "username": "soak",
                "password": f"guess{rng.random()}",
                "next": "/admin/",
            },
        ),
        (
            sprayer,
            "POST",
            "/accounts/login",
            {"csrfmiddlewaretoken": spray_csrf["site"], "username": "soak", "password": f"guess{rng.random()}"},
        ),
        (
            sprayer,
            "POST",
            "/accounts/password/reset",
            {"csrfmiddlewaretoken": spray_csrf["reset"], "email": "soak@example.org"},
        ),
        (
            member,
            "POST",
            f"/papers/{rng.choice(f['ids'])}/comments",
            {"csrfmiddlewaretoken": member_csrf, "body": "[" * 10_000},
        ),
        (sprayer, "GET", "/search?" + urlencode({"q": long_query}), None),
        (sprayer, "GET", f"/{junk}?{junk}={junk}", None),
        (sprayer, "GET", f"/trending?category={junk}&p={rng.randint(0, 3)}&{junk}=1", None),
    ]
    return rng.choice(choices)


def run(args: argparse.Namespace) -> dict:
    home = Path(args.home) if args.home else Path(tempfile.mkdtemp(prefix="dailypapers-soak-"))
    env = env_for(home)
    prepare(home, env, args.papers)
    f = facts(env)
    port = free_port()
    server = subprocess.Popen(
        [*CLI, "serve", "--port", str(port), "--workers", str(args.workers)], env=env, stdout=subprocess.DEVNULL
    )
    recorder = Recorder()
    phase = {"name": "warm"}
    stop = threading.Event()
    hostile_on = threading.Event()
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                Session(port).request("GET", "/trending")
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("soak: the server did not start") from None
                time.sleep(0.3)
        paths = normal_paths(f)
        for path in paths * (args.workers * 2):  # warm every worker's page cache and connections
            Session(port).request("GET", path)

        def visitor(seed: int) -> None:
            rng = random.Random(seed)
            session = Session(port)
            while not stop.is_set():
                timed(recorder, session, "normal", phase["name"], "GET", rng.choice(paths))
                time.sleep(args.think)

        def attacker(seed: int) -> None:
            rng = random.Random(seed)
            member, sprayer = Session(port), Session(port)
            token = member.csrf("/accounts/login")
            member.request(
                "POST", "/accounts/login", {"csrfmiddlewaretoken": token, "username": "soak", "password": PASSWORD}
            )
            member_csrf = member.csrf(f"/papers/{f['ids'][0]}")
            spray_csrf = {
                "admin": sprayer.csrf("/admin/login/"),
                "site": sprayer.csrf("/accounts/login"),
                "reset": sprayer.csrf("/accounts/password/reset"),
            }
            hostile_on.wait()
            while not stop.is_set():
                session, method, path, form = hostile_requests(f, rng, member, member_csrf, sprayer, spray_csrf)
                timed(recorder, session, "hostile", "load", method, path, form)

        threads = [threading.Thread(target=visitor, args=(i,), daemon=True) for i in range(args.normal)]
        threads += [threading.Thread(target=attacker, args=(100 + i,), daemon=True) for i in range(args.hostile)]
        idle_seconds = max(5.0, args.seconds / 4)
        phase["name"] = "idle"
        for t in threads:
            t.start()
        time.sleep(idle_seconds)
        phase["name"] = "load"
        hostile_on.set()
        time.sleep(max(5.0, args.seconds - idle_seconds))
        stop.set()
        for t in threads:
            t.join(TIMEOUT + 5)
        alive = server.poll() is None
    finally:
        server.terminate()
        server.wait(timeout=30)
        if not args.home and not args.keep:
            shutil.rmtree(home, ignore_errors=True)

    def p95(values: list[float]) -> float:
        return round(statistics.quantiles(values, n=20)[-1] * 1000, 2) if len(values) >= 20 else float("nan")

    idle, load = p95(recorder.latencies["idle"]), p95(recorder.latencies["load"])
    errors_5xx = sum(n for s, n in recorder.statuses.items() if s.startswith("5"))
    dropped = sum(recorder.dropped.values())
    ratio = round(load / idle, 2) if idle and idle == idle else float("nan")
    report = {
        "seconds": args.seconds,
        "workers": args.workers,
        "hostile_threads": args.hostile,
        "normal_threads": args.normal,
        "papers": args.papers,
        "requests": sum(recorder.counts.values()),
        "5xx": errors_5xx,
        "dropped_connections": dropped,
        "hostile_requests": recorder.counts["hostile"],
        "normal_requests": recorder.counts["normal"],
        "normal_p50_idle_ms": round(statistics.median(recorder.latencies["idle"]) * 1000, 2)
        if recorder.latencies["idle"]
        else None,
        "normal_p50_load_ms": round(statistics.median(recorder.latencies["load"]) * 1000, 2)
        if recorder.latencies["load"]
        else None,
        "normal_p95_idle_ms": idle,
        "normal_p95_load_ms": load,
        "p95_ratio": ratio,
        "statuses": dict(sorted(recorder.statuses.items())),
        "dropped_kinds": dict(recorder.dropped),
        "samples_5xx": recorder.samples_5xx,
        "server_alive_at_end": alive,
        "load_average": round(os.getloadavg()[0], 2),
    }
    report["floors_met"] = bool(errors_5xx == 0 and dropped == 0 and ratio <= 3 and alive)
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60, help="total run: a quarter idle, the rest under load")
    parser.add_argument("--hostile", type=int, default=4, help="hostile client threads (closed loop, no pause)")
    parser.add_argument("--normal", type=int, default=2, help="normal visitor threads")
    parser.add_argument("--think", type=float, default=0.05, help="seconds a visitor waits between pages")
    parser.add_argument("--workers", type=int, default=5, help="gunicorn workers")
    parser.add_argument(
        "--papers", type=int, default=5000, help="real daily-paper entries imported into the scratch home"
    )
    parser.add_argument("--home", help="reuse this DAILYPAPERS_HOME (built on first use)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch home")
    report = run(parser.parse_args())
    print(json.dumps(report))


if __name__ == "__main__":
    main()

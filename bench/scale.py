"""The lab deployment at arXiv scale: N papers (2.9M by default) on PostgreSQL, measured end to end.

    nice -n 10 .venv/bin/python bench/scale.py [--n 2900000] [--clients 200] [--seconds 60] [--root DIR]

Starts `dailypapers cluster` (PostgreSQL primary + streaming hot standby, Redis, two web hosts,
one worker, HAProxy) under --root, then:

1. **Corpus.** Expands the 74,728 real papers of ../shared/data/arxiv-cs-daily-2025-2026 into N
   papers, written as arXiv snapshot lines (the format of the 2.9M-paper Kaggle/Cornell dump):
   - copy 0 is the real papers as they are; copy c >= 1 of paper s gets a new id in a month
     before the real ones (0704.xxxxx .. 2502.xxxxx, about 13k a month like arXiv), a date in
     that month, and 1-3 dated versions (65% / 25% / 10%);
   - its abstract keeps s's first sentence and fills the rest with sentences drawn from two
     other real abstracts of the same primary category, to s's length: term co-occurrence and
     per-category vocabularies stay real, no two documents are copies;
   - its title is s's title with one word taken from a same-category title;
   - words that are rare in the real papers (document frequency <= 3: names, coinages) are
     respelled per copy in half their occurrences (word + a copy suffix), so the vocabulary
     keeps growing with the corpus as real arXiv's does (Heaps' law) instead of stopping at
     the 74,728 papers' words, and the long tail of short posting lists grows with it.
2. **Import** with `dailypapers import` into the primary (papers/s, versions included).
3. **A year of daily entries and votes**: 30 featured papers a day for 365 days, DAILYPAPERS
   users voting (Zipf-skewed towards featured papers), then `dailypapers rank --rebuild`.
4. **Vectors**: synthetic but clustered, stored as real embedding rows (hashed word projections
   of the real texts, each copy its source's vector plus noise: see bench/search_bench.py).
5. **Index**: web host 1 builds its search index from the database (`dailypapers index`: time
   and size); web host 2 gets a copy of it (time), then both follow the change feed.
6. **Search** p50/p95 at N in a process like a web worker (the search service, warm page cache).
7. **Mixed load through the proxy**: --clients closed-loop clients (one request in flight each,
   loopback only) for --seconds: day, trending, paper and search pages, votes, comments,
   logins. Per-page p50/p95, errors (5xx, resets), lost or duplicated votes counted against
   what each client was told, standby replay lag, peak RSS per process, CPU per request.

On one 2-core machine the two web hosts, PostgreSQL twice, Redis, HAProxy, the worker and
the 200 clients share those cores: page latencies under load are queueing on 2 cores, not
what separate machines would give, so the JSON gives each web host's CPU seconds per request
beside them. Prints progress on stderr; the last stdout line is one JSON object.
"""

from __future__ import annotations

import argparse
import gzip
import http.client
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
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import orjson

REPO = Path(__file__).resolve().parents[1]
PAPERS = REPO.parent / "shared" / "data" / "arxiv-cs-daily-2025-2026" / "papers.jsonl.gz"
sys.path.insert(0, str(REPO / "bench"))
from search_bench import DIM, WordProjection  # noqa: E402  (a sibling script, not a package)

from dailypapers.cluster.launch import Cluster  # noqa: E402

WORD = re.compile(r"[A-Za-z][A-Za-z0-9-]+")
PASSWORD = "scale bench password 1"
FLOORS = {"keyword_p95_ms": 15, "hybrid_p95_ms": 60, "web_worker_rss_mb": 1536, "import_papers_per_s": 5000}


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def load_papers() -> list[dict]:
    with gzip.open(PAPERS) as f:
        return [orjson.loads(line) for line in f]


# --- 1. corpus ---------------------------------------------------------------------------


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+", " ".join(text.split())) if s.strip()]


def _suffix(copy: int) -> str:
    letters = "qxzjkvwy"
    out = ""
    while True:
        copy, r = divmod(copy, len(letters))
        out += letters[r]
        if not copy:
            return out


def write_corpus(papers: list[dict], n: int, path: Path, seed: int = 5) -> dict:
    """Write n snapshot lines to path; return how (counts that describe the corpus)."""
    rng = random.Random(seed)
    df: Counter[str] = Counter()
    for p in papers:
        df.update({w.lower() for w in WORD.findall(p.get("title", "") + " " + p.get("abstract", ""))})
    rare = {w for w, c in df.items() if c <= 3}
    by_cat: dict[str, list[int]] = defaultdict(list)
    for i, p in enumerate(papers):
        by_cat[(p.get("categories") or ["cs.AI"])[0]].append(i)
    sentences = [_sentences(p.get("abstract") or "") for p in papers]
    months = [(y, m) for y in range(2007, 2026) for m in range(1, 13) if (2007, 4) <= (y, m) <= (2025, 2)]
    per_month: Counter[tuple[int, int]] = Counter()
    vocabulary: set[str] = set()
    t0 = time.monotonic()

    def respell(text: str, copy: int) -> str:
        def one(match: re.Match) -> str:
            word = match.group(0)
            if word.lower() in rare and rng.random() < 0.5:
                return word + _suffix(copy)
            return word

        return WORD.sub(one, text)

    with open(path, "wb") as out:
        for k in range(n):
            s, copy = k % len(papers), k // len(papers)
            p = papers[s]
            cats = p.get("categories") or ["cs.AI"]
            if copy == 0:
                ident, title, abstract = p["id"], p.get("title") or "", p.get("abstract") or ""
                year, month = int("20" + ident[:2]), int(ident[2:4])
            else:
                year, month = months[rng.randrange(len(months))]
                per_month[(year, month)] += 1
                ident = f"{year % 100:02d}{month:02d}.{per_month[(year, month)]:05d}"
                peers = by_cat[cats[0]]
                own = sentences[s]
                body = own[:1]
                want = sum(len(x) for x in own)
                donors = [sentences[peers[rng.randrange(len(peers))]] for _ in range(2)]
                pool = [x for d in donors for x in d]
                rng.shuffle(pool)
                for x in pool:
                    if sum(len(y) for y in body) >= want:
                        break
                    body.append(x)
                abstract = respell(" ".join(body), copy)
                words = (p.get("title") or "paper").split()
                other = (papers[peers[rng.randrange(len(peers))]].get("title") or "paper").split()
                words[rng.randrange(len(words))] = other[rng.randrange(len(other))]
                title = respell(" ".join(words), copy)
            if k < 200_000:
                vocabulary.update(w.lower() for w in WORD.findall(abstract))
            day = rng.randint(1, 28)
            count = 1 if rng.random() < 0.65 else (2 if rng.random() < 0.7 else 3)
            versions = [
                {
                    "version": f"v{v + 1}",
                    "created": time.strftime(
                        "%a, %d %b %Y %H:%M:%S GMT",
                        time.gmtime(
                            time.mktime((year, month, day, 12, 0, 0, 0, 0, 0)) + v * 86400 * rng.randint(3, 90)
                        ),
                    ),
                }
                for v in range(count)
            ]
            authors = p.get("authors") or ["Anonymous"]
            out.write(
                orjson.dumps(
                    {
                        "id": ident,
                        "submitter": authors[0],
                        "authors": ", ".join(authors),
                        "title": title,
                        "comments": p.get("comment"),
                        "journal-ref": None,
                        "doi": None,
                        "categories": " ".join(cats),
                        "license": None,
                        "abstract": abstract,
                        "versions": versions,
                        "update_date": f"{year}-{month:02d}-{day:02d}",
                        "authors_parsed": [[a.split()[-1], " ".join(a.split()[:-1]), ""] for a in authors],
                    }
                )
                + b"\n"
            )
            if (k + 1) % 500_000 == 0:
                log(f"corpus: {k + 1:,} papers")
    log(f"corpus of {n:,} papers written in {time.monotonic() - t0:.0f} s")
    return {
        "papers": n,
        "real_papers": len(papers),
        "rare_words_respelled": len(rare),
        "distinct_abstract_words_first_200k": len(vocabulary),
    }


# --- helpers -----------------------------------------------------------------------------


def cli(env: dict[str, str], *args: str, timeout: float = 36_000) -> tuple[str, float]:
    t0 = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "dailypapers.cli.main", *args], env=env, capture_output=True, text=True, timeout=timeout
    )
    if result.returncode != 0:
        raise SystemExit(f"dailypapers {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout, time.monotonic() - t0


def disk_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6


def percentiles(samples: list[float]) -> dict:
    if not samples:
        return {"n": 0}
    ms = np.asarray(samples) * 1000
    return {
        "n": len(samples),
        "p50_ms": round(float(np.percentile(ms, 50)), 1),
        "p95_ms": round(float(np.percentile(ms, 95)), 1),
    }


def setup_django(env: dict[str, str]) -> None:
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "dailypapers.settings"
    import django

    django.setup()


# --- 3. entries, users, votes; 4. vectors ---------------------------------------------------


def community(users: int, days: int, per_day: int, votes: int, seed: int = 9) -> dict:
    import datetime as dt

    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import User
    from django.db import connection, transaction
    from django.utils import timezone

    from dailypapers.store.models import DailyEntry, Paper

    rng = random.Random(seed)
    t0 = time.monotonic()
    ids = list(Paper.objects.order_by("-announced", "-id").values_list("id", flat=True)[: days * per_day * 4])
    today = timezone.now().date()
    featured: list[tuple[int, dt.date]] = []
    for d in range(days):
        for pid in rng.sample(ids, per_day):
            featured.append((pid, today - dt.timedelta(days=d)))
    now = timezone.now()
    DailyEntry.objects.bulk_create(
        [
            DailyEntry(paper_id=pid, date=day, source="hf", upvotes=int(rng.paretovariate(1.2)), fetched_at=now)
            for pid, day in featured
        ],
        batch_size=5000,
        ignore_conflicts=True,
    )
    hashed = make_password(PASSWORD)
    User.objects.bulk_create(
        [User(username=f"reader{i}", email=f"reader{i}@example.org", password=hashed) for i in range(users)],
        batch_size=5000,
    )
    user_ids = list(User.objects.filter(username__startswith="reader").values_list("id", flat=True))
    rows, seen = [], set()
    while len(rows) < votes:
        if rng.random() < 0.7:  # most votes go to featured papers, a few to the most featured
            pid, day = featured[min(int(rng.paretovariate(0.8)) - 1, len(featured) - 1)]
        else:
            pid, day = rng.choice(ids), today - dt.timedelta(days=rng.randrange(days))
        uid = rng.choice(user_ids)
        if (uid, pid) in seen:
            continue
        seen.add((uid, pid))
        rows.append((uid, pid, timezone.make_aware(dt.datetime.combine(day, dt.time(rng.randrange(24))))))
    # COPY, not bulk_create: a vote's created_at is auto_now_add, and a year of votes has a year of times.
    with transaction.atomic(), connection.cursor() as cursor:
        with cursor.connection.cursor().copy("COPY web_vote (user_id, paper_id, created_at) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    return {
        "daily_entries": len(featured),
        "users": len(user_ids),
        "votes": len(rows),
        "seconds": round(time.monotonic() - t0, 1),
    }


def store_vectors(papers: list[dict], n: int, seed: int = 3) -> dict:
    """Synthetic clustered vectors as real embedding rows of the current model (no feed rows:
    the first index build reads every stored embedding)."""
    from django.db import connection
    from django.utils import timezone

    from dailypapers.search.embed import EMBEDDING_SPACE
    from dailypapers.search.models import VECTOR_DTYPE
    from dailypapers.store.models import Paper

    t0 = time.monotonic()
    vrng = np.random.default_rng(seed)
    project = WordProjection(vrng)
    used = papers[: min(n, len(papers))]
    centres = np.stack([project(f"{p.get('title') or ''} {p.get('abstract') or ''}") for p in used])
    order = {p["id"]: i for i, p in enumerate(used)}
    rows = Paper.objects.order_by("id").values_list("id", "arxiv_id", "change_seq")
    now = timezone.now()
    done = 0
    with connection.cursor() as cursor:
        raw = cursor.connection
        batch: list[tuple] = []

        def flush() -> None:
            with (
                raw.cursor() as c,
                c.copy(
                    "COPY search_paperembedding (paper_id, model_id, vector, text_hash, seq, created_at) FROM STDIN"
                ) as copy,
            ):
                for row in batch:
                    copy.write_row(row)
            raw.commit()

        for k, (pk, arxiv_id, seq) in enumerate(rows.iterator(chunk_size=20_000)):
            source = order.get(arxiv_id, k % len(used))
            vector = centres[source] + 0.3 * vrng.standard_normal(DIM).astype(np.float32) / np.sqrt(DIM)
            vector /= np.linalg.norm(vector)
            batch.append((pk, EMBEDDING_SPACE, vector.astype(VECTOR_DTYPE).tobytes(), "synthetic", seq, now))
            if len(batch) == 20_000:
                flush()
                done += len(batch)
                batch.clear()
                if done % 500_000 == 0:
                    log(f"vectors: {done:,}")
        flush()
        done += len(batch)
    return {"vectors": done, "seconds": round(time.monotonic() - t0, 1)}


# --- 6. search at N ------------------------------------------------------------------------

SEARCH_SCRIPT = """
import json, os, random, sys, time
import django
os.environ["DJANGO_SETTINGS_MODULE"] = "dailypapers.settings"
django.setup()
from dailypapers.search import service
queries = json.loads(sys.argv[1])
warm, timed = queries[: len(queries) // 2], queries[len(queries) // 2 :]
out = {}
for mode in ("keyword", "hybrid"):
    for q in warm:
        service.search(q, mode=mode, limit=20)
    passes = []
    for _ in range(3):
        samples = []
        for q in timed:
            t0 = time.perf_counter()
            service.search(q, mode=mode, limit=20)
            samples.append(time.perf_counter() - t0)
        passes.append(sorted(samples))
    out[mode] = passes
print(json.dumps(out))
"""


def search_latency(env: dict[str, str], papers: list[dict], queries: int, index: Path) -> dict:
    """Keyword and hybrid p50/p95 through the search service, as a web worker runs it; the
    median of 3 passes over the timed queries, after the other half warmed each mode."""
    for f in sorted(p for p in index.rglob("*") if p.is_file()):  # a serving host's warm page cache
        with open(f, "rb") as fh:
            while fh.read(1 << 24):
                pass
    qrng = random.Random(11)
    texts = [" ".join((p.get("title") or "paper").split()[: qrng.randint(2, 6)]) for p in qrng.sample(papers, queries)]
    out, _ = cli(env, "shell", "-c", SEARCH_SCRIPT.replace("sys.argv[1]", repr(json.dumps(texts))))
    result = {}
    for mode, passes in json.loads(out.strip().splitlines()[-1]).items():
        for stat, q in (("p50_ms", 50), ("p95_ms", 95)):
            result[f"{mode}_{stat}"] = round(statistics.median(float(np.percentile(p, q)) * 1000 for p in passes), 2)
    return result


# --- 7. mixed load -------------------------------------------------------------------------


class Client:
    """One closed-loop client: one keep-alive connection to the proxy, one request at a time."""

    def __init__(self, host: str, port: int, cookies: dict[str, str] | None = None):
        self.host, self.port = host, port
        self.cookies = dict(cookies or {})
        self.conn = http.client.HTTPConnection(host, port, timeout=60)

    def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, str]:
        body = None
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if form is not None:
            from urllib.parse import urlencode

            body = urlencode(form)
            headers.update(
                {
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Referer": f"http://{self.host}:{self.port}/",
                    "Accept": "application/json",
                }
            )
        for attempt in (0, 1):
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                text = response.read().decode(errors="replace")
                break
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # The proxy closed an idle keep-alive connection: reconnect once (nothing was sent
                # to a web host), a second failure is an error.
                self.conn.close()
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
                if attempt:
                    raise
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response.status, text


TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def run_load(
    proxy: str, sessions: list[tuple[int, str]], arxiv_ids: list[str], days: list[str], words: list[str], args
) -> dict:
    host, port = proxy.removeprefix("http://").split(":")
    stop = threading.Event()
    samples: dict[str, list[float]] = defaultdict(list)
    statuses: Counter[tuple[str, int]] = Counter()
    failures: list[str] = []
    # (user id, arxiv id) -> the vote state the client was last told was stored; None: unknown
    told: dict[tuple[int, str], bool | None] = {}
    lock = threading.Lock()
    kinds = ["day", "trending", "paper", "search", "vote", "comment", "login"]
    weights = [25, 15, 25, 20, 10, 2, 3]

    def one(index: int) -> None:
        rng = random.Random(index)
        uid, session = sessions[index % len(sessions)]
        client = Client(host, int(port), {"sessionid": session})
        token = None
        while not stop.is_set():
            kind = rng.choices(kinds, weights)[0]
            paper = arxiv_ids[min(int(rng.paretovariate(1.0)) - 1, len(arxiv_ids) - 1)]
            t0 = time.perf_counter()
            try:
                if kind in ("vote", "comment") and token is None:
                    status, page = client.request("GET", f"/papers/{paper}")
                    found = TOKEN.search(page)
                    token = found[1] if found else None
                    if token is None:
                        continue
                    t0 = time.perf_counter()
                if kind == "day":
                    status, _ = client.request("GET", f"/papers/date/{rng.choice(days)}")
                elif kind == "trending":
                    status, _ = client.request("GET", "/trending")
                elif kind == "paper":
                    status, _ = client.request("GET", f"/papers/{paper}")
                elif kind == "search":
                    q = " ".join(rng.sample(words, rng.randint(1, 3)))
                    status, _ = client.request("GET", f"/search?q={q.replace(' ', '+')}")
                elif kind == "vote":
                    want = rng.random() < 0.7
                    key = (uid, paper)
                    with lock:
                        before = told.get(key, "absent")
                        told[key] = None  # in flight: unknown until answered
                    status, _ = client.request(
                        "POST", f"/papers/{paper}/vote", {"csrfmiddlewaretoken": token, "vote": "1" if want else "0"}
                    )
                    with lock:
                        if status == 200:
                            told[key] = want
                        elif status in (403, 429):  # refused before any write: what was true still is
                            if before == "absent":
                                del told[key]
                            else:
                                told[key] = before
                elif kind == "comment":
                    status, _ = client.request(
                        "POST",
                        f"/papers/{paper}/comments",
                        {"csrfmiddlewaretoken": token, "body": f"Load comment {rng.random():.6f}"},
                    )
                else:  # a login from a fresh anonymous client, with its own form token
                    anon = Client(host, int(port))
                    status, page = anon.request("GET", "/accounts/login")
                    found = TOKEN.search(page)
                    if found:
                        status, _ = anon.request(
                            "POST",
                            "/accounts/login",
                            {
                                "csrfmiddlewaretoken": found[1],
                                "username": f"reader{rng.randrange(50)}",
                                "password": PASSWORD,
                            },
                        )
                    anon.conn.close()
            except Exception as exc:  # noqa: BLE001 - every failure is counted, none stops the load
                with lock:
                    failures.append(f"{kind}: {type(exc).__name__}: {exc}")
                    if kind == "vote":
                        told[(uid, paper)] = None
                client = Client(host, int(port), client.cookies)
                continue
            elapsed = time.perf_counter() - t0
            with lock:
                statuses[(kind, status)] += 1
                if status < 400:
                    samples[kind].append(elapsed)

    threads = [threading.Thread(target=one, args=(i,), daemon=True) for i in range(args.clients)]
    t0 = time.monotonic()
    for thread in threads:
        thread.start()
    time.sleep(args.seconds)
    stop.set()
    for thread in threads:
        thread.join(timeout=120)
    seconds = time.monotonic() - t0
    by_kind = {kind: percentiles(samples[kind]) for kind in kinds}
    answered = sum(statuses.values())
    return {
        "seconds": round(seconds, 1),
        "requests": answered,
        "requests_per_s": round(answered / seconds, 1),
        "pages": by_kind,
        "statuses": {f"{k} {s}": n for (k, s), n in sorted(statuses.items())},
        "errors": sum(n for (_, s), n in statuses.items() if s >= 500) + len(failures),
        "failures": failures[:10],
        "told": told,
    }


def vote_audit(told: dict, user_ids: list[int]) -> dict:
    """Compare the votes stored with what each client was last told."""
    from django.db.models import Count

    from dailypapers.community.models import Vote
    from dailypapers.store.models import PaperStats

    stored = set(Vote.objects.filter(user_id__in=user_ids).values_list("user_id", "paper__arxiv_id"))
    known = {key: state for key, state in told.items() if state is not None}
    lost = sum(1 for key, state in known.items() if state and key not in stored)
    phantom = sum(1 for key, state in known.items() if state is False and key in stored)
    duplicated = Vote.objects.values("user_id", "paper_id").annotate(n=Count("id")).filter(n__gt=1).count()
    touched = {arxiv for _, arxiv in told}
    counts = dict(
        Vote.objects.filter(paper__arxiv_id__in=touched).values_list("paper__arxiv_id").annotate(n=Count("id"))
    )
    mismatched = sum(
        1
        for arxiv, votes in PaperStats.objects.filter(paper__arxiv_id__in=touched).values_list(
            "paper__arxiv_id", "community_votes"
        )
        if votes != counts.get(arxiv, 0)
    )
    return {
        "votes_checked": len(known),
        "lost": lost,
        "undone_but_stored": phantom,
        "duplicated": duplicated,
        "vote_totals_off": mismatched,
    }


class Sampler(threading.Thread):
    """Every 0.5 s: RSS of every process of every component (peak per process), the standby's
    replay lag, and the web hosts' CPU time."""

    def __init__(self, cluster: Cluster, primary_url: str):
        super().__init__(daemon=True)
        self.cluster, self.primary_url = cluster, primary_url
        self.stop = threading.Event()
        self.peak: dict[str, float] = {}
        self.lag_s: list[float] = []
        self.lag_bytes: list[int] = []

    @staticmethod
    def tree(pid: int) -> list[int]:
        children: dict[int, list[int]] = defaultdict(list)
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    ppid = int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1])
                except (OSError, IndexError):
                    continue
                children[ppid].append(int(entry))
        out, todo = [], [pid]
        while todo:
            p = todo.pop()
            out.append(p)
            todo.extend(children.get(p, []))
        return out

    @staticmethod
    def rss_mb(pid: int) -> float:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        except OSError:
            pass
        return 0.0

    def cpu_seconds(self, role: str = "web") -> float:
        total = 0
        for c in self.cluster.components():
            if c.role == role and c.pid:
                for pid in self.tree(c.pid):
                    try:
                        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                        total += int(fields[11]) + int(fields[12])
                    except (OSError, IndexError):
                        pass
        return total / os.sysconf("SC_CLK_TCK")

    def run(self) -> None:
        import psycopg

        with psycopg.connect(self.primary_url, autocommit=True) as conn:
            while not self.stop.is_set():
                for c in self.cluster.components():
                    if not c.pid:
                        continue
                    for i, pid in enumerate(self.tree(c.pid)):
                        label = f"{c.name} {'main' if i == 0 else 'child'}"
                        key = f"{label} {pid}"
                        self.peak[key] = max(self.peak.get(key, 0.0), self.rss_mb(pid))
                row = conn.execute(
                    "SELECT COALESCE(EXTRACT(EPOCH FROM replay_lag), 0),"
                    " pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn) FROM pg_stat_replication"
                ).fetchone()
                if row:
                    self.lag_s.append(float(row[0]))
                    self.lag_bytes.append(int(row[1] or 0))
                time.sleep(0.5)

    def summary(self) -> dict:
        per_component: dict[str, dict] = {}
        for key, mb in self.peak.items():
            name, kind, _ = key.split(" ")
            entry = per_component.setdefault(name, {"main_mb": 0.0, "largest_child_mb": 0.0, "processes": 0})
            entry["processes"] += 1
            field = "main_mb" if kind == "main" else "largest_child_mb"
            entry[field] = round(max(entry[field], mb), 1)
        return {
            "peak_rss": per_component,
            "standby_replay_lag_s": {
                "max": round(max(self.lag_s, default=0.0), 3),
                "p95": round(float(np.percentile(self.lag_s, 95)), 3) if self.lag_s else 0.0,
            },
            "standby_lag_bytes_max": max(self.lag_bytes, default=0),
        }


# --- main ----------------------------------------------------------------------------------


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=2_900_000)
    ap.add_argument("--clients", type=int, default=200)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--queries", type=int, default=200, help="search queries: half warm-up, half timed")
    ap.add_argument("--users", type=int, default=2000)
    ap.add_argument("--votes", type=int, default=200_000)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--web-workers", type=int, default=2, help="gunicorn workers per web host")
    ap.add_argument("--root", type=Path, default=None, help="where the deployment lives (default: a temp folder)")
    ap.add_argument("--keep", action="store_true", help="leave the deployment running and its data in --root")
    args = ap.parse_args()
    root = args.root or Path(tempfile.mkdtemp(prefix="dailypapers-scale-"))
    root.mkdir(parents=True, exist_ok=True)
    os.chmod(root, 0o755)  # PostgreSQL runs as its own user when this runs as root
    result: dict = {"n": args.n, "cores": os.cpu_count(), "clients": args.clients}
    papers = load_papers()
    corpus = root / "corpus.jsonl"
    result["corpus"] = write_corpus(papers, args.n, corpus)

    cluster = Cluster(root / "cluster")
    log("starting the deployment (make cluster)")
    cluster.up(web_workers=args.web_workers, say=log)
    try:
        state = cluster.load()
        worker_env = cluster.env(cluster.root / "worker", state)
        for name in ("web1", "web2"):  # they build their indexes below, from the finished import
            cluster.stop(name)
        log(f"importing {args.n:,} papers into the primary")
        _, seconds = cli(worker_env, "import", str(corpus), "--format", "snapshot", "--no-index")
        result["import"] = {"seconds": round(seconds, 1), "papers_per_s": round(args.n / seconds)}
        log(f"import: {result['import']}")
        corpus.unlink()
        setup_django(worker_env)
        result["community"] = community(args.users, args.days, 30, args.votes)
        _, seconds = cli(worker_env, "rank", "--rebuild")
        result["community"]["rank_rebuild_s"] = round(seconds, 1)
        log(f"entries, users and votes: {result['community']}")
        result["vectors"] = store_vectors(papers, args.n)
        log(f"vectors: {result['vectors']}")

        web1, web2 = cluster.root / "web1", cluster.root / "web2"
        env1 = cluster.env(web1, state)
        shutil.rmtree(web1 / "index", ignore_errors=True)
        _, seconds = cli(env1, "index")
        result["index"] = {"build_s": round(seconds, 1), "size_mb": round(disk_mb(web1 / "index"))}
        t0 = time.monotonic()
        shutil.rmtree(web2 / "index", ignore_errors=True)
        shutil.copytree(web1 / "index", web2 / "index")
        result["index"]["copy_s"] = round(time.monotonic() - t0, 1)
        log(f"index: {result['index']}")
        result["search"] = search_latency(env1, papers, args.queries, web1 / "index")
        log(f"search: {result['search']}")

        for name in ("web1", "web2"):
            cluster.start_web(name)
        cluster._wait_healthy(cluster.load())
        result.update(load_phase(cluster, state, args))
    finally:
        if not args.keep:
            cluster.down(say=log)
            shutil.rmtree(root, ignore_errors=True)
    kw, hy = result["search"]["keyword_p95_ms"], result["search"]["hybrid_p95_ms"]
    web_rss = max((v["largest_child_mb"] for k, v in result["peak_rss"].items() if k.startswith("web")), default=0.0)
    result["floors"] = {
        "errors_0": result["load"]["errors"] == 0,
        "lost_or_duplicated_0": result["votes"]["lost"]
        + result["votes"]["duplicated"]
        + result["votes"]["undone_but_stored"]
        == 0,
        f"keyword_p95_le_{FLOORS['keyword_p95_ms']}ms": kw <= FLOORS["keyword_p95_ms"],
        f"hybrid_p95_le_{FLOORS['hybrid_p95_ms']}ms": hy <= FLOORS["hybrid_p95_ms"],
        "web_worker_rss_le_1.5GB": web_rss <= FLOORS["web_worker_rss_mb"],
        f"import_ge_{FLOORS['import_papers_per_s']}_per_s": result["import"]["papers_per_s"]
        >= FLOORS["import_papers_per_s"],
    }
    print(json.dumps(result))


def load_phase(cluster: Cluster, state: dict, args) -> dict:
    from django.contrib.auth.models import User
    from django.test import Client as DjangoClient

    from dailypapers.store.models import DailyEntry

    users = list(User.objects.filter(username__startswith="reader").order_by("id")[: args.clients])
    sessions = []
    for user in users:  # logged in beforehand: the login limit counts per address, and all come from 127.0.0.1
        client = DjangoClient()
        client.force_login(user)
        sessions.append((user.id, client.cookies["sessionid"].value))
    featured = list(
        DailyEntry.objects.order_by("-date", "-upvotes").values_list("paper__arxiv_id", flat=True).distinct()[:2000]
    )
    days = sorted({d.isoformat() for d in DailyEntry.objects.values_list("date", flat=True).distinct()})
    words = [w for w in WORD.findall(" ".join(p.get("title", "") for p in load_papers()[:3000])) if len(w) > 4]
    sampler = Sampler(cluster, cluster.database_url("pg-primary"))
    sampler.start()
    cpu0 = sampler.cpu_seconds("web")
    log(f"mixed load: {args.clients} clients for {args.seconds:.0f} s through {state['proxy']}")
    load = run_load(state["proxy"], sessions, featured, days, words, args)
    cpu = sampler.cpu_seconds("web") - cpu0
    time.sleep(2)  # the last writes reach the standby
    sampler.stop.set()
    sampler.join(timeout=30)
    told = load.pop("told")
    load["web_cpu_ms_per_request"] = round(1000 * cpu / max(load["requests"], 1), 2)
    load["load_average"] = round(os.getloadavg()[0], 2)
    log(f"load: {load['requests_per_s']} requests/s, {load['errors']} errors")
    return {"load": load, "votes": vote_audit(told, [uid for uid, _ in sessions]), **sampler.summary()}


if __name__ == "__main__":
    main()

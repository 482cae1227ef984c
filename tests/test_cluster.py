"""The one-machine lab deployment (`dailypapers cluster`), tested as a lab runs it: through the
proxy and both web hosts, with one host killed and Redis stopped under load.

It starts its own PostgreSQL primary and standby, Redis, HAProxy, two web hosts and a worker
(Debian's postgresql, redis-server and haproxy; `.ci/run` installs them), so it runs once, in
the PostgreSQL pass of the suite.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from dailypapers.cluster.launch import Cluster, pid_alive

HAVE_TOOLS = all(shutil.which(tool) or Path(f"/usr/sbin/{tool}").exists() for tool in ("haproxy", "redis-server"))
pytestmark = [
    pytest.mark.xdist_group("cluster"),  # one deployment for the module: all its tests on one worker
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="the deployment brings its own PostgreSQL; it runs in the suite's PostgreSQL pass",
    ),
    pytest.mark.skipif(not HAVE_TOOLS and not os.environ.get("CI"), reason="haproxy or redis-server not installed"),
]
PASSWORD = "a long enough password 3"
PAPERS = [f"2605.{n:05d}" for n in range(1, 17)]
SEARCH_BOUND = 15.0  # seconds from an import's end to its paper answering searches on both hosts


def cli(*args: str, env: dict[str, str] | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "dailypapers.cli.main", *args],
        env=env or {k: v for k, v in os.environ.items() if not k.startswith("DAILYPAPERS_") and k != "DATABASE_URL"},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture(scope="module")
def deployment():
    # Not under pytest's temporary folder: pytest keeps that private to us (0700), and PostgreSQL
    # runs as its own user when the suite runs as root.
    root = Path(tempfile.mkdtemp(prefix="dailypapers-cluster-"))
    os.chmod(root, 0o755)
    up = cli("cluster", "up", "--root", str(root), "--web-workers", "1")
    assert up.returncode == 0, up.stdout + up.stderr
    cluster = Cluster(root)
    state = cluster.load()
    env = cluster.env(root / "tests", state)
    (root / "tests").mkdir()
    papers = root / "papers.jsonl"
    papers.write_text(
        "".join(
            json.dumps(
                {"id": pid, "title": f"Cluster paper {pid}", "authors": ["Ada Lovelace"], "categories": ["cs.LG"],
                 "comment": None, "abstract": "Streaming replication under load.", "listing_date": "2026-05-12"}
            ) + "\n"
            for pid in PAPERS
        )
    )  # fmt: skip
    assert cli("import", str(papers), env=env).returncode == 0
    for name in ("ana", "ben", "cy"):
        made = cli(
            "createsuperuser", "--noinput", "--username", name, "--email", f"{name}@example.org",
            env={**env, "DJANGO_SUPERUSER_PASSWORD": PASSWORD},
        )  # fmt: skip
        assert made.returncode == 0, made.stderr
    try:
        yield cluster, state, env
    finally:
        down = cli("cluster", "down", "--root", str(root))
        assert down.returncode == 0, down.stderr
        left = [c for c in json.loads((root / "state.json").read_text())["components"]]
        assert left == []
        shutil.rmtree(root, ignore_errors=True)


def web_url(state: dict, name: str) -> str:
    return f"http://127.0.0.1:{state['ports'][name]}"


class Browser:
    def __init__(self) -> None:
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def request(self, url: str, data: dict | None = None, headers: dict | None = None) -> tuple[int, str, dict]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(url, data=body, headers=headers or {})
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.read().decode(), dict(response.headers)
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode(errors="replace"), dict(exc.headers)

    def csrf(self, base: str) -> tuple[int, str | None]:
        """The login page's status and form token (None when it came without a form: a 503)."""
        status, page, _ = self.request(f"{base}/accounts/login")
        found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        return status, found[1] if found else None

    def login(self, base: str, name: str, password: str = PASSWORD) -> int:
        page_status, token = self.csrf(base)
        if token is None:
            return page_status
        status, _, _ = self.request(
            f"{base}/accounts/login",
            {"csrfmiddlewaretoken": token, "username": name, "password": password},
            {"Referer": f"{base}/"},
        )
        return status

    def vote(self, base: str, paper: str) -> int:
        page_status, token = self.csrf(base)
        if token is None:
            return page_status
        status, _, _ = self.request(
            f"{base}/papers/{paper}/vote",
            {"csrfmiddlewaretoken": token, "vote": "1"},
            {"Referer": f"{base}/", "Accept": "application/json"},
        )
        return status


def retry_after(headers: dict) -> str | None:
    """The Retry-After header, whatever case the proxy gave its name (HAProxy sends lower case)."""
    return next((value for name, value in headers.items() if name.lower() == "retry-after"), None)


def test_status_names_every_part_with_its_role_and_pid(deployment):
    cluster, state, _ = deployment
    report = json.loads(cli("cluster", "status", "--json", "--root", str(cluster.root)).stdout)
    assert report["proxy"] == state["proxy"]
    roles = sorted(c["role"] for c in report["components"])
    assert roles == sorted(["proxy", "web", "web", "worker", "postgres-primary", "postgres-standby", "redis"])
    assert all(c["healthy"] and pid_alive(c["pid"]) for c in report["components"]), report
    standby = state["ports"]["standby"]
    recovering = subprocess.run(
        ["psql", "-h", "127.0.0.1", "-p", str(standby), "-U", "postgres", "-d", "dailypapers", "-tAc",
         "SELECT pg_is_in_recovery()"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    assert recovering == "t", "the standby is a streaming hot standby"


def test_a_vote_through_host_a_is_visible_through_host_b(deployment):
    _, state, _ = deployment
    a, b = web_url(state, "web1"), web_url(state, "web2")
    browser = Browser()
    assert browser.login(a, "ana") == 200
    assert browser.vote(a, PAPERS[0]) == 200
    status, page, _ = browser.request(f"{b}/papers/{PAPERS[0]}")
    assert status == 200
    assert re.search(r'community-votes">\s*1 vote\b', page), "host B shows the vote cast a moment ago through host A"


def test_the_login_limit_holds_across_both_hosts(deployment):
    _, state, _ = deployment
    hosts = [web_url(state, "web1"), web_url(state, "web2")]
    answers = []
    for attempt in range(14):
        browser = Browser()
        answers.append(browser.login(hosts[attempt % 2], "cy", password="wrong password"))
    # DAILYPAPERS_LOGIN_RATE is 10 per 5 minutes per account (and per client address, which the
    # earlier tests' logins share): at most 10 guesses are checked, whichever host takes them.
    assert set(answers) <= {200, 429}, answers  # 200: the login page again, with its error
    assert 5 <= answers.count(200) <= 10, answers
    first_refusal = answers.index(429)
    assert set(answers[first_refusal:]) == {429}, f"both hosts refuse once the shared count is spent: {answers}"


def test_an_import_through_the_worker_is_searchable_on_both_hosts_within_the_bound(deployment):
    cluster, state, env = deployment
    papers = cluster.root / "late.jsonl"
    papers.write_text(
        json.dumps(
            {"id": "2605.09901", "title": "Quokkas on synchronous replicas", "authors": ["Ada Lovelace"],
             "categories": ["cs.DC"], "comment": None, "abstract": "Replication lag under quokka load.",
             "listing_date": "2026-05-12"}
        ) + "\n"
    )  # fmt: skip
    # The worker's side, with the deployment's settings; --no-index: done once the rows are committed.
    imported = cli("import", str(papers), "--no-index", env=env)
    assert imported.returncode == 0, imported.stderr
    done = time.monotonic()
    seen: dict[str, float] = {}
    poll = 0
    while len(seen) < 2 and time.monotonic() - done < 60:
        for name in ("web1", "web2"):
            if name in seen:
                continue
            poll += 1  # a query string no cache has seen: the answer comes from the host's index
            status, body, _ = Browser().request(f"{web_url(state, name)}/api/papers/search?q=quokkas&n={poll}")
            if status == 200 and "2605.09901" in body:
                seen[name] = time.monotonic() - done
        time.sleep(0.05)
    assert sorted(seen) == ["web1", "web2"], f"searchable on both hosts: {seen}"
    print(f"import to searchable: {json.dumps({k: round(v, 2) for k, v in seen.items()})}")
    assert max(seen.values()) <= SEARCH_BOUND, seen


def hammer(base: str, stop: threading.Event, statuses: list[int], paths: list[str]) -> None:
    browser = Browser()
    i = 0
    while not stop.is_set():
        status, _, _ = browser.request(base + paths[i % len(paths)])
        statuses.append(status)
        i += 1


def test_redis_stopped_mid_load_gives_no_error(deployment):
    cluster, state, _ = deployment
    proxy = state["proxy"]
    statuses: list[int] = []
    stop = threading.Event()
    paths = ["/", "/trending", f"/papers/{PAPERS[1]}", "/api/daily_papers", "/search?q=replication"]
    threads = [threading.Thread(target=hammer, args=(proxy, stop, statuses, paths)) for _ in range(3)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(3)
        redis = next(c for c in cluster.components() if c.role == "redis")
        os.kill(redis.pid, signal.SIGTERM)
        time.sleep(1)
        browser = Browser()
        assert browser.login(proxy, "ben") == 200, "sessions and logins work without Redis"
        assert browser.vote(proxy, PAPERS[2]) == 200
        time.sleep(4)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
        cluster.start_redis()
    assert statuses and not [s for s in statuses if s >= 500], sorted(set(statuses))


def test_a_primary_restart_mid_load_gives_clean_503s_and_loses_no_acknowledged_write(deployment):
    cluster, state, _ = deployment
    proxy = state["proxy"]
    voters = []
    for name in ("ana", "ben", "cy"):
        browser = Browser()
        assert browser.login(proxy, name) == 200
        voters.append((name, browser))
    acknowledged: set[tuple[str, str]] = set()
    answers: list[tuple[int, str | None]] = []  # (status, Retry-After) of every request under load
    stop = threading.Event()

    def vote_all(name: str, browser: Browser) -> None:
        todo = list(PAPERS[8:])
        while todo and not stop.is_set():
            token_status, page, headers = browser.request(f"{proxy}/accounts/login")
            answers.append((token_status, retry_after(headers)))
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
            if token_status != 200 or not token:
                time.sleep(0.2)
                continue
            status, _, headers = browser.request(
                f"{proxy}/papers/{todo[0]}/vote",
                {"csrfmiddlewaretoken": token[1], "vote": "1"},
                {"Referer": f"{proxy}/", "Accept": "application/json"},
            )
            answers.append((status, retry_after(headers)))
            if status == 200:
                acknowledged.add((name, todo.pop(0)))
            time.sleep(0.2)

    def read(browser: Browser) -> None:
        paths = ["/", "/trending", f"/papers/{PAPERS[9]}", "/api/daily_papers"]
        i = 0
        while not stop.is_set():
            status, _, headers = browser.request(proxy + paths[i % len(paths)])
            answers.append((status, retry_after(headers)))
            i += 1

    threads = [threading.Thread(target=vote_all, args=voter) for voter in voters]
    threads += [threading.Thread(target=read, args=(Browser(),)) for _ in range(2)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(1)
        old_pid = next(c.pid for c in cluster.components() if c.name == "pg-primary")
        restarted = cluster.restart_postgres("pg-primary")
        assert restarted.pid != old_pid and pid_alive(restarted.pid)
        back = time.monotonic()
        for thread in threads[:3]:
            thread.join(timeout=120)  # the voters finish once the primary takes writes again
        recovered = time.monotonic() - back
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
    errors = sorted({status for status, _ in answers if status >= 500 and status != 503})
    assert not errors, f"no 500s while the primary restarts: {errors}"
    unavailable = [retry for status, retry in answers if status == 503]
    assert all(retry for retry in unavailable), f"every 503 says when to retry: {unavailable}"
    assert acknowledged == {(name, paper) for name, _ in voters for paper in PAPERS[8:]}, "the site recovered"
    print(f"primary restart: {len(unavailable)} 503s of {len(answers)} requests; writes back {recovered:.1f} s later")
    stored = subprocess.run(
        ["psql", "-h", "127.0.0.1", "-p", str(state["ports"]["primary"]), "-U", "postgres", "-d", "dailypapers",
         "-tAc", "SELECT u.username, p.arxiv_id FROM web_vote v JOIN auth_user u ON u.id = v.user_id "
                 "JOIN store_paper p ON p.id = v.paper_id"],
        capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    assert acknowledged <= {tuple(line.split("|")) for line in stored}, "no acknowledged vote lost"

    def receiver() -> str:
        return subprocess.run(
            ["psql", "-h", "127.0.0.1", "-p", str(state["ports"]["standby"]), "-U", "postgres", "-d", "dailypapers",
             "-tAc", "SELECT status FROM pg_stat_wal_receiver"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip

    deadline = time.monotonic() + 60
    while receiver() != "streaming" and time.monotonic() < deadline:
        time.sleep(0.5)
    assert receiver() == "streaming", "the standby streams from the restarted primary again, by itself"


def test_kill_minus_9_of_a_web_host_loses_no_acknowledged_write(deployment):
    cluster, state, env = deployment
    proxy = state["proxy"]
    voters = []
    for name in ("ana", "ben", "cy"):
        browser = Browser()
        assert browser.login(proxy, name) == 200
        voters.append((name, browser))
    acknowledged: set[tuple[str, str]] = set()
    reads: list[int] = []
    stop = threading.Event()

    def vote_all(name: str, browser: Browser) -> None:
        for paper in PAPERS[3:8]:
            if browser.vote(proxy, paper) == 200:
                acknowledged.add((name, paper))
            time.sleep(0.3)

    readers = [threading.Thread(target=hammer, args=(proxy, stop, reads, ["/trending", "/"])) for _ in range(2)]
    writers = [threading.Thread(target=vote_all, args=voter) for voter in voters]
    for thread in readers + writers:
        thread.start()
    time.sleep(0.5)
    web1 = next(c for c in cluster.components() if c.name == "web1")
    os.killpg(web1.pid, signal.SIGKILL)  # the host's gunicorn master and its workers, as a power cut would
    for thread in writers:
        thread.join(timeout=120)
    time.sleep(3)  # the proxy's health check (every second, down after two misses) takes the host out
    after: list[int] = []
    for _ in range(10):
        status, _, _ = Browser().request(f"{proxy}/trending")
        after.append(status)
    stop.set()
    for thread in readers:
        thread.join(timeout=60)
    assert after == [200] * 10, f"the proxy routes around the dead host: {after}"
    stored = subprocess.run(
        ["psql", "-h", "127.0.0.1", "-p", str(state["ports"]["primary"]), "-U", "postgres", "-d", "dailypapers",
         "-tAc", "SELECT u.username, p.arxiv_id FROM web_vote v JOIN auth_user u ON u.id = v.user_id "
                 "JOIN store_paper p ON p.id = v.paper_id"],
        capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    stored_pairs = {tuple(line.split("|")) for line in stored}
    assert acknowledged, "some votes went through"
    assert acknowledged <= stored_pairs, f"acknowledged but lost: {acknowledged - stored_pairs}"

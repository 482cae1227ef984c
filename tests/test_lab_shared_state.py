"""Shared state for several web hosts: Redis for the cache (failing soft), a standby for reads.

Real servers only: `dailypapers serve` in a subprocess, the Redis on 127.0.0.1:6379 (or a port
nothing listens on, for Redis being down), and two real databases standing in for a primary and
its standby (SQLite files, or PostgreSQL databases when the suite runs on PostgreSQL). The two
databases hold different papers on purpose, so every answer shows which one served it.
"""

from __future__ import annotations

import http.cookiejar
import json
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager

import pytest

from conftest import dailypapers_env, run_cli

REDIS_PORT = 6379


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def redis_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", REDIS_PORT), timeout=1) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@contextmanager
def serving(env: dict[str, str]):
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "dailypapers.cli.main", "serve", "--port", str(port)],
        env={**env, "DAILYPAPERS_SERVE_WORKERS": "1", "DAILYPAPERS_ACCESS_LOG": "off"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                urllib.request.urlopen(f"{base}/api/daily_papers", timeout=5).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"server did not start: {proc.stderr.read().decode()}") from None
                time.sleep(0.3)
        yield base, proc
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def one_paper_file(tmp_path, arxiv_id: str, title: str):
    record = {
        "id": arxiv_id,
        "title": title,
        "authors": ["Ada Lovelace"],
        "categories": ["cs.LG"],
        "comment": None,
        "abstract": "A paper that exists in one of the two databases only.",
        "listing_date": "2026-05-12",
    }
    path = tmp_path / f"{arxiv_id}.jsonl"
    path.write_text(json.dumps(record) + "\n")
    return path


def log_in(opener, base: str, name: str, password: str) -> int:
    """The login form as a browser posts it (CSRF token from the page); the final status after redirects."""
    page = opener.open(f"{base}/accounts/login", timeout=20).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]
    form = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "username": name, "password": password}).encode()
    request = urllib.request.Request(f"{base}/accounts/login", data=form, headers={"Referer": f"{base}/"})
    with opener.open(request, timeout=20) as response:
        return response.status


def status(opener, url: str) -> int:
    try:
        with opener.open(url, timeout=20) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_reads_go_to_the_standby_and_a_writer_reads_the_primary(tmp_path, scratch_databases):
    primary, standby = scratch_databases("primary"), scratch_databases("standby")
    home = tmp_path / "home"
    for url in (primary, standby):
        run_cli("migrate", "--verbosity", "0", env=dailypapers_env(home, DATABASE_URL=url))
    # The standby holds a paper the primary lacks: whoever answers with it read the standby.
    run_cli(
        "import",
        str(one_paper_file(tmp_path, "2605.00001", "Only on the standby")),
        env=dailypapers_env(home, DATABASE_URL=standby),
    )
    run_cli(
        "createsuperuser", "--noinput", "--username", "ana", "--email", "ana@example.org",
        env=dailypapers_env(home, DATABASE_URL=primary, DJANGO_SUPERUSER_PASSWORD="a long enough password 1"),
    )  # fmt: skip
    env = dailypapers_env(home, DATABASE_URL=primary, DATABASE_REPLICA_URL=standby, DAILYPAPERS_SECURE_COOKIES="0")

    # Commands read the primary, whatever the standby holds.
    stats = json.loads(run_cli("stats", "--json", env=env).stdout)
    assert stats["papers"] == 0

    with serving(env) as (base, _):
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        assert status(opener, f"{base}/papers/2605.00001") == 200, "a GET is served by the standby"

        # A write (here the login POST) pins this browser's reads to the primary for a few seconds.
        assert log_in(opener, base, "ana", "a long enough password 1") == 200
        assert any(cookie.name == "dp_primary" for cookie in jar)
        assert any(cookie.name == "sessionid" for cookie in jar), "the login (on the primary) succeeded"
        assert status(opener, f"{base}/papers/2605.00001") == 404, "right after a write, reads see the primary"
        account = opener.open(f"{base}/account", timeout=20).read().decode()
        assert "ana" in account, "the session written a moment ago is read back"

        # Another browser, which wrote nothing, still reads the standby.
        assert status(urllib.request.build_opener(), f"{base}/papers/2605.00001") == 200


@pytest.mark.skipif(not redis_answers(), reason="no Redis on 127.0.0.1:6379")
def test_the_page_cache_and_sessions_live_in_redis(tmp_path):
    import redis

    client = redis.Redis(host="127.0.0.1", port=REDIS_PORT, db=11)
    client.flushdb()
    home = tmp_path / "home"
    env = dailypapers_env(
        home, DAILYPAPERS_CACHE_URL=f"redis://127.0.0.1:{REDIS_PORT}/11", DAILYPAPERS_PAGE_CACHE_SECONDS="60"
    )
    run_cli("migrate", "--verbosity", "0", env=env)
    with serving(env) as (base, _):
        with urllib.request.urlopen(f"{base}/trending", timeout=20) as response:
            assert response.status == 200
        keys = [key.decode() for key in client.keys("*")]
    assert any(key.startswith("dp-pages:") for key in keys), keys
    client.flushdb()


def test_redis_down_costs_speed_not_an_error_page(tmp_path):
    dead = free_port()  # nothing listens there
    home = tmp_path / "home"
    env = dailypapers_env(home, DAILYPAPERS_CACHE_URL=f"redis://127.0.0.1:{dead}/0", DAILYPAPERS_SECURE_COOKIES="0")
    run_cli("migrate", "--verbosity", "0", env=env)
    run_cli(
        "createsuperuser", "--noinput", "--username", "ben", "--email", "ben@example.org",
        env={**env, "DJANGO_SUPERUSER_PASSWORD": "a long enough password 2"},
    )  # fmt: skip
    with serving(env) as (base, proc):
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        started = time.monotonic()
        for path in ("/", "/trending", "/search?q=diffusion", "/api/daily_papers", "/accounts/login"):
            assert status(opener, base + path) == 200, path
        assert log_in(opener, base, "ben", "a long enough password 2") == 200
        assert "ben" in opener.open(f"{base}/account", timeout=20).read().decode(), "sessions work from the database"
        elapsed = time.monotonic() - started
    assert elapsed < 20, f"pages waited on the dead Redis ({elapsed:.1f} s for 8 requests)"


def test_the_fail_soft_cache_pauses_after_a_failure():
    from dailypapers.cache import FailSoftRedisCache

    cache = FailSoftRedisCache(f"redis://127.0.0.1:{free_port()}/0", {})
    started = time.monotonic()
    assert cache.get("k", "missing") == "missing"
    cache.set("k", "v")
    assert cache.get_many(["a", "b"]) == {} and cache.add("k", "v") is False
    assert not cache.available, "paused after the first failure"
    assert time.monotonic() - started < 2
    import redis

    with pytest.raises(redis.exceptions.ConnectionError):
        cache.incr("counter")  # a counter cannot silently read as zero


@pytest.mark.skipif(not redis_answers(), reason="no Redis on 127.0.0.1:6379")
@pytest.mark.django_db
def test_rate_limits_count_in_redis_and_hold_while_redis_is_away(settings):
    import redis

    from dailypapers import ratelimit
    from dailypapers.ratelimit.stores import RedisStore

    client = redis.Redis(host="127.0.0.1", port=REDIS_PORT, db=12)
    client.flushdb()
    settings.RATELIMIT_STORE = "dailypapers.ratelimit.stores.RedisStore"
    settings.RATELIMIT_REDIS_URL = f"redis://127.0.0.1:{REDIS_PORT}/12"
    for _ in range(3):
        ratelimit.hit("login", "victim", "3/300")
    with pytest.raises(ratelimit.RateLimited) as refused:
        ratelimit.hit("login", "victim", "3/300")
    assert 0 < refused.value.retry_after <= 301
    assert client.keys("dp-rate:*"), "the counts live in Redis"

    # Redis away: the limit still holds, counted in the database table instead.
    settings.RATELIMIT_REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"
    away = RedisStore()
    for _ in range(3):
        away.count("slot-while-away", 300, time.time())
    _, count = away.count("slot-while-away", 300, time.time())
    assert count == 4, "counted in the database while Redis is unreachable"
    client.flushdb()

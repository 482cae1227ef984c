"""The real `dailypapers serve` under slow clients and without its database.

- Ten clients that send half a request and wait hold no worker: a normal request still answers
  at once (sync workers were taken by three such clients, and a page then waited 25 s).
- While the database refuses connections (a restart), pages answer 503 with Retry-After, and the
  API answers it in JSON.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import ExitStack, contextmanager

from conftest import dailypapers_env, run_cli


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serving(env: dict[str, str], ready_path: str = "/static/web/app.css"):
    """A `dailypapers serve` subprocess on a free loopback port, once it answers; its port."""
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "dailypapers.cli.main", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}{ready_path}", timeout=5):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"serve did not start: {proc.stderr.read().decode()[-3000:]}") from None
                time.sleep(0.3)
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def _half_request(port: int, n: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    if n % 2:  # headers never finished
        sock.sendall(b"GET /trending HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
    else:  # headers done, body promised and never sent
        sock.sendall(b"POST /accounts/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100000\r\n\r\nusername=a")
    return sock


def test_slow_clients_do_not_hold_the_workers(tmp_path):
    env = dailypapers_env(tmp_path, DAILYPAPERS_SERVE_WORKERS="2")
    run_cli("migrate", "--verbosity", "0", env=env)
    with serving(env) as port, ExitStack() as held:
        for _ in range(4):  # warm: templates compiled, queries prepared in both workers
            urllib.request.urlopen(f"http://127.0.0.1:{port}/trending", timeout=30).close()
        for n in range(10):
            held.enter_context(_half_request(port, n))
        time.sleep(0.5)  # they are all read as far as they go
        timings = []
        for _ in range(5):
            started = time.monotonic()
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/trending", timeout=30) as response:
                assert response.status == 200 and b"Trending" in response.read()
            timings.append(time.monotonic() - started)
    timings.sort()
    # The median, on a shared test machine; held workers made each request wait 25 s or more.
    assert timings[2] < 2.0, f"a normal request beside 10 slow clients took {timings[2]:.2f} s (median)"
    assert timings[-1] < 10.0, f"one took {timings[-1]:.2f} s"


def test_a_database_that_refuses_connections_gives_503_with_retry_after(tmp_path):
    # Nothing listens there: as while PostgreSQL restarts.
    env = dailypapers_env(
        tmp_path, DAILYPAPERS_SERVE_WORKERS="1", DATABASE_URL=f"postgres://postgres@127.0.0.1:{_free_port()}/gone"
    )
    with serving(env) as port:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/trending", timeout=30)
            raise AssertionError("the page answered without its database")
        except urllib.error.HTTPError as page:
            assert page.code == 503 and page.headers["Retry-After"].isdigit()
            assert page.headers["Content-Type"].startswith("text/html")
            assert b"try again in a few seconds" in page.read()
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/daily_papers?limit=1", timeout=30)
            raise AssertionError("the API answered without its database")
        except urllib.error.HTTPError as api:
            assert api.code == 503 and api.headers["Retry-After"].isdigit()
            assert api.headers["Content-Type"].startswith("application/json")
            assert "try again" in json.loads(api.read())["error"]

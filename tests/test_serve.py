"""`dailypapers serve` refuses to run in production mode with a default or implicit secret key, and serves otherwise."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from conftest import dailypapers_env, run_cli
from dailypapers.cli.management.commands.serve import secret_key_problem

GOOD_KEY = "k" * 20 + "Z9x_-" * 6


@pytest.mark.parametrize(
    "key,from_env,host,refused",
    [
        ("django-insecure-abc" + "x" * 40, True, "127.0.0.1", True),
        ("changeme" + "x" * 40, True, "127.0.0.1", True),
        ("short", True, "127.0.0.1", True),
        (GOOD_KEY, False, "0.0.0.0", True),
        (GOOD_KEY, False, "127.0.0.1", False),
        (GOOD_KEY, True, "0.0.0.0", False),
    ],
)
def test_secret_key_rules(key, from_env, host, refused):
    assert (secret_key_problem(key, from_env, host) is not None) is refused


def test_serve_refuses_a_default_key(tmp_path):
    env = dailypapers_env(tmp_path, DAILYPAPERS_SECRET_KEY="changeme")
    result = run_cli("serve", "--port", "1", env=env, check=False, timeout=60)
    assert result.returncode != 0
    assert "refusing to serve" in result.stderr and "Traceback" not in result.stderr


def test_serve_refuses_public_bind_without_explicit_key(tmp_path):
    result = run_cli(
        "serve", "--host", "0.0.0.0", "--port", "1", env=dailypapers_env(tmp_path), check=False, timeout=60
    )
    assert result.returncode != 0 and "reachable from other machines" in result.stderr


def test_serve_answers_on_loopback_with_debug_off(tmp_path):
    env = dailypapers_env(tmp_path, DAILYPAPERS_SERVE_WORKERS="1")
    run_cli("migrate", "--verbosity", "0", env=env)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "dailypapers.cli.main", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/trending", timeout=5) as response:
                    body = response.read().decode()
                    headers = response.headers
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise AssertionError(
                        f"server did not answer: {proc.stderr.read().decode() if proc.poll() is not None else ''}"
                    ) from None
                time.sleep(0.3)
        assert "Trending" in body
        assert headers["X-Frame-Options"] == "DENY" and "Content-Security-Policy" in headers
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/static/web/app.css", timeout=5) as response:
            assert response.status == 200, "static files are served"
    finally:
        proc.terminate()
        proc.wait(timeout=20)

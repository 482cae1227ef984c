"""A normal page beside slow clients, against the real `dailypapers serve` on loopback.

    .venv/bin/python bench/slow_clients.py [--slow 10] [--workers 2] [--requests 200]

Fresh SQLite home, migrated, no papers. Measures /trending sequentially (p50, p95, requests/s),
then with --slow clients holding half-sent requests (half stop inside the headers, half promise
a body and never send it). Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from _server import free_port, wait_for


def timings(url: str, count: int) -> list[float]:
    taken = []
    for _ in range(count):
        started = time.monotonic()
        with urllib.request.urlopen(url, timeout=60) as response:
            response.read()
        taken.append(time.monotonic() - started)
    return sorted(taken)


def summary(taken: list[float]) -> dict:
    return {
        "p50_ms": round(taken[len(taken) // 2] * 1000, 1),
        "p95_ms": round(taken[int(len(taken) * 0.95)] * 1000, 1),
        "max_ms": round(taken[-1] * 1000, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slow", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="slow-clients-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("DAILYPAPERS_") and k != "DATABASE_URL"}
    env.update(DAILYPAPERS_HOME=str(home), DAILYPAPERS_SERVE_WORKERS=str(args.workers), DAILYPAPERS_ACCESS_LOG="off")
    cli = [sys.executable, "-m", "dailypapers.cli.main"]
    subprocess.run([*cli, "migrate", "--verbosity", "0"], env=env, check=True)
    port = free_port()
    server = subprocess.Popen([*cli, "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/trending"
    held: list[socket.socket] = []
    try:
        wait_for(url, 120)
        timings(url, 20)  # warm
        started = time.monotonic()
        idle = timings(url, args.requests)
        rate = args.requests / (time.monotonic() - started)
        for n in range(args.slow):
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
            if n % 2:
                sock.sendall(b"GET /trending HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            else:
                sock.sendall(b"POST /accounts/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100000\r\n\r\nu=")
            held.append(sock)
        time.sleep(0.5)
        beside = timings(url, min(args.requests, 50))
    finally:
        for sock in held:
            sock.close()
        server.terminate()
        server.wait(timeout=30)
    result = {
        "workers": args.workers,
        "slow_clients": args.slow,
        "idle": {**summary(idle), "requests_per_s": round(rate, 1)},
        "beside_slow_clients": summary(beside),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()

"""`dailypapers cluster up|down|status`: the one-machine lab deployment (no Django needed)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from dailypapers.cluster.launch import Cluster, ClusterError


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="dailypapers cluster",
        description="A PostgreSQL primary and hot standby, Redis, two web hosts, a worker and HAProxy on this machine.",
    )
    parser.add_argument("action", choices=["up", "down", "status"])
    parser.add_argument(
        "--root", default="var/cluster", help="folder that holds the whole deployment (default var/cluster)"
    )
    parser.add_argument("--json", action="store_true", help="status as one JSON object")
    parser.add_argument("--web-hosts", type=int, default=2, help="web hosts to start (default 2)")
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn workers per web host (default 2)")
    options = parser.parse_args(argv)
    cluster = Cluster(Path(options.root))
    say = lambda line: print(f"cluster: {line}", flush=True)  # noqa: E731
    try:
        if options.action == "up":
            state = cluster.up(web_hosts=options.web_hosts, web_workers=options.web_workers, say=say)
            print(f"cluster: every part answers; the site is at {state['proxy']} (stop it with `make cluster-down`)")
        elif options.action == "down":
            cluster.down(say=say)
        else:
            report = cluster.status()
            if options.json:
                print(json.dumps(report))
            else:
                print(f"proxy: {report['proxy'] or '(not started)'}")
                for c in report["components"]:
                    health = "healthy" if c["healthy"] else "NOT ANSWERING"
                    print(f"  {c['name']:<10} {c['role']:<17} pid {c['pid']}  port {c['port']}  {health}")
                return 0 if report["components"] and all(c["healthy"] for c in report["components"]) else 1
    except ClusterError as exc:
        print(f"dailypapers cluster: {exc}", file=sys.stderr)
        return 2
    return 0

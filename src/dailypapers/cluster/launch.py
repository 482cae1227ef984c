"""Start, inspect and stop the one-machine lab deployment (see the package docstring).

`up` starts each part in order and returns once every one answers; `down` stops exactly the
processes `up` recorded; `status` says, per component, its role, pid, port and health.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path


class ClusterError(Exception):
    """Something the operator must fix, in one sentence."""


@dataclass
class Component:
    name: str
    role: str
    port: int | None
    pid: int | None = None
    log: str = ""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def postgres_bin(tool: str) -> str:
    """Debian's newest PostgreSQL server binaries (initdb and pg_ctl are not on PATH there)."""
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
    for folder in reversed(versions):
        if (folder / tool).exists():
            return str(folder / tool)
    found = shutil.which(tool)
    if not found:
        raise ClusterError(f"{tool} not found: install Debian's postgresql package")
    return found


def as_postgres(argv: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: run its tools as the postgres user when we are root."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *argv]
    return argv


def pid_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a killed process nobody has reaped yet still answers kill(pid, 0)
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def port_answers(port: int | None) -> bool:
    if not port:
        return False
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status == 200
    except OSError:
        return False


class Cluster:
    def __init__(self, root: Path, python: str = sys.executable) -> None:
        self.root = root.resolve()
        self.python = python
        self.state_file = self.root / "state.json"

    # --- state -------------------------------------------------------------------------
    def load(self) -> dict:
        try:
            return json.loads(self.state_file.read_text())
        except FileNotFoundError:
            return {}

    def save(self, state: dict) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = self.state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(state, indent=2))
        tmp.replace(self.state_file)

    def components(self) -> list[Component]:
        return [Component(**c) for c in self.load().get("components", [])]

    def database_url(self, name: str) -> str:
        port = next(c.port for c in self.components() if c.name == name)
        return f"postgres://postgres@127.0.0.1:{port}/dailypapers"

    def env(self, home: Path, state: dict) -> dict[str, str]:
        """The settings every dailypapers process of the deployment shares, and its own home."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("DAILYPAPERS_") and k != "DATABASE_URL"}
        env.update(
            DAILYPAPERS_HOME=str(home),
            DATABASE_URL=f"postgres://postgres@127.0.0.1:{state['ports']['primary']}/dailypapers",
            DATABASE_REPLICA_URL=f"postgres://postgres@127.0.0.1:{state['ports']['standby']}/dailypapers",
            DAILYPAPERS_CACHE_URL=f"redis://127.0.0.1:{state['ports']['redis']}/0",
            DAILYPAPERS_SECRET_KEY=state["secret_key"],
            DAILYPAPERS_BASE_URL=state["proxy"],
            DAILYPAPERS_SECURE_COOKIES="0",  # plain HTTP on loopback; a real lab terminates TLS at the proxy
            DAILYPAPERS_SERVE_WORKERS=str(state["web_workers"]),
        )
        return env

    # --- up ----------------------------------------------------------------------------
    def up(self, web_hosts: int = 2, web_workers: int = 2, say=print) -> dict:
        state = self.load()
        if state and any(pid_alive(c.pid) for c in self.components()):
            raise ClusterError(f"a deployment is already running under {self.root}; stop it with `make cluster-down`")
        self.root.mkdir(parents=True, exist_ok=True)
        ports = {
            "proxy": free_port(),
            "primary": free_port(),
            "standby": free_port(),
            "redis": free_port(),
            **{f"web{i}": free_port() for i in range(1, web_hosts + 1)},
        }
        state = {
            "proxy": f"http://127.0.0.1:{ports['proxy']}",
            "ports": ports,
            "secret_key": state.get("secret_key") or secrets.token_urlsafe(50),
            "web_workers": web_workers,
            "components": [],
        }
        self.save(state)
        try:
            self._postgres(state, say)
            self._redis(state, say)
            say("migrating the database on the primary")
            self._run_cli(["migrate", "--verbosity", "0"], self.root / "worker", state)
            for i in range(1, web_hosts + 1):
                self._web(state, i, say)
            self._worker(state, say)
            self._proxy(state, say)
            self._wait_healthy(state)
        except BaseException:
            self.down(say=lambda *_: None)
            raise
        return state

    def _record(self, state: dict, component: Component) -> None:
        state["components"] = [c for c in state["components"] if c["name"] != component.name] + [asdict(component)]
        self.save(state)

    def _postgres(self, state: dict, say) -> None:
        primary, standby = self.root / "pg-primary", self.root / "pg-standby"
        user = "postgres" if os.geteuid() == 0 else None
        if not (primary / "PG_VERSION").exists():
            say("initialising the PostgreSQL primary")
            primary.mkdir(parents=True, exist_ok=True)
            if user:
                shutil.chown(primary, user)
            subprocess.run(
                as_postgres([postgres_bin("initdb"), "-D", str(primary), "-U", "postgres", "--auth=trust"]),
                check=True,
                capture_output=True,
            )
        self._pg_start("pg-primary", primary, state["ports"]["primary"], "postgres-primary", state)
        exists = subprocess.run(
            ["psql", "-h", "127.0.0.1", "-p", str(state["ports"]["primary"]), "-U", "postgres", "-tAc",
             "SELECT 1 FROM pg_database WHERE datname = 'dailypapers'"],
            check=True, capture_output=True, text=True,
        ).stdout.strip()  # fmt: skip
        if not exists:
            subprocess.run(
                ["psql", "-h", "127.0.0.1", "-p", str(state["ports"]["primary"]), "-U", "postgres", "-qc",
                 "CREATE DATABASE dailypapers"],
                check=True, capture_output=True,
            )  # fmt: skip
        # A fresh standby from a base backup each time: it streams from the primary from there on.
        if standby.exists():
            shutil.rmtree(standby)
        say("taking a base backup for the hot standby (pg_basebackup)")
        standby.mkdir(parents=True, mode=0o700)
        standby.chmod(0o700)  # PostgreSQL refuses a data folder others can read
        if user:
            shutil.chown(standby, user)
        subprocess.run(
            as_postgres([
                postgres_bin("pg_basebackup"), "-h", "127.0.0.1", "-p", str(state["ports"]["primary"]),
                "-U", "postgres", "-D", str(standby), "-R", "-X", "stream", "-c", "fast",
            ]),
            check=True, capture_output=True,
        )  # fmt: skip
        self._pg_start("pg-standby", standby, state["ports"]["standby"], "postgres-standby", state)

    def _pg_start(self, name: str, data: Path, port: int, role: str, state: dict) -> None:
        # The log stays outside the data folder, so a base backup does not copy the primary's.
        logs = self.root / "logs"
        logs.mkdir(exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(logs, "postgres")
        log = logs / f"{name}.log"
        self._pg_ctl(name, data, port, log, ["start"])
        pid = int((data / "postmaster.pid").read_text().split()[0])
        self._record(state, Component(name, role, port, pid, str(log)))

    def _pg_ctl(self, name: str, data: Path, port: int, log: Path, action: list[str]) -> None:
        options = f"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=''"
        # Always with -l: a server started without it keeps pg_ctl's stdout and stderr open, so
        # waiting for pg_ctl's output (capture_output) would wait for the server to stop.
        result = subprocess.run(
            as_postgres([postgres_bin("pg_ctl"), "-D", str(data), "-o", options, "-l", str(log), "-w", *action]),
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=120,
        )
        if result.returncode != 0:
            raise ClusterError(f"{name} did not start: {result.stderr.strip() or result.stdout.strip()} (log: {log})")

    def restart_postgres(self, name: str = "pg-primary") -> Component:
        """Restart one of the deployment's PostgreSQL servers (fast: open sessions are cut, as a
        crash or a maintenance restart would) and record its new pid."""
        state = self.load()
        component = next(c for c in self.components() if c.name == name)
        data = self.root / name
        self._pg_ctl(name, data, component.port or 0, Path(component.log), ["-m", "fast", "restart"])
        component.pid = int((data / "postmaster.pid").read_text().split()[0])
        self._record(state, component)
        return component

    def start_web(self, name: str) -> None:
        """(Re)start web host ``name`` (web1, web2, ...) on its recorded port, e.g. after `stop`."""
        self._web(self.load(), int(name.removeprefix("web")), say=lambda *_: None)

    def start_redis(self) -> None:
        """(Re)start the deployment's Redis on its recorded port, e.g. after it was stopped."""
        self._redis(self.load(), say=lambda *_: None)

    def _redis(self, state: dict, say) -> None:
        folder = self.root / "redis"
        folder.mkdir(exist_ok=True)
        (folder / "redis.pid").unlink(missing_ok=True)
        if not shutil.which("redis-server"):
            raise ClusterError("redis-server not found: install Debian's redis-server package")
        say("starting Redis")
        port = state["ports"]["redis"]
        subprocess.run(
            ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--daemonize", "yes",
             "--pidfile", str(folder / "redis.pid"), "--dir", str(folder), "--logfile", str(folder / "redis.log"),
             "--save", "", "--appendonly", "no"],
            check=True, capture_output=True,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while not (folder / "redis.pid").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        pid = int((folder / "redis.pid").read_text())
        self._record(state, Component("redis", "redis", port, pid, str(folder / "redis.log")))

    def _run_cli(self, args: list[str], home: Path, state: dict) -> None:
        home.mkdir(parents=True, exist_ok=True)
        result = subprocess.run(
            [self.python, "-m", "dailypapers.cli.main", *args],
            env=self.env(home, state),
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise ClusterError(f"dailypapers {' '.join(args)} failed: {result.stderr.strip()}")

    def _spawn(self, name: str, role: str, port: int | None, args: list[str], home: Path, state: dict) -> None:
        home.mkdir(parents=True, exist_ok=True)
        log = home / f"{name}.log"
        with open(log, "ab") as out:
            proc = subprocess.Popen(
                [self.python, "-m", "dailypapers.cli.main", *args],
                env=self.env(home, state),
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # Ctrl-C in the terminal that ran `make cluster` leaves it running
            )
        self._record(state, Component(name, role, port, proc.pid, str(log)))

    def _web(self, state: dict, i: int, say) -> None:
        say(f"starting web host {i} (its own data folder and search index)")
        port = state["ports"][f"web{i}"]
        self._spawn(f"web{i}", "web", port, ["serve", "--port", str(port)], self.root / f"web{i}", state)

    def _worker(self, state: dict, say) -> None:
        say("starting the worker")
        self._spawn("worker", "worker", None, ["worker"], self.root / "worker", state)

    def _proxy(self, state: dict, say) -> None:
        haproxy = shutil.which("haproxy") or "/usr/sbin/haproxy"
        if not Path(haproxy).exists():
            raise ClusterError("haproxy not found: install Debian's haproxy package")
        say("starting HAProxy in front of the web hosts")
        folder = self.root / "proxy"
        folder.mkdir(exist_ok=True)
        webs = [c for c in state["components"] if c["role"] == "web"]
        # At most 4 requests in flight per gunicorn worker; the rest wait in HAProxy's queue. Under
        # ASGI each request holds its own database connection (no persistent ones), so without a
        # bound 200 clients opened more than PostgreSQL's 100 connections and got 503s.
        limit = 4 * max(int(state["web_workers"]), 1)
        servers = "\n".join(
            f"    server {c['name']} 127.0.0.1:{c['port']} maxconn {limit} check inter 1s fall 2 rise 1" for c in webs
        )
        config = f"""global
    pidfile {folder / "haproxy.pid"}
    maxconn 2000

defaults
    mode http
    timeout connect 2s
    timeout client 30s
    timeout server 60s
    timeout http-request 10s
    timeout queue 30s
    retries 2
    option redispatch
    option http-buffer-request
    # HAProxy's own 503 (no web host up, e.g. while the database restarts and the health checks
    # fail) says when to come back, like the site's own 503s.
    http-error status 503 content-type "text/html; charset=utf-8" string "<!DOCTYPE html><title>Unavailable</title><p>The site is unavailable for a moment; please try again in a few seconds.</p>" hdr Retry-After 5

frontend site
    bind 127.0.0.1:{state["ports"]["proxy"]}
    default_backend web

backend web
    balance roundrobin
    option httpchk GET /api/daily_papers
    http-check expect status 200
    # Not on 503: the site answers 503 when the database is away, which another host cannot
    # change; retrying it only delays the answer (and closed clients' connections at once).
    retry-on conn-failure empty-response response-timeout
{servers}
"""
        (folder / "haproxy.cfg").write_text(config)
        subprocess.run([haproxy, "-D", "-f", str(folder / "haproxy.cfg")], check=True, capture_output=True)
        deadline = time.monotonic() + 10
        while not (folder / "haproxy.pid").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        pid = int((folder / "haproxy.pid").read_text().split()[0])
        self._record(state, Component("proxy", "proxy", state["ports"]["proxy"], pid, str(folder / "haproxy.cfg")))

    def _wait_healthy(self, state: dict, timeout: float = 240) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            report = self.status()["components"]
            if all(c["healthy"] for c in report):
                return
            dead = [c["name"] for c in report if not pid_alive(c["pid"])]
            if dead:
                raise ClusterError(f"{', '.join(dead)} stopped while starting; see the logs under {self.root}")
            time.sleep(0.5)
        sick = [c["name"] for c in self.status()["components"] if not c["healthy"]]
        raise ClusterError(f"{', '.join(sick)} did not answer within {timeout:.0f} s; see the logs under {self.root}")

    # --- status ------------------------------------------------------------------------
    def healthy(self, component: Component) -> bool:
        if not pid_alive(component.pid):
            return False
        if component.role == "web":
            return http_ok(f"http://127.0.0.1:{component.port}/api/daily_papers")
        if component.role == "proxy":
            return http_ok(f"http://127.0.0.1:{component.port}/api/daily_papers")
        if component.role == "worker":
            return True
        return port_answers(component.port)

    def status(self) -> dict:
        state = self.load()
        return {
            "proxy": state.get("proxy"),
            "components": [
                {"name": c.name, "role": c.role, "pid": c.pid, "port": c.port, "healthy": self.healthy(c)}
                for c in self.components()
            ],
        }

    # --- down --------------------------------------------------------------------------
    def down(self, say=print) -> None:
        """Stop exactly what `up` recorded, front to back; data folders stay for the next `up`."""
        order = {"proxy": 0, "web": 1, "worker": 1, "redis": 2, "postgres-standby": 3, "postgres-primary": 4}
        for component in sorted(self.components(), key=lambda c: order.get(c.role, 9)):
            self._stop(component, say)
        state = self.load()
        if state:
            state["components"] = []
            self.save(state)

    def stop(self, name: str) -> None:
        """Stop one component (its record stays, so `start_web` or `start_redis` can bring it back)."""
        self._stop(next(c for c in self.components() if c.name == name), say=lambda *_: None)

    def _stop(self, component: Component, say) -> None:
        if not pid_alive(component.pid):
            return
        say(f"stopping {component.name} (pid {component.pid})")
        if component.role.startswith("postgres"):
            data = self.root / component.name
            subprocess.run(
                as_postgres([postgres_bin("pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]),
                capture_output=True,
            )
            return
        try:
            os.kill(component.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + 20
        while pid_alive(component.pid) and time.monotonic() < deadline:
            _reap(component.pid)
            time.sleep(0.1)
        if pid_alive(component.pid):
            os.kill(component.pid, signal.SIGKILL)
            _reap(component.pid)


def _reap(pid: int) -> None:
    """Collect a child we started ourselves (a zombie still answers kill(pid, 0))."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass

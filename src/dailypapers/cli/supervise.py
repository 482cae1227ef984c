"""`dailypapers run`: the web server, the worker and the embedder as children of one process.

Each child runs in its own process group, so the supervisor (not the terminal) decides how
they stop: Ctrl-C, SIGTERM or SIGHUP sends SIGTERM to every group (gunicorn's workers and
anything a child started included), waits up to GRACE seconds, then SIGKILLs what is left.
Children also get SIGTERM from the kernel if the supervisor itself dies (PR_SET_PDEATHSIG),
so even `kill -9` of the supervisor leaves no server running without it.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

GRACE = 15.0  # gunicorn's own graceful timeout is 10 s
POLL = 0.2
_PR_SET_PDEATHSIG = 1


@dataclass
class Child:
    """One long-running command of the service."""

    name: str
    argv: list[str]
    essential: bool = False  # its end ends the run (the web server)
    log: Path | None = None  # None: our own terminal
    nice: int = 0
    restart_after_ok: float | None = None  # seconds before it runs again after a clean exit (None: never)
    restart_after_error: float | None = None  # ... after a failure
    proc: subprocess.Popen | None = field(default=None, repr=False)
    start_at: float = 0.0  # monotonic time of the next start, while not running


def _child_setup(nice: int) -> Callable[[], None]:
    def setup() -> None:
        if sys.platform.startswith("linux"):
            try:  # dies with us, even if we are killed with SIGKILL
                ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
            except (OSError, AttributeError):
                pass
        if nice:
            os.nice(nice)

    return setup


class Supervisor:
    def __init__(self, children: list[Child], env: Mapping[str, str], say: Callable[[str], None]) -> None:
        self.children = children
        self.env = dict(env)
        self.say = say
        self.stopping = 0  # number of stop requests (a second one kills at once)
        self._logs: list[IO] = []

    def _start(self, child: Child) -> None:
        out: IO | None = None
        if child.log is not None:
            child.log.parent.mkdir(parents=True, exist_ok=True)
            out = open(child.log, "ab")  # noqa: SIM115 (kept open while the child runs)
            self._logs.append(out)
        child.proc = subprocess.Popen(
            child.argv,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT if out is not None else None,
            start_new_session=True,  # its own process group: Ctrl-C reaches us, and we stop it
            preexec_fn=_child_setup(child.nice),
        )

    def _request_stop(self, signum, frame) -> None:
        self.stopping += 1
        if self.stopping > 1:  # impatient: no more waiting
            self._signal_all(signal.SIGKILL)

    def _signal_all(self, signum: int) -> None:
        for child in self.children:
            if child.proc is not None:
                try:
                    os.killpg(child.proc.pid, signum)
                except (ProcessLookupError, PermissionError):
                    pass

    def run(self) -> int:
        """Run until a stop signal or the end of an essential child; the exit status to use."""
        previous = {
            sig: signal.signal(sig, self._request_stop) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
        }
        status = 0
        try:
            for child in self.children:
                self._start(child)
            while not self.stopping:
                now = time.monotonic()
                for child in self.children:
                    if child.proc is None:
                        if child.start_at and now >= child.start_at:
                            child.start_at = 0.0
                            self._start(child)
                        continue
                    code = child.proc.poll()
                    if code is None:
                        continue
                    self._signal_group_leftovers(child)
                    child.proc = None
                    if child.essential:
                        self.say(f"dailypapers: the {child.name} stopped (exit status {code}); stopping the rest.")
                        status = code or 1
                        self.stopping = 1
                        break
                    wait = child.restart_after_ok if code == 0 else child.restart_after_error
                    where = f" (see {child.log})" if child.log is not None and code else ""
                    if wait is None:
                        self.say(f"dailypapers: the {child.name} finished (exit status {code}){where}.")
                    else:
                        child.start_at = now + wait
                        self.say(
                            f"dailypapers: the {child.name} finished (exit status {code}){where}; "
                            f"it runs again in {_duration(wait)}."
                        )
                time.sleep(POLL)
        finally:
            self._stop_all()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            for out in self._logs:
                out.close()
        return status

    def _signal_group_leftovers(self, child: Child) -> None:
        """A child that ended may leave processes of its group behind (a gunicorn worker): end them."""
        assert child.proc is not None
        try:
            os.killpg(child.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    def _stop_all(self) -> None:
        running = [c for c in self.children if c.proc is not None and c.proc.poll() is None]
        if running:
            self.say("dailypapers: stopping " + ", ".join(c.name for c in running) + " ...")
        self._signal_all(signal.SIGTERM)
        deadline = time.monotonic() + GRACE
        for child in self.children:
            if child.proc is None:
                continue
            try:
                child.proc.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                self.say(f"dailypapers: the {child.name} did not stop within {GRACE:.0f} s; killing it.")
        # Whatever is left in any group (a child's own children included) goes now.
        self._signal_all(signal.SIGKILL)
        for child in self.children:
            if child.proc is not None:
                child.proc.wait()
                child.proc = None
        self.say("dailypapers: stopped.")


def _duration(seconds: float) -> str:
    return f"{seconds / 60:.0f} min" if seconds >= 120 else f"{seconds:.0f} s"

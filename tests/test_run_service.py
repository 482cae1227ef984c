"""`dailypapers run` (what `make run` starts): the whole service in the foreground, stopped as one.

A real `dailypapers run` on an ephemeral port: its links follow the port it serves on (feeds, the
API's Link header, the mails it keeps without a mail server), Ctrl-C stops every process it
started, and so does killing it outright. The worker says once that the network is down.
"""

from __future__ import annotations

import gzip
import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import psutil
import pytest

from conftest import DATA, dailypapers_env, run_cli

HF_ARCHIVE = DATA / "hf-daily-papers" / "daily_papers_raw.jsonl.gz"
PASSWORD = "a long enough passphrase 42"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def one_hf_day(folder: Path) -> Path:
    """The archive's first day (a few dozen papers) as its own file: enough for a list with a next page."""
    with gzip.open(HF_ARCHIVE, "rt") as archive:
        line = archive.readline()
    path = folder / "one-day.jsonl"
    path.write_text(line)
    return path


class Service:
    """A `dailypapers run` in its own session, as a terminal's foreground job would be."""

    def __init__(self, home: Path, port: int, *args: str, **env: str) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.output = home / "run-output.log"
        self._out = open(self.output, "wb")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "dailypapers.cli.main", "run", "--port", str(port), *args],
            env=dailypapers_env(home, DAILYPAPERS_SERVE_WORKERS="1", DAILYPAPERS_SECURE_COOKIES="0", **env),
            stdout=self._out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def text(self) -> str:
        return self.output.read_text(errors="replace")

    def wait_until(self, found, what: str, timeout: float = 240.0):  # a first start took 70 s at load 34
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            result = found()
            if result:
                return result
            assert self.proc.poll() is None, f"dailypapers run ended early:\n{self.text()}"
            time.sleep(0.25)
        raise AssertionError(f"{what} not seen within {timeout:.0f} s:\n{self.text()}")

    def answers(self) -> bool:
        try:
            with urllib.request.urlopen(self.url + "/api/papers/search?q=x", timeout=5):
                return True
        except OSError:
            return False

    def processes(self) -> list[psutil.Process]:
        return psutil.Process(self.proc.pid).children(recursive=True)

    def close(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self._out.close()


def gone(processes: list[psutil.Process], timeout: float = 30.0) -> list[psutil.Process]:
    """The processes still alive after ``timeout`` (zombies count as gone: they run nothing)."""
    _, alive = psutil.wait_procs(processes, timeout=timeout)
    return [p for p in alive if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]


def get(opener, url: str, data: dict | None = None, headers: dict | None = None):
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    request = urllib.request.Request(url, data=body, headers=headers or {})
    return opener.open(request, timeout=30)


@pytest.fixture
def home(tmp_path, scratch_databases) -> Path:
    database = scratch_databases("run")
    env = dailypapers_env(tmp_path, DATABASE_URL=database)
    run_cli("migrate", "--verbosity", "0", env=env)
    run_cli("import", "--no-index", str(one_hf_day(tmp_path)), env=env)
    (tmp_path / "database_url").write_text(database)
    return tmp_path


def test_run_serves_on_its_port_links_follow_it_and_ctrl_c_stops_everything(home):
    port = free_port()
    database = (home / "database_url").read_text()
    service = Service(home, port, "--embed-log", str(home / "embed.log"), DATABASE_URL=database)
    try:
        service.wait_until(service.answers, "the web server")
        service.wait_until(lambda: "worker started" in service.text(), "the worker")
        text = service.text()
        assert f"running the whole service on {service.url}" in text
        assert "createsuperuser" in text  # how to make the first administrator
        assert "no mail server is configured" in text
        # Other commands on this data folder (a worker, `digest send`) link to the same address.
        assert (home / "site_address").read_text().strip() == service.url
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

        # Feeds, atom:self and the API's next page name the port served on, whatever Host was asked for.
        other_host = {"Host": f"localhost:{port + 1}"}
        rss = get(opener, service.url + "/feed", headers=other_host).read().decode()
        links = re.findall(r"<link>([^<]+)</link>", rss)
        assert links and all(link.startswith(service.url + "/") for link in links), links[:3]
        atom = get(opener, service.url + "/feed?format=atom").read().decode()
        self_link = re.search(r'<link[^>]*rel="self"[^>]*>', atom).group(0)
        assert f'href="{service.url}/' in self_link
        response = get(opener, service.url + "/api/daily_papers?limit=2", headers=other_host)
        assert response.headers["Link"].startswith(f"<{service.url}/api/daily_papers?")

        # Sign up without a mail server: the page says where the mail went; the run's terminal prints its link.
        form = get(opener, service.url + "/accounts/signup").read().decode()
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
        fields = {"username": "newcomer", "email": "newcomer@example.org", "password1": PASSWORD}
        page = get(
            opener,
            service.url + "/accounts/signup",
            {**fields, "password2": PASSWORD, "csrfmiddlewaretoken": csrf},
            headers={"Referer": service.url + "/accounts/signup"},
        ).read()
        assert b"no mail server configured" in page and b"Outbox mails" in page
        link = service.wait_until(
            lambda: re.search(rf"{re.escape(service.url)}/accounts/confirm/\S+", service.text()),
            "the printed confirmation link",
        ).group(0)
        confirmed = get(opener, link).read().decode()
        assert "Your email address is confirmed" in confirmed

        running = service.processes()
        names = " ".join(" ".join(p.cmdline()) for p in running)
        assert "gunicorn" in names and " worker" in names, names
        assert len(running) >= 3  # gunicorn's master and worker, the worker (the embedder may be done)

        os.killpg(service.proc.pid, signal.SIGINT)  # what Ctrl-C does to the foreground job
        assert service.proc.wait(timeout=60) == 0
        assert gone(running) == [], service.text()
        assert "dailypapers: stopped." in service.text()
        with pytest.raises(OSError):
            urllib.request.urlopen(service.url + "/", timeout=5)
    finally:
        service.close()


def test_killing_run_outright_leaves_no_process_behind(home):
    database = (home / "database_url").read_text()
    service = Service(home, free_port(), "--no-embed", DATABASE_URL=database)
    try:
        service.wait_until(service.answers, "the web server")
        running = service.processes()
        assert len(running) >= 3
        os.kill(service.proc.pid, signal.SIGKILL)  # no chance to clean up: the kernel tells the children
        service.proc.wait()
        assert gone(running) == []
    finally:
        service.close()


# -- the worker offline --------------------------------------------------------------------


@pytest.mark.django_db
def test_offline_the_worker_says_so_once_and_leaves_the_images_for_later(settings):
    from dailypapers.cli.jobs import SyncRound
    from dailypapers.store import media
    from dailypapers.store.models import MediaItem

    with socket.socket() as probe:  # a port nothing listens on: every connection is refused at once
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}"
    settings.CONFIG = {
        **settings.CONFIG,
        "DAILYPAPERS_ARXIV_OAI_URL": f"{dead}/oai",
        "DAILYPAPERS_HF_API_URL": f"{dead}/hf",
        "DAILYPAPERS_ARXIV_DELAY": 0.0,
    }
    media.queue_media([(f"{dead}/thumb.png", "thumbnail")])
    said: list[str] = []
    now = [0.0]
    rounds = SyncRound(said.append, clock=lambda: now[0])

    for _ in range(3):
        rounds()
    assert len([line for line in said if "network is down" in line]) == 1, said
    assert said == [said[0]]  # nothing else: no traceback, no failed images
    assert "cannot reach 127.0.0.1" in said[0]
    item = MediaItem.objects.get()
    assert item.attempts == 0  # an image is not given up because we were offline

    assert not rounds.retry_due()
    now[0] += 601
    assert rounds.retry_due()

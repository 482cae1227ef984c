"""Work that several workers share through the database's claims (store/claims.py): two `embed`
and two `media fetch` processes at once each do different items and no item twice; a worker
killed mid-chunk, or dead on another machine, leaves its chunk to the other.

Real `dailypapers` processes against a fresh database that other processes can open (a SQLite
file, or a new PostgreSQL database when the suite runs on PostgreSQL). Two senders of digests at
once are tested in tests/test_digest_process.py.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import signal
import subprocess
import sys
import time

import pytest

from tests.conftest import DATA, dailypapers_env, run_cli, sql_rows
from tests.images import png
from tests.replay_server import ReplayServer, Reply

PAPERS_FILE = DATA / "arxiv-cs-daily-2025-2026" / "papers.jsonl.gz"
PAPERS = 96
IMAGES = 40
CLI = [sys.executable, "-m", "dailypapers.cli.main"]
EMBED = ["embed", "--no-static", "--no-index", "--max-length", "64", "--threads", "1", "--sessions", "1", "--json"]


def execute(url: str, statement: str, params: list | tuple = ()) -> None:
    """One write outside Django, as another machine's worker would make it."""
    if url.startswith("sqlite:///"):
        import sqlite3

        with sqlite3.connect(url[len("sqlite:///") :], timeout=30) as conn:
            conn.execute(statement.replace("%s", "?"), params)
        return
    import psycopg

    with psycopg.connect(url) as conn:
        conn.execute(statement, params)


@pytest.fixture
def world(tmp_path, scratch_databases):
    if not PAPERS_FILE.exists():
        pytest.skip(f"bundled arXiv papers not found at {PAPERS_FILE}")
    url = scratch_databases("work")
    env = dailypapers_env(tmp_path / "home", DATABASE_URL=url, DAILYPAPERS_SECRET_KEY="test-lab-workers")
    run_cli("migrate", "-v", "0", env=env)
    source = tmp_path / "papers.jsonl.gz"
    with gzip.open(PAPERS_FILE, "rt") as fh, gzip.open(source, "wt") as out:
        for _ in range(PAPERS):
            out.write(next(fh))
    run_cli("import", str(source), env=env)
    return url, env


def start(env: dict[str, str], *args: str) -> subprocess.Popen:
    return subprocess.Popen([*CLI, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(process: subprocess.Popen, timeout: float = 600) -> str:
    out, err = process.communicate(timeout=timeout)
    assert process.returncode == 0, f"exited {process.returncode}\n{out}\n{err}"
    return out


def embedded_by(out: str) -> int:
    return json.loads(out.strip().splitlines()[-1])["embedded"]


def feed_rows_per_paper(url: str) -> dict[int, int]:
    rows = sql_rows(url, "SELECT paper_id, COUNT(*) FROM store_paperchange WHERE kind = 'embedding' GROUP BY paper_id")
    return dict(rows)


def assert_each_paper_embedded_once(url: str) -> None:
    papers = [pk for (pk,) in sql_rows(url, "SELECT id FROM store_paper")]
    assert len(papers) == PAPERS
    assert feed_rows_per_paper(url) == {pk: 1 for pk in papers}, "one embedding change per paper, none twice"
    assert sql_rows(url, "SELECT COUNT(*) FROM search_paperembedding") == [(PAPERS,)]
    assert sql_rows(url, "SELECT COUNT(*) FROM store_workclaim") == [(0,)], "every claim given back"


def wait_for(condition, timeout: float = 120, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def test_two_embed_workers_at_once_split_the_papers_and_embed_each_once(world):
    url, env = world
    workers = [start(env, *EMBED, "--chunk", "4") for _ in range(2)]
    done = [embedded_by(finish(worker)) for worker in workers]
    assert sum(done) == PAPERS, done
    assert all(n > 0 for n in done), f"both workers embedded some of the papers: {done}"
    assert_each_paper_embedded_once(url)


def test_an_embed_worker_killed_mid_chunk_leaves_it_to_the_other(world):
    url, env = world
    doomed = start(env, *EMBED, "--chunk", "1000")  # one chunk: every paper claimed, none stored yet
    wait_for(lambda: sql_rows(url, "SELECT COUNT(*) FROM store_workclaim") == [(PAPERS,)], what="the claim")
    doomed.send_signal(signal.SIGKILL)
    doomed.wait()
    assert sql_rows(url, "SELECT COUNT(*) FROM search_paperembedding") == [(0,)], "killed before it stored"
    # Same host: the claimant's process is gone, so its chunk is free at once (no lease wait).
    started = time.monotonic()
    assert embedded_by(finish(start(env, *EMBED, "--chunk", "16"))) == PAPERS
    assert time.monotonic() - started < 300
    assert_each_paper_embedded_once(url)


def test_a_chunk_held_by_a_dead_worker_elsewhere_is_redone_when_its_lease_runs_out(world):
    url, env = world
    held = [str(pk) for (pk,) in sql_rows(url, "SELECT id FROM store_paper ORDER BY id LIMIT 10")]
    lease_ends = time.time() + 6
    for pk in held:  # a worker on another machine claimed these, then its machine died
        execute(
            url,
            "INSERT INTO store_workclaim (kind, item, worker, expires) VALUES (%s, %s, %s, %s)",
            ["embed:all-MiniLM-L6-v2", pk, "another-host:4242:deadbeef", lease_ends],
        )
    out = finish(start(env, *EMBED, "--chunk", "16"))
    assert time.time() >= lease_ends, "the held chunk waited for its lease"
    assert embedded_by(out) == PAPERS
    assert_each_paper_embedded_once(url)


@pytest.fixture
def images(world):
    url, env = world
    with ReplayServer() as server:
        urls = []
        for i in range(IMAGES):
            # Slow enough that two workers overlap, fast enough for the suite.
            server.route(f"/img/{i}.png", Reply(200, png(), {"Content-Type": "image/png"}, delay=0.15))
            urls.append(server.url(f"/img/{i}.png"))
        for i, image in enumerate(urls):
            execute(
                url,
                "INSERT INTO store_mediaitem (key, url, kind, status, attempts, content_type, error, queued_at)"
                " VALUES (%s, %s, 'thumbnail', 'queued', 0, '', '', %s)",
                [hashlib.sha1(image.encode()).hexdigest(), image, f"2026-01-01 00:00:{i:02d}"],
            )
        env = {**env, "DAILYPAPERS_MEDIA_ALLOWED_HOSTS": "127.0.0.1", "DAILYPAPERS_MEDIA_DELAY": "0"}
        yield url, env, server


def fetched_count(out: str) -> int:
    return int(out.strip().splitlines()[-1].split("media: ")[1].split(" fetched")[0])


def assert_every_image_fetched(url: str) -> None:
    assert sql_rows(url, "SELECT status, COUNT(*) FROM store_mediaitem GROUP BY status") == [("fetched", IMAGES)]
    assert sql_rows(url, "SELECT COUNT(*) FROM store_workclaim") == [(0,)], "every claim given back"


def test_two_media_workers_at_once_fetch_each_image_once(images):
    url, env, server = images
    workers = [start(env, "media", "fetch") for _ in range(2)]
    done = [fetched_count(finish(worker)) for worker in workers]
    assert sum(done) == IMAGES and all(n > 0 for n in done), done
    paths = sorted(r.path for r in server.requests)
    assert paths == sorted(f"/img/{i}.png" for i in range(IMAGES)), "each image requested exactly once"
    assert_every_image_fetched(url)


def test_a_media_worker_killed_mid_chunk_leaves_the_rest_to_the_other(images):
    url, env, server = images
    doomed = start(env, "media", "fetch")
    wait_for(lambda: len(server.requests) >= 3, what="the first images")
    doomed.send_signal(signal.SIGKILL)
    doomed.wait()
    stored = sql_rows(url, "SELECT COUNT(*) FROM store_mediaitem WHERE status = 'fetched'")[0][0]
    assert 0 < stored < IMAGES
    assert fetched_count(finish(start(env, "media", "fetch"))) == IMAGES - stored
    assert_every_image_fetched(url)
    # Only the image in flight when the worker died is asked for twice.
    assert len(server.requests) <= IMAGES + 1, len(server.requests)
    assert len({r.path for r in server.requests}) == IMAGES


def test_claims_are_won_once_and_taken_over_when_the_lease_runs_out(world):
    """The claim statement itself, in one process: what one worker holds, another does not win."""
    url, env = world
    script = (
        "import os, django; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'dailypapers.settings'); django.setup()\n"
        "import json, time\n"
        "from dailypapers.store import claims\n"
        "a = claims.claim('t', ['1', '2', '3'], 'h:1:a', 0.5)\n"
        "b = claims.claim('t', ['2', '3', '4'], 'h:1:b', 60)\n"
        "again = claims.claim('t', ['1'], 'h:1:a', 60)\n"
        "time.sleep(0.6)\n"
        "late = claims.claim('t', ['1', '2', '3'], 'h:1:b', 60)\n"
        "gone = claims.release('t', ['1', '2', '3', '4'], 'h:1:a')\n"
        "kept = claims.release('t', ['1', '2', '3', '4'], 'h:1:b')\n"
        "print(json.dumps([sorted(s) for s in (a, b, again, late, gone, kept)]))\n"
    )
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True).stdout
    a, b, again, late, gone, kept = json.loads(out)
    assert a == ["1", "2", "3"] and b == ["4"], "held items are not won by another worker"
    assert again == ["1"], "a worker renews its own claim"
    assert late == ["2", "3"], "a's lapsed leases are taken over; its renewed one holds"
    assert gone == ["1"] and kept == ["2", "3", "4"], "each worker gives back only what it still holds"

"""`make run`'s background embedder, as `make run` runs it: the real `dailypapers embed`
process beside the data, killed mid-way and started again.

It must resume (count only grows, no paper embedded twice), go newest first, say what is left and
when it will be done, and while it is partial `stats` and the search say how much semantic search
covers, and an id query stays the one paper keyword search gives."""

from __future__ import annotations

import gzip
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "arxiv-cs-daily-2025-2026" / "papers.jsonl.gz"
CLI = [sys.executable, "-m", "dailypapers.cli.main"]
PAPERS = 48


@pytest.fixture
def home(tmp_path):
    if not DATA.exists():
        pytest.skip(f"bundled arXiv papers not found at {DATA}")
    # Two listing days, so "newest first" has something to order: the second half is moved a day later.
    with gzip.open(DATA, "rt") as fh:
        rows = [json.loads(next(fh)) for _ in range(PAPERS)]
    source = tmp_path / "papers.jsonl.gz"
    with gzip.open(source, "wt") as out:
        for i, row in enumerate(rows):
            if i >= PAPERS // 2:
                row["listing_date"] = "2025-03-19"
            out.write(json.dumps(row) + "\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("DAILYPAPERS_") and k != "DATABASE_URL"}
    env.update(DAILYPAPERS_HOME=str(tmp_path / "home"), DAILYPAPERS_SECRET_KEY="test-embed-background")
    subprocess.run([*CLI, "migrate", "-v", "0"], env=env, check=True)
    subprocess.run([*CLI, "import", str(source)], env=env, check=True, capture_output=True)
    return env, tmp_path / "home" / "dailypapers.sqlite3"


def _embedded(db: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT p.arxiv_id, COALESCE(p.announced, '') FROM search_paperembedding e"
            " JOIN store_paper p ON p.id = e.paper_id WHERE e.model_id = 'all-MiniLM-L6-v2'"
        ).fetchall()
    return rows


def _stats(env) -> dict:
    return json.loads(
        subprocess.run([*CLI, "stats", "--json"], env=env, check=True, capture_output=True, text=True).stdout
    )


def test_background_embedding_resumes_after_a_kill_newest_first(home):
    env, db = home
    embed = [*CLI, "embed", "--chunk", "8", "--batch", "8", "--threads", "1", "--sessions", "1", "--no-index"]
    first = subprocess.Popen(embed, env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    line = first.stderr.readline()  # one line per committed chunk when not on a terminal, time first
    while line and " embedded " not in line:
        line = first.stderr.readline()
    first.send_signal(signal.SIGKILL)
    first.wait()
    assert line.split(" ", 3)[3].startswith("embedded 8 of 48") and "40 left, ETA" in line, line

    partial = _embedded(db)
    assert 8 <= len(partial) < PAPERS
    # Newest first: every paper of the later day is embedded before any of the earlier one.
    days = sorted(day for _, day in partial)
    assert days[-1] == "2025-03-19" and (len(partial) > PAPERS // 2 or days[0] == "2025-03-19")
    stats = _stats(env)
    assert stats["embedded"] == len(partial) and stats["to_embed"] == PAPERS - len(partial)

    # While partial, the search says which mode ran and how much semantic search covers (every paper:
    # the fast tier came first); an id query is still exactly that paper.
    some_id = partial[0][0]
    out = subprocess.run(
        [*CLI, "search", "--mode", "hybrid", some_id], env=env, check=True, capture_output=True, text=True
    ).stdout
    assert f"semantic: {PAPERS} of {PAPERS} papers ({PAPERS - len(partial)} by the fast first tier" in out
    assert out.splitlines()[0].split()[1] == some_id and "1 result(s) (identifier search" in out

    started = time.monotonic()
    second = subprocess.run(embed, env=env, capture_output=True, text=True, timeout=300)
    assert second.returncode == 0, second.stderr
    assert time.monotonic() - started < 300
    final = _embedded(db)
    ids = [arxiv_id for arxiv_id, _ in final]
    assert len(ids) == len(set(ids)) == PAPERS  # resumed: nothing embedded twice, nothing left
    assert set(ids) >= {arxiv_id for arxiv_id, _ in partial}
    assert f"embedded {PAPERS - len(partial)} abstracts" in second.stderr + second.stdout
    assert f"resumed ({len(partial)} already embedded)" in second.stderr
    assert _stats(env)["to_embed"] == 0

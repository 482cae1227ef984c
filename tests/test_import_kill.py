"""kill -9 part-way through an import, run it again: the same database as an uninterrupted run."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

from conftest import dailypapers_env, run_cli, sql_rows

PAPERS = (
    "SELECT arxiv_id, title, abstract, authors, categories, primary_category, latest_version, "
    "announced, first_submitted, withdrawn, deleted FROM store_paper ORDER BY arxiv_id"
)
VERSIONS = (
    "SELECT p.arxiv_id, v.number, v.date FROM store_paperversion v "
    "JOIN store_paper p ON p.id = v.paper_id ORDER BY 1, 2"
)
ENTRIES = (
    "SELECT p.arxiv_id, e.date, e.source, e.upvotes, e.num_comments, e.submitted_by, e.github_repo, "
    "e.ai_keywords, e.seen_at FROM store_dailyentry e JOIN store_paper p ON p.id = e.paper_id ORDER BY 1, 2, 3"
)


def dump(url: str) -> dict[str, list]:
    return {
        name: sql_rows(url, query) for name, query in (("papers", PAPERS), ("versions", VERSIONS), ("entries", ENTRIES))
    }


def test_sigkill_mid_import_then_resume_equals_uninterrupted(tmp_path, data_dir, scratch_databases):
    files = [
        str(data_dir / "hf-daily-papers" / "daily_papers_raw.jsonl.gz"),
        str(data_dir / "arxiv-raw-formats" / "kaggle-snapshot" / "arxiv-metadata-oai-snapshot.first5.jsonl"),
    ]

    clean_url = scratch_databases("clean")
    clean_env = dailypapers_env(tmp_path / "clean", DATABASE_URL=clean_url)
    run_cli("migrate", "--verbosity", "0", env=clean_env)
    run_cli("import", "--batch", "100", *files, env=clean_env)

    killed_url = scratch_databases("killed")
    env = dailypapers_env(tmp_path / "killed", DATABASE_URL=killed_url)
    run_cli("migrate", "--verbosity", "0", env=env)
    proc = subprocess.Popen(
        [sys.executable, "-m", "dailypapers.cli.main", "import", "--batch", "100", *files],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 120
    done = 0
    while time.monotonic() < deadline and proc.poll() is None:
        rows = sql_rows(killed_url, "SELECT items_done FROM store_importcheckpoint") if _has_table(killed_url) else []
        done = rows[0][0] if rows else 0
        if done >= 2000:
            proc.send_signal(signal.SIGKILL)
            break
        time.sleep(0.02)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the import finished before it could be killed; raise the threshold"
    partial = sql_rows(killed_url, "SELECT count(*) FROM store_dailyentry")[0][0]
    assert 2000 <= partial < 9881, partial

    resumed = run_cli("import", "--batch", "100", *files, env=env)
    assert "resumed:" in resumed.stdout
    assert dump(killed_url) == dump(clean_url)
    assert sql_rows(killed_url, "SELECT count(*) FROM store_dailyentry")[0][0] == 9881


def _has_table(url: str) -> bool:
    try:
        sql_rows(url, "SELECT 1 FROM store_importcheckpoint LIMIT 1")
        return True
    except Exception:
        return False

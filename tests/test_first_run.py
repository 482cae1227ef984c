"""A first run is quiet and plain: a normal import prints no error-coloured lines, the model build
leaks no library warning, HEAD answers wherever GET does, command help lists only our options,
errors are one sentence, `stats` explains itself, and search numbers are grouped."""

from __future__ import annotations

import datetime as dt
import gzip
import re
from pathlib import Path

import pytest

from dailypapers.cli import main as cli_main
from dailypapers.search.indexer import catch_up
from dailypapers.store.upsert import write_batch
from tests.conftest import dailypapers_env, run_cli
from tests.web_fixtures import feature, paper_record

HF_RAW = "hf-daily-papers/daily_papers_raw.jsonl.gz"
# The two days of the bundled Hugging Face data whose GitHub links hold a line break: the
# links are dropped (the entries kept), which printed two bold red "dropped:" lines.
BROKEN_LINK_DAYS = (356, 367)


@pytest.fixture
def two_days(data_dir, tmp_path) -> Path:
    path = tmp_path / "days.jsonl"
    with gzip.open(data_dir / HF_RAW) as lines, path.open("wb") as out:
        for number, line in enumerate(lines, 1):
            if number in BROKEN_LINK_DAYS:
                out.write(line)
            if number >= max(BROKEN_LINK_DAYS):
                break
    return path


def test_a_normal_import_prints_no_error_lines_and_counts_dropped_fields(two_days, tmp_path):
    env = dailypapers_env(tmp_path / "home", DJANGO_COLORS="")
    run_cli("migrate", env=env)
    result = run_cli("import", "--no-index", str(two_days), env=env)
    assert result.stderr == ""
    assert "2 field(s) dropped (-v 2 lists them)" in result.stdout
    # The details are one flag away, without colour.
    env["DAILYPAPERS_HOME"] = str(tmp_path / "home2")
    run_cli("migrate", env=env)
    verbose = run_cli("import", "--no-index", "-v", "2", str(two_days), env=env)
    lines = verbose.stderr.splitlines()
    assert len(lines) == 2 and all("paper.githubRepo" in line and "\x1b[" not in line for line in lines)


def test_building_the_model_leaks_no_library_warning(tmp_path):
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "dailypapers.search.quantize", str(tmp_path / "models")],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # onnxruntime asked for pre-processing on the root logger
    assert Path(result.stdout.strip()).is_file()


@pytest.mark.django_db
def test_head_answers_wherever_get_does(client, no_page_cache):  # noqa: F811
    from dailypapers.web.views.api import api

    paper = feature(dt.date(2025, 1, 3), 1)[0]
    paths = [
        re.sub(r"\{(paper_id|pk)\}", lambda m: paper.arxiv_id if m.group(1) == "paper_id" else "1", path)
        for path, operations in api.get_openapi_schema()["paths"].items()
        if "get" in operations
    ]
    assert "/api/daily_papers" in paths
    for path in [*paths, "/", "/papers/date/2025-01-03", "/trending", "/feed", f"/papers/{paper.arxiv_id}"]:
        got, head = client.get(path), client.head(path)
        assert head.status_code == got.status_code != 405, path
        assert head.content == b"", path
    head = client.head("/api/daily_papers")
    assert head.status_code == 200 and head["Content-Type"].startswith("application/json")


DJANGO_OPTIONS = ("--settings", "--pythonpath", "--traceback", "--no-color", "--force-color", "--version")


@pytest.mark.parametrize("command", sorted(cli_main.COMMANDS))
def test_command_help_lists_only_our_options(command, capsys):
    with pytest.raises(SystemExit) as done:
        cli_main.main([command, "--help"])
    assert done.value.code == 0
    text = capsys.readouterr().out
    assert f"usage: dailypapers {command}" in text
    assert not [option for option in DJANGO_OPTIONS if option in text]
    assert ("--verbosity" in text) == (command == "import")


def test_errors_are_one_plain_sentence(tmp_path):
    env = dailypapers_env(tmp_path / "home")
    run_cli("migrate", env=env)
    result = run_cli("search", "x", "--category", "cs.CV, cs.MM", env=env, check=False)
    assert result.returncode != 0
    assert result.stderr.splitlines() == [
        "dailypapers: 'cs.CV, cs.MM' is not an arXiv category (like cs.CL or hep-th)."
    ]
    # Asked for, the traceback is still there.
    traced = run_cli("search", "x", "--category", "cs.CV, cs.MM", "--traceback", env=env, check=False)
    assert "Traceback" in traced.stderr


def test_stats_is_readable(two_days, tmp_path):
    env = dailypapers_env(tmp_path / "home")
    run_cli("migrate", env=env)
    run_cli("import", "--no-index", str(two_days), env=env)
    text = run_cli("stats", env=env).stdout
    assert "{" not in text and not re.search(r"^versions\s+0$", text, re.MULTILINE)
    lines = text.splitlines()
    assert lines[0].startswith("Papers: ") and "Daily-list entries: " in text and "Semantic search: " in text
    assert "one per paper featured on a day's list" in text and "arXiv versions with dates" in text


@pytest.mark.django_db
def test_search_header_groups_thousands(client, no_page_cache):  # noqa: F811
    write_batch([paper_record(title=f"Sparse attention study {n}") for n in range(1_001)], dt.datetime.now(dt.UTC))
    catch_up(wait=True)
    body = client.get("/search?q=sparse+attention&mode=keyword").content.decode()
    assert "1,001 results" in body

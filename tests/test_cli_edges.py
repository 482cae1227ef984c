"""The CLI's edges answer in one sentence (through the real console entry point)."""

from __future__ import annotations

import os

import pytest

from conftest import dailypapers_env, run_cli


def test_uncreatable_home_is_one_sentence(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = run_cli("migrate", env=dailypapers_env(blocker / "home"), check=False)
    assert result.returncode == 2
    assert result.stderr.startswith(f"dailypapers: cannot use the data folder {blocker / 'home'}")
    assert "set DAILYPAPERS_HOME to a folder you can write" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_unwritable_home_is_one_sentence(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    result = run_cli("migrate", env=dailypapers_env(locked / "home"), check=False)
    assert result.returncode == 2 and "Permission denied" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "command", [["stats"], ["import", "x.jsonl"], ["sync"], ["search", "deep"], ["rank", "--rebuild"], ["index"]]
)
def test_mistyped_home_creates_nothing(tmp_path, command):
    typo = tmp_path / "dailypaper"  # the user meant .../dailypapers
    result = run_cli(*command, env=dailypapers_env(typo), check=False)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"dailypapers: no database at {typo / 'dailypapers.sqlite3'}; run `dailypapers migrate` "
        "to create one (or set DAILYPAPERS_HOME to the folder that holds yours)"
    )
    assert not typo.exists(), "nothing may be created for a command that only reads or adds to a database"


def test_migrate_creates_the_home_and_then_commands_work(tmp_path):
    home = tmp_path / "new" / "home"
    env = dailypapers_env(home)
    run_cli("migrate", "--verbosity", "0", env=env)
    assert (home / "dailypapers.sqlite3").is_file()
    assert '"papers": 0' in run_cli("stats", "--json", env=env).stdout


def test_serve_with_a_mistyped_home_refuses(tmp_path):
    typo = tmp_path / "dailypaper"
    result = run_cli(
        "serve", "--port", "1", env=dailypapers_env(typo, DAILYPAPERS_SECRET_KEY="k" * 50), check=False, timeout=60
    )
    assert result.returncode != 0 and "no database at" in result.stderr and "Traceback" not in result.stderr
    assert not (typo / "dailypapers.sqlite3").exists()


def test_help_works_without_a_database(tmp_path):
    result = run_cli("import", "--help", env=dailypapers_env(tmp_path / "none"))
    assert "usage:" in result.stdout


def test_rank_help_does_not_claim_a_rebuild_after_import(tmp_path):
    out = " ".join(run_cli("rank", "--help", env=dailypapers_env(tmp_path)).stdout.split())
    assert "after an import" not in out
    assert "imports keep them current on their own" in out

"""The console entry point: help for every command, errors as sentences, stats as JSON."""

from __future__ import annotations

import json

import pytest

from conftest import dailypapers_env, run_cli
from dailypapers.cli.main import COMMANDS


def test_top_level_help_lists_the_commands(tmp_path):
    out = run_cli("--help", env=dailypapers_env(tmp_path)).stdout
    for name in COMMANDS:
        assert name in out


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_has_help(tmp_path, command):
    out = run_cli(command, "--help", env=dailypapers_env(tmp_path)).stdout
    assert "usage:" in out and command in out


def test_stats_json_on_a_fresh_database(tmp_path):
    env = dailypapers_env(tmp_path)
    run_cli("migrate", "--verbosity", "0", env=env)
    stats = json.loads(run_cli("stats", "--json", env=env).stdout)
    assert stats["papers"] == 0 and stats["versions"] == 0 and stats["daily_entries"] == 0


def test_database_not_migrated_is_one_sentence(tmp_path):
    result = run_cli("stats", env=dailypapers_env(tmp_path), check=False)
    assert result.returncode != 0
    assert "migrate" in result.stderr and "Traceback" not in result.stderr

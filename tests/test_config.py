"""Settings: read in one place, every one documented, bad values named."""

from __future__ import annotations

import re

import pytest

from conftest import REPO, dailypapers_env, run_cli
from dailypapers import config


def test_every_setting_is_documented():
    doc = (REPO / "docs" / "configuration.md").read_text()
    documented = set(re.findall(r"^\|\s*`([A-Z_]+)`\s*\|", doc, flags=re.MULTILINE))
    declared = {s.name for s in config.SETTINGS}
    assert declared - documented == set(), (
        "settings missing from docs/configuration.md (python -m dailypapers.config --write-docs)"
    )
    assert documented - declared == set(), "docs/configuration.md documents settings that do not exist"


def test_the_documented_table_is_the_generated_one():
    doc = (REPO / "docs" / "configuration.md").read_text()
    assert config.markdown_table() in doc, "docs/configuration.md is stale: python -m dailypapers.config --write-docs"


def test_every_setting_has_help_text():
    for setting in config.SETTINGS:
        assert len(setting.help) > 15, setting.name


def test_environment_wins_over_config_file(tmp_path):
    (tmp_path / "config.toml").write_text('DAILYPAPERS_ARXIV_DELAY = 5.0\nDAILYPAPERS_SYNC_SETS = ["math", "cs"]\n')
    values = config.load({"DAILYPAPERS_HOME": str(tmp_path), "DAILYPAPERS_ARXIV_DELAY": "1.5"})
    assert values["DAILYPAPERS_ARXIV_DELAY"] == 1.5
    assert values["DAILYPAPERS_SYNC_SETS"] == ["math", "cs"]
    assert values["DAILYPAPERS_HOME"] == tmp_path


def test_defaults_and_list_parsing(tmp_path):
    values = config.load({"DAILYPAPERS_HOME": str(tmp_path), "DAILYPAPERS_SYNC_CATEGORIES": "cs.LG, cs.CL  stat.ML"})
    assert values["DAILYPAPERS_SYNC_CATEGORIES"] == ["cs.LG", "cs.CL", "stat.ML"]
    assert values["DATABASE_URL"] is None
    assert values["DAILYPAPERS_DEBUG"] is False


def test_bad_value_names_the_setting(tmp_path):
    with pytest.raises(config.ConfigError, match="DAILYPAPERS_IMPORT_BATCH"):
        config.load({"DAILYPAPERS_HOME": str(tmp_path), "DAILYPAPERS_IMPORT_BATCH": "lots"})


def test_unknown_key_in_config_file_is_an_error(tmp_path):
    (tmp_path / "config.toml").write_text("DAILYPAPERS_NO_SUCH_THING = 1\n")
    with pytest.raises(config.ConfigError, match="DAILYPAPERS_NO_SUCH_THING"):
        config.load({"DAILYPAPERS_HOME": str(tmp_path)})


def test_cli_reports_a_bad_setting_in_one_sentence(tmp_path):
    result = run_cli("stats", env=dailypapers_env(tmp_path, DAILYPAPERS_IMPORT_BATCH="lots"), check=False)
    assert result.returncode == 2
    assert "configuration error" in result.stderr and "DAILYPAPERS_IMPORT_BATCH" in result.stderr
    assert "Traceback" not in result.stderr

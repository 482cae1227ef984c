"""The suite itself: every run (and every xdist worker) has a private data folder and database,
passwords hash fast outside the Argon2 tests, and fixtures come from conftest.py alone."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from dailypapers.store.models import Paper
from dailypapers.store.upsert import write_batch
from tests.web_fixtures import paper_record

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent


@pytest.mark.django_db
def test_this_process_has_a_private_home():
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    home = Path(settings.HOME)
    assert home == Path(os.environ["DAILYPAPERS_HOME"]) == settings.TESTS_PRIVATE_HOME
    assert home.parent == Path(tempfile.gettempdir()) and home.name.startswith(f"dailypapers-test-{worker}-")
    assert Path(settings.STATIC_ROOT).is_relative_to(home)
    if connection.vendor == "sqlite":
        assert Path(connection.settings_dict["NAME"]).is_relative_to(home)
    elif worker != "main":
        assert connection.settings_dict["NAME"].endswith(f"_{worker}")  # pytest-django's per-worker database
    write_batch([paper_record("2501.99999")], fetched_at=timezone.now())  # into this process's test database
    assert Paper.objects.filter(arxiv_id="2501.99999").exists()


def test_plain_pytest_leaves_the_users_data_folder_alone(tmp_path):
    """A bare `pytest` (no Makefile, no DAILYPAPERS_HOME) once wrote its test database into the
    user's data folder (platformdirs' ~/.local/share/dailypapers)."""
    user = tmp_path / "user"
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DAILYPAPERS_", "XDG_", "PYTEST_"))}
    env.pop("DATABASE_URL", None)  # SQLite: the database a bare run would put in the data folder
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.update(HOME=str(user), TMPDIR=str(scratch))
    result = subprocess.run(
        [str(Path(sys.executable).parent / "pytest"), "-q", "-p", "no:cacheprovider", "-p", "no:xdist"]
        + [f"{Path(__file__).relative_to(REPO)}::test_this_process_has_a_private_home"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout
    assert not (user / ".local" / "share" / "dailypapers").exists()
    assert not list(scratch.glob("dailypapers-test-*")), "the run's private home outlived it"


def test_passwords_hash_fast_in_tests(make_user):
    assert make_user("fast").password.startswith("md5$")


def test_argon2_hasher_fixture_gives_the_production_hashers(make_user, argon2_hasher):
    assert make_user("slow").password.startswith("argon2$")


def _fixture_names() -> set[str]:
    names = set()
    for conftest in TESTS.rglob("conftest.py"):
        for node in ast.walk(ast.parse(conftest.read_text())):
            if isinstance(node, ast.FunctionDef) and any(
                "fixture" in ast.unparse(decorator) for decorator in node.decorator_list
            ):
                names.add(node.name)
    return names


def test_no_module_imports_a_fixture_by_name():
    """pytest finds conftest fixtures by argument name; an imported copy shadows the conftest one
    and needs a noqa to get past the linter."""
    fixtures = _fixture_names()
    assert {"alice", "make_user", "sink", "search_index"} <= fixtures
    found = []
    for path in sorted(TESTS.rglob("*.py")):
        if path.name == "conftest.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                found += [f"{path.relative_to(REPO)}:{node.lineno} {a.name}" for a in node.names if a.name in fixtures]
    assert not found, "fixtures imported by name (name them as test arguments instead):\n" + "\n".join(found)

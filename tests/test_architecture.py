"""The parts import downwards only (docs/architecture.md): parsed with ast over src/, so an
import inside a function counts as much as one at the top of a module."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "dailypapers"

# What each part may import from dailypapers (besides itself). Leaf modules anyone may use:
# config and settings (read once), rank.trending (the pure scoring formula), periods (the calendar
# rule), ratelimit (the one limiter), logfile and newest (a bounded per-process map), latex (LaTeX to text).
LEAVES = {
    "dailypapers.config",
    "dailypapers.settings",
    "dailypapers.rank.trending",
    "dailypapers.periods",
    "dailypapers.ratelimit",
    "dailypapers.logfile",
    "dailypapers.secretkey",
    "dailypapers.newest",
    "dailypapers.latex",
}
ALLOWED = {
    "rank": set(),
    "store": set(),
    "ingest": {"store"},
    "search": {"store"},
    "digest": {"store", "search"},
    # Votes, comments, submissions, moderation, accounts: models and services; the site's pages sit above.
    # Submissions fetch from arXiv through ingest; accounts send their confirmation mail through digest's outbox.
    # Comments tell readers through notify; claims match authors by the search index's name key.
    "community": {"store", "ingest", "digest", "search", "notify"},
    # Follows and notifications: below community (comments call its one door), above digest (its mail goes
    # through the outbox).
    "notify": {"store", "search", "digest"},
    # The personal layer sits beside the site: its pages use the site's search door and lists, and the
    # site's lists leave out what a reader marked not interested (a known two-way edge, docs/architecture.md).
    "library": {"store", "search", "ingest", "digest", "rank", "community", "web", "notify"},
    "web": {"store", "search", "ingest", "digest", "rank", "community", "library", "notify"},
    "cli": {"store", "search", "ingest", "digest", "community", "rank", "library", "cluster", "notify"},
    # The one-machine lab deployment starts our commands as processes; it imports no part.
    "cluster": set(),
}


def _part(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "dailypapers" else None


def _imports(path: Path) -> list[tuple[int, str]]:
    package = ".".join(("dailypapers",) + path.relative_to(SRC).with_suffix("").parts[:-1])
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against this module's package
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.append((node.lineno, module))
            found += [
                (node.lineno, f"{module}.{alias.name}") for alias in node.names if f"{module}.{alias.name}" in LEAVES
            ]
    return found


def upward_imports() -> list[str]:
    problems = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC)
        if len(rel.parts) < 2 or rel.parts[0] not in ALLOWED or "migrations" in rel.parts:
            continue  # top-level modules (urls, wsgi, settings) wire the parts together; migrations are history
        own = rel.parts[0]
        for line, module in _imports(path):
            target = _part(module)
            if (
                target is None
                or target == own
                or module in LEAVES
                or any(module.startswith(leaf + ".") for leaf in LEAVES)
            ):
                continue
            if module == "dailypapers.rank" and own != "rank":
                continue  # the package itself holds nothing
            if target in {"config", "settings"}:
                continue
            if target not in ALLOWED[own]:
                problems.append(f"src/dailypapers/{rel}:{line} imports {module} ({own} may not import {target})")
    return problems


def test_no_part_imports_upwards():
    assert upward_imports() == []


def test_the_check_sees_imports_inside_functions(tmp_path):
    fake = tmp_path / "dailypapers"
    (fake / "store").mkdir(parents=True)
    (fake / "store" / "bad.py").write_text("def f():\n    from dailypapers.community.models import Vote\n")
    (fake / "store" / "rel.py").write_text("from ..ingest import records\n")
    (fake / "community").mkdir()
    (fake / "community" / "up.py").write_text("from dailypapers.web.views import common\n")
    globals()["SRC"], old = fake, SRC
    try:
        problems = upward_imports()
    finally:
        globals()["SRC"] = old
    assert problems == [
        "src/dailypapers/community/up.py:1 imports dailypapers.web.views (community may not import web)",
        "src/dailypapers/store/bad.py:2 imports dailypapers.community.models (store may not import community)",
        "src/dailypapers/store/rel.py:1 imports dailypapers.ingest (store may not import ingest)",
    ]


@pytest.mark.parametrize("module", ["dailypapers.search.hybrid", "dailypapers.settings"])
def test_importing_creates_nothing(module, tmp_path):
    """No thread pool, no secret-key file at import (a fresh data dir stays empty)."""
    import os
    import subprocess
    import sys

    home = tmp_path / "home"
    code = f"import threading, {module}; print(sorted(t.name for t in threading.enumerate()))"
    env = {k: v for k, v in os.environ.items() if not k.startswith("DAILYPAPERS_")}
    env.update(DAILYPAPERS_HOME=str(home), DJANGO_SETTINGS_MODULE="dailypapers.settings")
    out = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); " + code],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    assert out.strip() == "['MainThread']"
    assert not (home / "secret_key").exists()

"""The parts import downwards only (docs/architecture.md): parsed with ast over src/, so an
import inside a function counts as much as one at the top of a module."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "dailypapers"

# What each part may import from dailypapers (besides itself). Leaf modules anyone may use:
# config and settings (read once), rank.trending (the pure scoring formula), periods (the calendar
# rule), ratelimit (the one limiter), logfile and newest (a bounded per-process map), latex (LaTeX to
# text), redirects (the one rule for a form's ``next``).
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
    "dailypapers.redirects",
}
ALLOWED = {
    "rank": set(),
    "store": set(),
    "ingest": {"store"},
    "search": {"store"},
    "digest": {"store", "search"},
    # Votes, comments, submissions, moderation, accounts, reader marks, API tokens: models and services.
    # Submissions fetch from arXiv through ingest; accounts send their confirmation mail through digest's outbox.
    # Comments tell readers through notify; claims match authors by the search index's name key.
    "community": {"store", "ingest", "digest", "search", "notify"},
    # Follows and notifications: below community (comments call its one door), above digest (its mail goes
    # through the outbox).
    "notify": {"store", "search", "digest"},
    # The read layer: listings, paging, search requests, the Hugging Face lists, the feeds' base.
    "lists": {"store", "ingest", "search", "community"},
    # The personal layer reads through the read layer; the site sits above it (its cards show saves).
    "library": {"store", "search", "ingest", "digest", "rank", "community", "lists", "notify"},
    # Groups sit beside the library and read through it (collections, interests, BibTeX); the site
    # sits above both (its cards show colleagues' saves, its API mounts the groups' router).
    "groups": {"store", "search", "ingest", "digest", "rank", "community", "lists", "library", "notify"},
    "web": {"store", "search", "ingest", "digest", "rank", "community", "lists", "library", "groups", "notify"},
    "cli": {
        "store",
        "search",
        "ingest",
        "digest",
        "community",
        "rank",
        "lists",
        "library",
        "cluster",
        "groups",
        "notify",
    },
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


def test_the_table_has_no_two_way_pair_and_no_cycle():
    """Each part sits above the parts it may import: the table itself is a layering."""
    pairs = [(a, b) for a, allowed in ALLOWED.items() for b in allowed if a in ALLOWED.get(b, set())]
    assert pairs == []
    order, seen = [], set()

    def visit(part: str, path: tuple[str, ...]) -> None:
        assert part not in path, f"cycle: {' -> '.join(path + (part,))}"
        if part in seen:
            return
        for below in sorted(ALLOWED[part]):
            visit(below, path + (part,))
        seen.add(part)
        order.append(part)

    for part in sorted(ALLOWED):
        visit(part, ())
    assert set(order) == set(ALLOWED)


def test_every_part_is_in_the_table():
    """A new package under src/dailypapers must be placed in the table, not silently unchecked."""
    packages = {p.parent.name for p in SRC.glob("*/__init__.py") if f"dailypapers.{p.parent.name}" not in LEAVES}
    assert packages - set(ALLOWED) == set()


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

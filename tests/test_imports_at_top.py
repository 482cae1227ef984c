"""Imports sit at the top of a module (docs/architecture.md). One inside a function needs a reason
that a reader can check: a measured start-up cost, an optional dependency, or a real import cycle.
Each such import is listed below with its reason; any other fails, and so does a listed one that
no longer exists (the list stays short and true)."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "dailypapers"

NO_DJANGO_AT_START = "--help, --version and cluster start without Django (~80 ms, python -X importtime)"
SKLEARN = "scikit-learn and SciPy (~0.4 s, python -X importtime) kept out of every process that never ranks For you"
TORCH = "PyTorch is the optional [gpu] extra, absent from most installs"
ONNX = "onnx is the build-only extra (make install's re-quantization step)"

# (file under src/dailypapers, function, imported module or a prefix of it): why it is imported there.
ALLOWED = {
    ("cli/main.py", "main", "django"): NO_DJANGO_AT_START,
    ("cli/main.py", "_run_command", "django"): NO_DJANGO_AT_START,
    ("cli/gunicorn_hooks.py", "post_worker_init", "django"): "gunicorn loads this file before Django is set up",
    ("cli/gunicorn_hooks.py", "post_worker_init", "dailypapers.search.refresher"): "its models need django.setup()",
    ("library/apps.py", "ready", "dailypapers"): "AppConfig.ready: models load only once the app registry is ready",
    ("library/digest_section.py", "digest_picks", "dailypapers.library.foryou"): SKLEARN,
    ("library/views.py", "for_you", "dailypapers.library.foryou"): SKLEARN,
    ("library/api.py", "recommendations", "dailypapers.library.foryou"): SKLEARN,
    ("library/authors.py", "people_of", "dailypapers.library.textspace"): SKLEARN,
    ("library/authors.py", "people_of", "dailypapers.rank.recommend"): SKLEARN,
    ("groups/apps.py", "ready", "dailypapers"): "AppConfig.ready: models load only once the app registry is ready",
    ("search/embed.py", "_array_ops", "torch"): TORCH,
    ("search/minilm.py", "__init__", "torch"): TORCH,
    ("search/quantize.py", "fold_dequantized_weights", "onnx"): ONNX,
    ("search/quantize.py", "build", "onnxruntime.quantization"): ONNX,
}


def function_imports(path: Path, root: Path = SRC) -> list[tuple[str, str, int]]:
    """(function, imported module, line) for each import inside a function of ``path``."""
    package = ".".join(("dailypapers",) + path.relative_to(root).with_suffix("").parts[:-1])
    found = []
    for function in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(function):
            if isinstance(node, ast.Import):
                found += [(function.name, alias.name, node.lineno) for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                module = node.module or ""
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - node.level + 1]
                    module = ".".join(base + ([module] if module else []))
                found += [(function.name, f"{module}.{alias.name}", node.lineno) for alias in node.names]
    return found


def unlisted(root: Path) -> tuple[list[str], set[tuple[str, str, str]]]:
    """The function-level imports under ``root`` that ALLOWED does not cover, and the entries used."""
    bad, used = [], set()
    for path in sorted(root.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        rel = path.relative_to(root).as_posix()
        for function, module, line in function_imports(path, root):
            entry = next(
                (key for key in ALLOWED if key[:2] == (rel, function) and (module + ".").startswith(key[2] + ".")),
                None,
            )
            if entry is None:
                bad.append(f"src/dailypapers/{rel}:{line} imports {module} inside {function}()")
            else:
                used.add(entry)
    return bad, used


def test_imports_inside_functions_are_the_listed_ones():
    bad, used = unlisted(SRC)
    assert not bad, "move these imports to the top of the module, or list them with a reason:\n" + "\n".join(bad)
    stale = sorted(set(ALLOWED) - used)
    assert not stale, f"listed imports that no longer exist (remove them from ALLOWED): {stale}"


def test_a_new_function_level_import_is_caught(tmp_path):
    (tmp_path / "web").mkdir()
    (tmp_path / "web" / "page.py").write_text(
        "import os\n\ndef render():\n    from dailypapers.store import models\n    import json\n    return os, models, json\n"
    )
    bad, _ = unlisted(tmp_path)
    assert bad == [
        "src/dailypapers/web/page.py:4 imports dailypapers.store.models inside render()",
        "src/dailypapers/web/page.py:5 imports json inside render()",
    ]

"""Comments, docstrings, tests, benchmarks and docs say why in words: a tracker number ("issue N",
"finding N", "#N") points at a thread a reader of the repository cannot open."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = ("src", "bench", "tests", "docs")
SKIPPED = {"katex"}  # vendored third-party files
# "Issue" and "finding" followed by a number, or "#" and a number standing on its own.
TRACKER = re.compile(r"\b(?:issues?|findings?)\s+\d+|(?:^|[\s(\[])#\d+\b", re.IGNORECASE)
HEX_COLOUR = re.compile(r":\s*#\d+\b")  # CSS and inline styles: "background: #8881"
# Numbers that are data, not tracker references.
ALLOWED = ("Issue 58 (2008)",)  # a journal issue in an arXiv record (tests/test_parsers.py)


def references(text: str) -> list[str]:
    found = []
    for line in text.splitlines():
        for allowed in ALLOWED:
            line = line.replace(allowed, "")
        line = HEX_COLOUR.sub(":", line)
        found += [m.group(0).strip() for m in TRACKER.finditer(line)]
    return found


def text_files():
    for folder in FOLDERS:
        for path in sorted((ROOT / folder).rglob("*")):
            if not path.is_file() or SKIPPED & set(path.parts) or "__pycache__" in path.parts:
                continue
            try:
                yield path, path.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                continue  # fonts, images, compressed fixtures


def test_the_pattern_catches_each_form():
    number = "1" + "3"
    for text in (
        f"(issue {number}, finding {number})",
        f"Finding {number}: it broke",
        f"see #{number}",
        f"(#{number})",
    ):
        assert references(text), text
    for text in ("background: #8881;", "a paper pinned at the top", "Issue 58 (2008)", "&#1;", "sha256"):
        assert not references(text), text


def test_no_tracker_numbers_in_the_repository():
    found = [
        f"{path.relative_to(ROOT)}:{number}: {hits}"
        for path, text in text_files()
        for number, line in enumerate(text.splitlines(), 1)
        if (hits := references(line))
    ]
    assert not found, "say the why in words, without a tracker number:\n" + "\n".join(found)

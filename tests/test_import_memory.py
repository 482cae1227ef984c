"""Issue 13, finding 12: a decompression bomb is refused with a sentence before memory balloons.

Peak memory is measured, not guessed: the real entry point runs in a child process that
reports its own peak RSS (ru_maxrss) when the command is done."""

from __future__ import annotations

import json
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from conftest import dailypapers_env, run_cli

GIB = 1 << 30
MEMBER = 64 << 20  # one gzip member of 64 MiB; 32 of them make 2 GiB


def _member(data: bytes) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    return packer.compress(data) + packer.flush()


@pytest.fixture(scope="module")
def xml_bomb(tmp_path_factory) -> Path:
    """About 2 MB of .xml.gz that expands to 2 GiB: an Atom feed whose one title never ends."""
    head = (b'<?xml version="1.0" encoding="UTF-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
            b"<entry><id>http://arxiv.org/abs/2401.00001v1</id><title>")
    filler = _member(b"A" * MEMBER)
    path = tmp_path_factory.mktemp("bomb") / "bomb.xml.gz"
    with open(path, "wb") as out:
        out.write(_member(head + b"A" * (MEMBER - len(head))))
        for _ in range(2 * GIB // MEMBER - 1):
            out.write(filler)
    assert path.stat().st_size < 3 << 20
    return path


RUN_AND_MEASURE = """
import json, resource, sys
from dailypapers.cli.main import main
try:
    code = main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
print(json.dumps({"code": code, "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024}), file=sys.stderr)
"""


def import_measured(path: Path, env: dict[str, str]) -> tuple[dict, str]:
    result = subprocess.run([sys.executable, "-c", RUN_AND_MEASURE, "import", "--no-index", str(path)],
                            env=env, capture_output=True, text=True, timeout=300)
    *lines, last = result.stderr.strip().splitlines()
    return json.loads(last), "\n".join(lines)


@pytest.fixture
def home_env(tmp_path):
    env = dailypapers_env(tmp_path / "home")
    run_cli("migrate", env=env)
    return env


def test_xml_bomb_is_refused_by_its_ratio_with_bounded_memory(xml_bomb, home_env):
    figures, stderr = import_measured(xml_bomb, home_env)
    assert figures["code"] != 0
    assert "bomb.xml.gz: refused: it expands more than 100 times its compressed size" in stderr
    assert "decompression bomb" in stderr and "Traceback" not in stderr
    assert figures["peak_rss_mib"] < 400, figures


def test_xml_bomb_past_the_ratio_meets_the_document_limit(xml_bomb, home_env):
    env = {**home_env, "DAILYPAPERS_IMPORT_MAX_GZIP_RATIO": "1000000", "DAILYPAPERS_IMPORT_MAX_DOCUMENT_MB": "64"}
    figures, stderr = import_measured(xml_bomb, env)
    assert figures["code"] != 0
    assert "bomb.xml.gz: refused: more than 64 MiB once decompressed" in stderr
    assert figures["peak_rss_mib"] < 400, figures


def test_jsonl_bomb_of_one_endless_line_streams_past_it(tmp_path, home_env):
    path = tmp_path / "papers_flat.jsonl.gz"
    line = b'{"date": "2024-05-27", "arxiv_id": "2405.15738", "title": "Kept", "upvotes": 1}\n'
    with open(path, "wb") as out:
        out.write(_member(line + b'{"title": "' + b"A" * MEMBER))
        for _ in range(7):
            out.write(_member(b"A" * MEMBER))
        out.write(_member(b'"}\n' + line.replace(b"2405.15738", b"2405.15739")))
    env = {**home_env, "DAILYPAPERS_IMPORT_MAX_GZIP_RATIO": "1000000", "DAILYPAPERS_IMPORT_MAX_LINE_MB": "8"}
    figures, stderr = import_measured(path, env)
    assert figures["code"] == 1  # one rejection
    assert "rejected: papers_flat.jsonl.gz: line 2: longer than 8 MiB; skipped" in stderr
    assert figures["peak_rss_mib"] < 400, figures

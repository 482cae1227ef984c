"""A decompression bomb is refused with a sentence before memory balloons.

Peak memory is measured, not guessed: the real entry point runs in a child process that
reports its own peak RSS (VmHWM) when the command is done."""

from __future__ import annotations

import gzip
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
    head = (
        b'<?xml version="1.0" encoding="UTF-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
        b"<entry><id>http://arxiv.org/abs/2401.00001v1</id><title>"
    )
    filler = _member(b"A" * MEMBER)
    path = tmp_path_factory.mktemp("bomb") / "bomb.xml.gz"
    with open(path, "wb") as out:
        out.write(_member(head + b"A" * (MEMBER - len(head))))
        for _ in range(2 * GIB // MEMBER - 1):
            out.write(filler)
    assert path.stat().st_size < 3 << 20
    return path


RUN_AND_MEASURE = """
import json, sys


def peak_mib():
    # VmHWM: this program's peak; ru_maxrss would carry the forking parent's over exec.
    status = open("/proc/self/status").read()
    return int(status.split("VmHWM:")[1].split()[0]) // 1024

from dailypapers.cli.main import main
try:
    code = main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
print(json.dumps({"code": code, "peak_rss_mib": peak_mib()}), file=sys.stderr)
"""


def import_measured(path: Path, env: dict[str, str]) -> tuple[dict, str]:
    result = subprocess.run(
        [sys.executable, "-c", RUN_AND_MEASURE, "import", "--no-index", str(path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
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


PARSE_AND_MEASURE = """
import json, sys


def peak_mib():
    # VmHWM: this program's peak; ru_maxrss would carry the forking parent's over exec.
    status = open("/proc/self/status").read()
    return int(status.split("VmHWM:")[1].split()[0]) // 1024

from pathlib import Path
from dailypapers.ingest import parsers
from dailypapers.ingest.reader import InputFile, Restartable

source = InputFile(Path(sys.argv[2]), max_ratio=1e9, max_document=1 << 40)
if sys.argv[1] == "stream":
    items = parsers.STREAM_FORMATS["oai"](Restartable(source))
else:
    items = parsers.FORMATS["oai"](source.read_document())
from dailypapers.ingest.records import Rejected
count = sum(1 for item in items if not isinstance(item, Rejected))
print(json.dumps({"records": count, "peak_rss_mib": peak_mib()}))
"""


def test_oai_import_streams_with_memory_independent_of_the_file(tmp_path, data_dir):
    """20,000 real-shaped records (about 30 MB of XML): streamed, memory stays near the
    interpreter's own; the whole-document parse of the same file (the old way) for comparison."""
    import re

    page = (
        data_dir
        / "arxiv-raw-formats"
        / "oai-pmh"
        / "ListRecords_oai_dc_set-cs_from-2024-01-25_with_resumptionToken.xml"
    ).read_text()
    start, end = page.index("<record>"), page.index("</record>") + len("</record>")
    record = page[start:end]
    head, tail = page[:start], page[page.rindex("</record>") + len("</record>") :]
    path = tmp_path / "big.xml.gz"
    with gzip.open(path, "wt", compresslevel=1) as out:
        out.write(head)
        for n in range(20_000):
            out.write(re.sub(r"\d{4}\.\d{5}", f"2401.{n:05d}", record))
        out.write(tail)
    figures = {}
    for mode in ("stream", "whole"):
        result = subprocess.run(
            [sys.executable, "-c", PARSE_AND_MEASURE, mode, str(path)],
            capture_output=True,
            text=True,
            timeout=300,
            env=dailypapers_env(tmp_path),
        )
        assert result.returncode == 0, result.stderr
        figures[mode] = json.loads(result.stdout.strip().splitlines()[-1])
    assert figures["stream"]["records"] == figures["whole"]["records"] == 20_000
    assert figures["stream"]["peak_rss_mib"] < 150, figures
    assert figures["stream"]["peak_rss_mib"] * 2 < figures["whole"]["peak_rss_mib"], figures

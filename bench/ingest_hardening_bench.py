"""What the import hardening costs and saves.

    .venv/bin/python bench/ingest_hardening_bench.py [--lines 30000] [--records 20000] [--baseline-src ../main/src]

1. Parse speed: the flat parser over the first --lines lines of the real papers.jsonl.gz,
   with this tree's code and (if --baseline-src is given) with another checkout's, each in
   a fresh subprocess, median of 3 runs: the price of the sanitizing pass.
2. Memory: peak RSS of parsing an OAI-PMH file of --records real-shaped records streamed
   (this tree) and read whole (the old way), and of `import` meeting a 2 MB gzip bomb that
   expands to 2 GiB. Each in its own subprocess (peak RSS: VmHWM).
The last line is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import statistics
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"

PARSE = """
import gzip, itertools, json, sys, time
from dailypapers.ingest.parsers.flat import parse_flat_lines
lines = list(itertools.islice(gzip.open(sys.argv[1]), int(sys.argv[2])))
start = time.perf_counter()
count = sum(1 for _ in parse_flat_lines(lines))
print(json.dumps({"lines": count, "seconds": time.perf_counter() - start}))
"""

OAI = """
import json, sys


def peak_mib():
    # VmHWM: this program's peak; ru_maxrss would carry the forking parent's over exec.
    status = open("/proc/self/status").read()
    return int(status.split("VmHWM:")[1].split()[0]) // 1024

from pathlib import Path
from dailypapers.ingest import parsers
from dailypapers.ingest.reader import InputFile, Restartable
source = InputFile(Path(sys.argv[2]), max_ratio=1e9, max_document=1 << 40)
items = (parsers.STREAM_FORMATS["oai"](Restartable(source)) if sys.argv[1] == "stream"
         else parsers.FORMATS["oai"](source.read_document()))
count = sum(1 for _ in items)
print(json.dumps({"items": count, "peak_rss_mib": peak_mib()}))
"""

BOMB = """
import json, sys


def peak_mib():
    # VmHWM: this program's peak; ru_maxrss would carry the forking parent's over exec.
    status = open("/proc/self/status").read()
    return int(status.split("VmHWM:")[1].split()[0]) // 1024

from dailypapers.cli.main import main
try:
    code = main(["import", "--no-index", sys.argv[1]])
except SystemExit as exc:
    code = exc.code
print(json.dumps({"code": code, "peak_rss_mib": peak_mib()}))
"""


def child(code: str, *args: str, src: Path = ROOT / "src", env: dict | None = None) -> dict:
    import os

    environ = {**os.environ, "PYTHONPATH": str(src), **(env or {})}
    out = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, env=environ, timeout=600, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def parse_speed(src: Path, lines: int) -> float:
    runs = [
        child(PARSE, str(DATA / "arxiv-cs-daily-2025-2026" / "papers.jsonl.gz"), str(lines), src=src) for _ in range(3)
    ]
    return statistics.median(r["lines"] / r["seconds"] for r in runs)


def member(data: bytes) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    return packer.compress(data) + packer.flush()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=30_000)
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--baseline-src", type=Path)
    args = parser.parse_args()
    figures: dict = {"lines": args.lines, "records": args.records}
    figures["parse_lines_per_s"] = round(parse_speed(ROOT / "src", args.lines))
    print(f"flat parse, this tree: {figures['parse_lines_per_s']} lines/s", flush=True)
    if args.baseline_src:
        figures["baseline_parse_lines_per_s"] = round(parse_speed(args.baseline_src.resolve(), args.lines))
        figures["parse_speed_ratio"] = round(figures["parse_lines_per_s"] / figures["baseline_parse_lines_per_s"], 3)
        print(f"flat parse, baseline: {figures['baseline_parse_lines_per_s']} lines/s", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        page = (
            DATA
            / "arxiv-raw-formats"
            / "oai-pmh"
            / "ListRecords_oai_dc_set-cs_from-2024-01-25_with_resumptionToken.xml"
        ).read_text()
        start, end = page.index("<record>"), page.index("</record>") + len("</record>")
        path = Path(tmp) / "big.xml.gz"
        with gzip.open(path, "wt", compresslevel=1) as out:
            out.write(page[:start])
            for n in range(args.records):
                out.write(re.sub(r"\d{4}\.\d{5}", f"2401.{n % 100000:05d}", page[start:end]))
            out.write(page[page.rindex("</record>") + len("</record>") :])
        stream, whole = child(OAI, "stream", str(path)), child(OAI, "whole", str(path))
        figures["oai_stream_peak_rss_mib"], figures["oai_whole_peak_rss_mib"] = (
            stream["peak_rss_mib"],
            whole["peak_rss_mib"],
        )
        print(
            f"OAI {args.records} records: streamed {stream['peak_rss_mib']} MiB, whole {whole['peak_rss_mib']} MiB",
            flush=True,
        )
        bomb = Path(tmp) / "bomb.xml.gz"
        filler = member(b"A" * (64 << 20))
        with open(bomb, "wb") as out:
            out.write(
                member(
                    b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><entry><title>' + b"A" * (64 << 20)
                )
            )
            for _ in range(31):
                out.write(filler)
        home = Path(tmp) / "home"
        env = {"DAILYPAPERS_HOME": str(home)}
        subprocess.run(
            [sys.executable, "-m", "dailypapers.cli.main", "migrate", "--verbosity", "0"],
            check=True,
            env={**__import__("os").environ, "PYTHONPATH": str(ROOT / "src"), **env},
        )
        refused = child(BOMB, str(bomb), env=env)
        figures["bomb_compressed_mib"] = round(bomb.stat().st_size / 2**20, 2)
        figures["bomb_expanded_gib"] = 2
        figures["bomb_peak_rss_mib"] = refused["peak_rss_mib"]
        figures["bomb_exit_code"] = refused["code"]
        print(
            f"bomb {figures['bomb_compressed_mib']} MiB -> 2 GiB: refused (exit {refused['code']}), "
            f"peak {refused['peak_rss_mib']} MiB",
            flush=True,
        )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()

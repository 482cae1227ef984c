"""Keyword search of another commit against this code, in one process over one index: pages
compared search by search, then CPU and wall time per query, interleaved.

    .venv/bin/python bench/keyword_compare.py INDEX [--baseline 4b591f0] [--rounds 2]

INDEX: a keyword index both versions read (same schema), e.g. bench/out/search/keyword (1M,
built by bench/search_bench.py) or bench/out/relevance-home/index/g0/keyword. The baseline's
`search/keyword.py` (the one-module layout) is loaded from git beside today's package. Queries:
the first 2-6 words of 200 real titles (as bench/search_bench.py), plus author names, phrases,
offsets, filters and sorts for the comparison. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import statistics
import subprocess
import sys
import time
import types
from pathlib import Path

import numpy as np

from dailypapers.search import keyword as new
from dailypapers.search.text import parse_query

sys.path.insert(0, str(Path(__file__).resolve().parent))
import search_bench as sb  # noqa: E402  (the same corpus and queries)

REPO = Path(__file__).resolve().parents[1]


def load_baseline(commit: str) -> types.ModuleType:
    source = subprocess.run(
        ["git", "-C", str(REPO), "show", f"{commit}:src/dailypapers/search/keyword.py"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    module = types.ModuleType("keyword_baseline")
    module.__dict__["__name__"] = "keyword_baseline"
    sys.modules["keyword_baseline"] = module
    exec(
        compile(source.replace("from .text import", "from dailypapers.search.text import"), "keyword_baseline", "exec"),
        module.__dict__,
    )
    return module


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("index", type=Path)
    ap.add_argument("--baseline", default="4b591f0")
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    old = load_baseline(args.baseline)
    o, n = old.KeywordIndex(args.index), new.KeywordIndex(args.index)
    papers = sb.load_papers()
    raw = sb.title_queries(papers, 200, seed=11)
    last = max(sb._date(p) for p in papers)
    authors = [a for p in random.Random(5).sample(papers, 60) for a in (p.get("authors") or [])[:1]]
    extra = [*authors, "graph neural networks", "diffusion", '"language model" reasoning', "transformer author:Smith"]
    filters = {
        "date": lambda m: m.Filters(date_from=last - dt.timedelta(days=90), date_to=last),
        "category": lambda m: m.Filters(categories=("cs.CL", "cs.LG")),
    }

    def page(index, module, text, kw):
        kw = dict(kw)
        if "filters" in kw:
            kw["filters"] = filters[kw["filters"]](module)
        r = index.search(text, **kw)
        return [d for d, _ in r.hits], [s for _, s in r.hits], r.total, r.all_words, r.by_author

    cases = [(q, {"limit": 20}) for q in raw + extra]
    for q in raw[:50] + extra:
        for kw in ({"offset": 20}, {"limit": 10, "offset": 35}, {"filters": "date"}, {"filters": "category"}):
            cases.append((q, {"limit": 20, **kw}))
        cases += [(q, {"limit": 20, "sort": "newest"}), (q, {"limit": 20, "plain": True})]
    same = close = 0
    for q, kw in cases:
        a, b = page(o, old, q, kw), page(n, new, q, kw)
        near = len(a[1]) == len(b[1]) and all(abs(x - y) <= 1e-6 * max(abs(x), 1) for x, y in zip(a[1], b[1]))
        same += a == b
        close += a != b and near and a[2:] == b[2:]
    print(
        f"{len(cases)} searches: {same} identical, {close} equal but for papers tied to float32 rounding",
        file=sys.stderr,
    )

    queries = [parse_query(q) for q in raw]
    recent_o, recent_n = filters["date"](old), filters["date"](new)
    kinds = {
        "keyword": (lambda q: o.search(q, limit=20), lambda q: n.search(q, limit=20)),
        "keyword_date": (
            lambda q: o.search(q, limit=20, filters=recent_o),
            lambda q: n.search(q, limit=20, filters=recent_n),
        ),
    }
    results: dict = {
        "searches_compared": len(cases),
        "identical": same,
        "tie_order_only": close,
        "baseline": args.baseline,
    }
    for name, pair in kinds.items():
        for fn in pair:
            for q in queries[:100]:
                fn(q)
        for label in ("baseline", "new"):
            results[f"{name}_{label}"] = []
        for _ in range(args.rounds):
            for label, fn in zip(("baseline", "new"), pair):
                cpu, wall = [], []
                for q in queries:
                    c0, w0 = time.process_time(), time.perf_counter()
                    fn(q)
                    cpu.append(time.process_time() - c0)
                    wall.append(time.perf_counter() - w0)
                results[f"{name}_{label}"].append(
                    [float(np.percentile(np.asarray(x) * 1000, p)) for x in (cpu, wall) for p in (50, 95)]
                )
        for label in ("baseline", "new"):
            rounds = results.pop(f"{name}_{label}")
            for i, stat in enumerate(("cpu_p50_ms", "cpu_p95_ms", "wall_p50_ms", "wall_p95_ms")):
                results[f"{name}_{label}_{stat}"] = round(statistics.median(r[i] for r in rounds), 2)
        print(
            f"{name}: CPU p95 {results[f'{name}_baseline_cpu_p95_ms']} -> {results[f'{name}_new_cpu_p95_ms']} ms",
            file=sys.stderr,
        )
    results["load_average"] = round(os.getloadavg()[0], 1)
    print(json.dumps(results))


if __name__ == "__main__":
    main()

"""Offline evaluation of "For you" on real papers.

Readers are authors with at least 6 papers in ../shared/data/arxiv-cs-daily-2025-2026 (at
least 3 listed before the cut date and one in the evaluation window): each "liked" their own
papers listed before the cut. Every later listing day in the window on which a reader has a
paper is one ranking task: all papers listed that day are the candidates, the reader's papers
of that day the relevant ones. Compared: (a) newest first; (b) arxiv-sanity-lite's method,
re-implemented: tf-idf of title + abstract (1-2 grams, 20k features, sublinear tf, min_df 5,
max_df 0.1) and a LinearSVC (C=0.01, balanced classes) trained per reader with the papers of
the 60 days before the cut as negatives; (c) ours (dailypapers.rank.recommend), and ours
without the author signal (content, categories only).

Readers are split by a hash of their name: weights are chosen on the "tune" third
(`--tune` prints the grid) and reported on the other two thirds only.

The author signal counts a candidate's authors who wrote papers the reader liked, never the
reader's own name: otherwise this bench's construction (readers are authors) would hand the
answer over. Co-authors recurring is still helped by that construction; the content-only
figure shows what the text alone does.

Last line: one JSON object (recall@20, ndcg@20 per method, p95 ms cached and uncached).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import hashlib
import json
import pickle
import random
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
import orjson
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.svm import LinearSVC

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
from dailypapers.rank.recommend import (  # noqa: E402
    TOKEN_PATTERN,
    Papers,
    Profile,
    TextSpace,
    Weights,
    ndcg_at,
    paper_text,
    recall_at,
    recommend,
)

DATA = ROOT.parent / "shared" / "data" / "arxiv-cs-daily-2025-2026" / "papers.jsonl.gz"


def load(path: Path) -> list[dict]:
    with gzip.open(path) as handle:
        rows = [json.loads(line) for line in handle]
    rows.sort(key=lambda r: (r["listing_date"], r["id"]))
    return rows


def split_of(name: str) -> str:
    return "tune" if int(hashlib.sha1(name.encode()).hexdigest(), 16) % 3 == 0 else "eval"


def readers_of(rows, cut: str, end: str) -> dict[str, list[int]]:
    by_author = defaultdict(list)
    for i, row in enumerate(rows):
        for name in row["authors"]:
            by_author[name].append(i)
    return {
        name: papers
        for name, papers in by_author.items()
        if len(papers) >= 6
        and sum(rows[i]["listing_date"] < cut for i in papers) >= 3
        and any(cut <= rows[i]["listing_date"] < end for i in papers)
    }


def tasks_of(rows, papers: list[int], cut: str, end: str):
    liked = [i for i in papers if rows[i]["listing_date"] < cut]
    later = defaultdict(set)
    for i in papers:
        if cut <= rows[i]["listing_date"] < end:
            later[rows[i]["listing_date"]].add(i)
    return liked, later


def evaluate(rankers: dict, rows, readers, names, by_day, cut, end, k=20):
    recall = {m: [] for m in rankers}
    ndcg = {m: [] for m in rankers}
    for name in names:
        liked, later = tasks_of(rows, readers[name], cut, end)
        for method, build in rankers.items():
            rank = build(name, liked)
            for day, relevant_rows in later.items():
                relevant = {rows[i]["id"] for i in relevant_rows}
                ranked = rank(by_day[day])
                recall[method].append(recall_at(ranked, relevant, k))
                ndcg[method].append(ndcg_at(ranked, relevant, k))
    return (
        {m: round(float(np.mean(v)), 4) for m, v in recall.items()},
        {m: round(float(np.mean(v)), 4) for m, v in ndcg.items()},
        len(next(iter(recall.values()))),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cut", default="2026-03-01")
    parser.add_argument("--end", default="2026-04-15", help="end of the evaluation window (exclusive)")
    parser.add_argument("--readers", type=int, default=200, help="evaluation readers (sampled, fixed seed)")
    parser.add_argument("--tune-readers", type=int, default=60)
    parser.add_argument("--tune", action="store_true", help="grid-search the weights on the tune readers")
    args = parser.parse_args()

    started = time.perf_counter()
    rows = load(DATA)
    texts = [paper_text(r["title"], r["abstract"]) for r in rows]
    stat = DATA.stat()
    cache = ROOT / "bench" / "out" / f"recs-features-{stat.st_size}-{stat.st_mtime_ns}.pickle"
    if cache.exists():
        space, ours_x, asl_x = pickle.loads(cache.read_bytes())
        print(f"{len(rows):,} papers; tf-idf spaces read from {cache}", file=sys.stderr)
    else:
        print(f"{len(rows):,} papers; fitting the two tf-idf spaces (kept in {cache})", file=sys.stderr)
        space = TextSpace()
        ours_x = space.fit(texts)
        asl_vectorizer = TfidfVectorizer(
            strip_accents="unicode",
            lowercase=True,
            analyzer="word",
            stop_words="english",
            token_pattern=TOKEN_PATTERN,
            ngram_range=(1, 2),
            max_features=20000,
            norm="l2",
            use_idf=True,
            smooth_idf=True,
            sublinear_tf=True,
            max_df=0.1,
            min_df=5,
        )
        asl_x = asl_vectorizer.fit_transform(texts).tocsr()
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(".tmp")
        tmp.write_bytes(pickle.dumps((space, ours_x, asl_x), protocol=5))
        tmp.replace(cache)
        print(f"features in {time.perf_counter() - started:.0f} s", file=sys.stderr)

    everything = Papers(
        ids=[r["id"] for r in rows],
        vectors=ours_x,
        categories=[r["categories"] for r in rows],
        authors=[r["authors"] for r in rows],
    )
    by_day = defaultdict(list)
    for i, row in enumerate(rows):
        if args.cut <= row["listing_date"] < args.end:
            by_day[row["listing_date"]].append(i)
    day_papers = {day: (idx, everything.rows(idx)) for day, idx in by_day.items()}
    cut_day = dt.date.fromisoformat(args.cut)
    window = (cut_day - dt.timedelta(days=60)).isoformat()
    negatives_pool = np.array([i for i, r in enumerate(rows) if window <= r["listing_date"] < args.cut])

    readers = readers_of(rows, args.cut, args.end)
    names = sorted(readers)
    random.Random(0).shuffle(names)
    tune_names = [n for n in names if split_of(n) == "tune"][: args.tune_readers]
    eval_names = [n for n in names if split_of(n) == "eval"][: args.readers]
    print(f"{len(readers):,} readers; tune {len(tune_names)}, eval {len(eval_names)}", file=sys.stderr)

    def newest(name, liked):
        return lambda day_idx: [rows[i]["id"] for i in sorted(day_idx, reverse=True)]

    def asl_svm(name, liked):
        liked_set = set(liked)
        negatives = np.array([i for i in negatives_pool if i not in liked_set])
        train = np.concatenate([np.array(liked), negatives])
        labels = np.r_[np.ones(len(liked)), np.zeros(len(negatives))]
        clf = LinearSVC(class_weight="balanced", max_iter=10000, tol=1e-6, C=0.01).fit(asl_x[train], labels)

        def rank(day_idx):
            scores = clf.decision_function(asl_x[day_idx])
            return [rows[day_idx[j]]["id"] for j in np.argsort(-scores, kind="stable")]

        return rank

    def ours_with(weights):
        def build(name, liked):
            profile = Profile(liked=everything.rows(liked), reader_names=frozenset([name]))

            def rank(day_idx):
                candidates = day_papers[rows[day_idx[0]]["listing_date"]][1]
                return [r.paper_id for r in recommend(profile, candidates, limit=20, weights=weights)]

            return rank

        return build

    if args.tune:
        grid = {}
        for categories in (0.0, 0.3, 0.6):
            for authors in (0.0, 0.5, 1.0, 2.0):
                w = Weights(categories=categories, authors=authors)
                recall, _, _ = evaluate({"ours": ours_with(w)}, rows, readers, tune_names, by_day, args.cut, args.end)
                grid[f"categories={categories} authors={authors}"] = recall["ours"]
                print(f"tune {categories=} {authors=}: recall@20 {recall['ours']}", file=sys.stderr)
        print(json.dumps({"tune_readers": len(tune_names), "recall@20": grid}))
        return

    rankers = {
        "newest": newest,
        "asl_svm": asl_svm,
        "ours": ours_with(Weights()),
        "ours_content_only": ours_with(Weights(authors=0.0)),
    }
    recall, ndcg, tasks = evaluate(rankers, rows, readers, eval_names, by_day, args.cut, args.end)

    # Speed: one reader, a day of 10,000 candidates whose features the period cache holds.
    rng = random.Random(1)
    pool = list(range(len(rows) - 20000, len(rows)))
    big_day = everything.rows(sorted(rng.sample(pool, 10_000)))
    reader = eval_names[0]
    profile = Profile(
        liked=everything.rows(tasks_of(rows, readers[reader], args.cut, args.end)[0]),
        titles={},
        reader_names=frozenset([reader]),
    )
    uncached, cached, stored = [], [], {}
    for _ in range(60):
        t = time.perf_counter()
        result = recommend(profile, big_day, limit=50, space=space)
        uncached.append((time.perf_counter() - t) * 1000)
        stored[reader] = orjson.dumps(
            [{"id": r.paper_id, "score": r.score, "why": [x.text for x in r.reasons]} for r in result]
        )
        t = time.perf_counter()
        orjson.loads(stored[reader])
        cached.append((time.perf_counter() - t) * 1000)

    def p95(values):
        return round(statistics.quantiles(values, n=20)[-1], 2)

    print(f"{tasks} ranking tasks, {time.perf_counter() - started:.0f} s in all", file=sys.stderr)
    print(
        json.dumps(
            {
                "users": len(eval_names),
                "tasks": tasks,
                "cut": args.cut,
                "window_end": args.end,
                "recall@20": recall,
                "ndcg@20": ndcg,
                "ours_over_asl_recall": round(recall["ours"] / recall["asl_svm"], 3),
                "content_only_over_asl_recall": round(recall["ours_content_only"] / recall["asl_svm"], 3),
                "p95_ms": {"cached": p95(cached), "uncached": p95(uncached)},
                "candidates_for_speed": 10_000,
            }
        )
    )


if __name__ == "__main__":
    main()

"""Held-out accuracy of the predicted categories (rank/categorize.py) on the bundled arXiv papers.

The bundled papers are sorted by listing date; the model is trained on up to ``--train`` papers
just before the newest ``--test`` ones and evaluated on those (a split in time, as the papers it
predicts for are newer than the ones it learns from). Prints top-1 accuracy against the listed
primary (first) category, recall of the listed categories among the top 3, precision and recall
of the predicted set, the training time and the peak memory. The last line is one JSON object.

    .venv/bin/python bench/category_eval.py [--train 20000] [--test 5000]
"""

from __future__ import annotations

import argparse
import gzip
import json
import resource
import time
from pathlib import Path

import numpy as np

from dailypapers.rank.categorize import paper_text, train

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "arxiv-cs-daily-2025-2026" / "papers.jsonl.gz"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--train", type=int, default=20_000)
    parser.add_argument("--test", type=int, default=5_000)
    args = parser.parse_args()
    with gzip.open(args.data) as lines:
        rows = [json.loads(line) for line in lines]
    rows = [r for r in rows if r["categories"]]
    rows.sort(key=lambda r: (r["listing_date"], r["id"]))
    test, train_rows = rows[-args.test :], rows[-args.test - args.train : -args.test]
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    model = train([paper_text(r["title"], r["abstract"]) for r in train_rows], [r["categories"] for r in train_rows])
    train_s = time.perf_counter() - started
    assert model is not None
    texts = [paper_text(r["title"], r["abstract"]) for r in test]
    scores = model.scores(texts)
    top = np.argsort(-scores, axis=1)[:, :3]
    labels = model.labels
    top1 = float(np.mean([labels[top[i, 0]] == r["categories"][0] for i, r in enumerate(test)]))
    recall3 = float(
        np.mean([len(set(labels[top[i]]) & set(r["categories"])) / len(r["categories"]) for i, r in enumerate(test)])
    )
    predicted = model.predict(texts)
    hits = sum(len(set(p) & set(r["categories"])) for p, r in zip(predicted, test))
    result = {
        "train_papers": len(train_rows),
        "test_papers": len(test),
        "categories": len(labels),
        "top1_primary_accuracy": round(top1, 4),
        "top3_recall": round(recall3, 4),
        "predicted_set_precision": round(hits / sum(len(p) for p in predicted), 4),
        "predicted_set_recall": round(hits / sum(len(r["categories"]) for r in test), 4),
        "train_seconds": round(train_s, 1),
        "peak_rss_mib_during_train": round((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) / 1024),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()

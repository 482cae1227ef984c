"""Pairwise precision and recall of the rule that tells apart people sharing a name (rank/people.py).

Labelled sample: the bundled Hugging Face daily lists (../shared/data/hf-daily-papers), where an
author of a paper may be linked to a Hugging Face account (``paper.authors[].user.user``). Every
pair of papers that list the same name with an account on both is one labelled pair: the same
account is the same person, two accounts are two people. Categories are arXiv's where the bundled
arXiv listing has the paper, else predicted from the text as the site does (rank/categorize.py,
trained on the bundled arXiv papers); texts are compared in a tf-idf space fitted on the
Hugging Face papers (as For you fits its space on the stored papers).

"Same person" is the positive class: precision is the share of pairs the rule joins that are one
person; recall the share of one-person pairs it joins. The name string alone (the old rule)
joins every pair. The last line is one JSON object.

    .venv/bin/python bench/author_pairs.py
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import time
from collections import defaultdict
from pathlib import Path

from dailypapers.rank import people
from dailypapers.rank.categorize import paper_text, train
from dailypapers.rank.recommend import TextSpace

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def load(data: Path):
    papers: dict[str, dict] = {}
    accounts: dict[str, dict[str, str]] = defaultdict(dict)  # name -> arxiv id -> account
    with gzip.open(data / "hf-daily-papers" / "daily_papers_raw.jsonl.gz") as lines:
        for line in lines:
            day = json.loads(line)
            for entry in day["response"]:
                paper = entry.get("paper") if isinstance(entry, dict) else None
                if not paper or not paper.get("id"):
                    continue
                names = [a.get("name", "") for a in paper.get("authors") or []]
                papers.setdefault(
                    paper["id"],
                    {
                        "authors": names,
                        "text": paper_text(paper.get("title", ""), paper.get("summary", "")),
                        "day": dt.date.fromisoformat(day["date"]),
                    },
                )
                for author in paper.get("authors") or []:
                    user = author.get("user")
                    if isinstance(user, dict) and user.get("user"):
                        accounts[author["name"]][paper["id"]] = user["user"]
    return papers, accounts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    args = parser.parse_args()
    started = time.perf_counter()
    papers, accounts = load(args.data)
    arxiv = {}
    with gzip.open(args.data / "arxiv-cs-daily-2025-2026" / "papers.jsonl.gz") as lines:
        for line in lines:
            row = json.loads(line)
            arxiv[row["id"]] = row
    labelled = [r for r in arxiv.values() if r["categories"]][-20_000:]
    model = train([paper_text(r["title"], r["abstract"]) for r in labelled], [r["categories"] for r in labelled])
    assert model is not None
    ids = sorted(papers)
    unknown = [i for i in ids if i not in arxiv]
    predicted = dict(zip(unknown, model.predict([papers[i]["text"] for i in unknown])))
    for i in ids:
        papers[i]["categories"] = arxiv[i]["categories"] if i in arxiv else predicted[i]
    space = TextSpace(min_df=2, max_df=0.2)
    vectors = space.fit([papers[i]["text"] for i in ids])
    row = {i: n for n, i in enumerate(ids)}

    counts = {"tp": 0, "fp": 0, "fn": 0, "tn": 0}
    pairs = 0
    for name, by_paper in accounts.items():
        linked = sorted(by_paper)
        for a_index, a in enumerate(linked):
            for b in linked[a_index + 1 :]:
                pairs += 1
                truth = by_paper[a] == by_paper[b]
                sim = float(vectors[row[a]].multiply(vectors[row[b]]).sum())
                ev = [people.Evidence(papers[p]["authors"], papers[p]["categories"], papers[p]["day"]) for p in (a, b)]
                said = people.same_person(name, ev[0], ev[1], sim)
                counts[("t" if said == truth else "f") + ("p" if said else "n")] += 1
    same = counts["tp"] + counts["fn"]
    result = {
        "labelled_pairs": pairs,
        "same_person_pairs": same,
        "different_people_pairs": pairs - same,
        "names": sum(1 for v in accounts.values() if len(v) >= 2),
        "name_only_precision": round(same / pairs, 4),
        "name_only_recall": 1.0,
        "rule_precision": round(counts["tp"] / max(counts["tp"] + counts["fp"], 1), 4),
        "rule_recall": round(counts["tp"] / max(same, 1), 4),
        "different_people_told_apart": round(counts["tn"] / max(pairs - same, 1), 4),
        "text_same": people.TEXT_SAME,
        "seconds": round(time.perf_counter() - started, 1),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()

"""Search relevance on the bundled real papers: known items, authors, coordination.

    .venv/bin/python bench/relevance.py [--home DIR] [--items 1000] [--authors 200] [--topics 50]
                                       [--embed N] [--seed 0]

Imports the 74,728 arXiv papers and the Hugging Face archive once into a cached data dir
(``bench/out/relevance-home``, reused by later runs; the import builds the search index), then
asks ``dailypapers.search.service.search`` -- what the page, the API and the CLI call -- for:

* known items: ``--items`` random papers (fixed seed) looked up by bare id, ``arXiv:id``, abs URL
  with version, and exact title: success@1 for each form (floors 1.0 for ids/URLs, 0.97 titles);
* authors: ``--authors`` random authors with >= 3 papers, queried by full name: recall@10 of their
  papers (of min(10, their count)); floor 0.9;
* coordination: ``--topics`` 2-4-word queries built from the titles' own frequent words (each
  with >= 10 papers containing all its words): the share of keyword-mode top-3 results whose
  title or abstract lacks one of the query's words (stemmed, as the index sees them); floor 0.

Keyword mode always; hybrid mode (mode=hybrid) too when embeddings exist: ``--embed N`` first
embeds the N newest papers (resumable, kept in the cached dir) and says which coverage ran.
The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
SOURCES = [
    DATA / "arxiv-cs-daily-2025-2026" / "papers.jsonl.gz",
    DATA / "hf-daily-papers" / "daily_papers_raw.jsonl.gz",
]
CLI = [sys.executable, "-m", "dailypapers.cli.main"]


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def prepare(home: Path, env: dict[str, str], embed: int) -> None:
    if not (home / "imported").exists():
        home.mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        subprocess.run([*CLI, "migrate", "-v", "0"], env=env, check=True)
        subprocess.run([*CLI, "import", *map(str, SOURCES)], env=env, check=True)
        (home / "imported").write_text(f"{time.monotonic() - started:.0f} s\n")
        log(f"imported and indexed in {time.monotonic() - started:.0f} s")
    subprocess.run([*CLI, "index"], env=env, check=True, stdout=subprocess.DEVNULL)
    if embed:
        subprocess.run([*CLI, "embed", "--limit", str(embed), "--index-every", "0"], env=env, check=True)


def ratio(hits: int, n: int) -> float:
    return round(hits / n, 4) if n else 0.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--home", type=Path, default=ROOT / "bench" / "out" / "relevance-home")
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--authors", type=int, default=200)
    parser.add_argument("--topics", type=int, default=50)
    parser.add_argument(
        "--embed", type=int, default=0, help="embed this many more papers (newest first) before measuring"
    )
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    env = {k: v for k, v in os.environ.items() if not k.startswith("DAILYPAPERS_") and k != "DATABASE_URL"}
    env.update(DAILYPAPERS_HOME=str(args.home), DAILYPAPERS_LOG_LEVEL="ERROR", DAILYPAPERS_SEARCH_CATCH_UP_SECONDS="0")
    prepare(args.home, env, args.embed)
    os.environ.update(env)
    for key in [k for k in os.environ if k == "DATABASE_URL"]:
        del os.environ[key]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dailypapers.settings")
    import django

    django.setup()
    from dailypapers.search import service
    from dailypapers.search.text import analyze
    from dailypapers.store.models import Paper

    rows = list(
        Paper.objects.filter(deleted=False).values_list("arxiv_id", "title", "abstract", "authors", "latest_version")
    )
    log(f"{len(rows):,} papers")
    rng = random.Random(args.seed)
    cover = service.coverage()
    modes = ["keyword"] + (["hybrid"] if cover.embedded else [])

    def top(query: str, mode: str, k: int) -> list[str]:
        return service.search(query, limit=k, mode=mode).ids

    figures: dict = {
        "papers": len(rows),
        "coverage": {"embedded": cover.embedded, "papers": cover.papers},
        "seed": args.seed,
    }
    # -- known items ---------------------------------------------------------------------
    sample = rng.sample(rows, min(args.items, len(rows)))
    forms = {
        "bare_id": lambda r: r[0],
        "arxiv_prefix": lambda r: f"arXiv:{r[0]}",
        "abs_url_version": lambda r: f"https://arxiv.org/abs/{r[0]}v{r[4] or 1}",
        "exact_title": lambda r: r[1],
    }
    # A title shared by several papers cannot name one: the lookup succeeds if the paper is among
    # the papers with that title, all listed first.
    titles = Counter(" ".join(analyze(r[1])) for r in rows)
    known: dict[str, dict[str, float]] = {}
    misses: dict[str, list[str]] = {}
    for mode in modes:
        known[mode] = {}
        for name, form in forms.items():
            started, hits = time.monotonic(), 0
            for row in sample:
                k = titles[" ".join(analyze(row[1]))] if name == "exact_title" else 1
                found = top(form(row), mode, max(k, 1))
                if row[0] in found:
                    hits += 1
                elif len(misses.setdefault(f"{mode}:{name}", [])) < 5:
                    misses[f"{mode}:{name}"].append(row[0])
            known[mode][name] = ratio(hits, len(sample))
            log(f"known items, {mode}, {name}: success@1 {known[mode][name]} ({time.monotonic() - started:.0f} s)")
    figures["known_item_success_at_1"] = known
    figures["known_item_misses"] = misses
    figures["duplicate_titles_in_sample"] = sum(titles[" ".join(analyze(r[1]))] > 1 for r in sample)

    # -- authors ---------------------------------------------------------------------------
    by_author: dict[str, set[str]] = {}
    for arxiv_id, _, _, authors, _ in rows:
        for name in authors or ():
            by_author.setdefault(name, set()).add(arxiv_id)
    eligible = sorted(n for n, ids in by_author.items() if len(ids) >= 3 and 2 <= len(n.split()) <= 4)
    chosen = rng.sample(eligible, min(args.authors, len(eligible)))
    recall: dict[str, float] = {}
    for mode in modes:
        total = 0.0
        for name in chosen:
            wanted = by_author[name]
            found = set(top(name, mode, 10))
            total += len(found & wanted) / min(10, len(wanted))
        recall[mode] = round(total / len(chosen), 4) if chosen else 0.0
        log(f"authors, {mode}: recall@10 {recall[mode]} over {len(chosen)} authors")
    figures["author_recall_at_10"] = recall
    figures["authors_eligible"] = len(eligible)

    # -- coordination ----------------------------------------------------------------------
    from dailypapers.search.text import _EXACT, STOPWORDS

    # Queries are real title words (lower case, unstemmed); "contains" is judged on stems, as the index does.
    words_of = [(arxiv_id, set(_EXACT.analyze(title))) for arxiv_id, title, _, _, _ in rows]
    text_of = {arxiv_id: set(analyze(title + " " + abstract)) for arxiv_id, title, abstract, _, _ in rows}
    vocab = Counter(w for _, ws in words_of for w in ws if w not in STOPWORDS and len(w) > 3 and w.isalpha())
    common = {w for w, _ in vocab.most_common(400)[20:]}  # frequent topic words, past the most generic
    by_title_word: dict[str, set[int]] = {}
    for i, (_, ws) in enumerate(words_of):
        for w in ws & common:
            by_title_word.setdefault(w, set()).add(i)
    topics: list[list[str]] = []
    tries = 0
    while len(topics) < args.topics and tries < 20_000:
        tries += 1
        words = sorted(words_of[rng.randrange(len(words_of))][1] & common)
        if len(words) < 2:
            continue
        query = rng.sample(words, rng.randint(2, min(4, len(words))))
        together = set.intersection(*(by_title_word[w] for w in query))
        if len(together) >= 10 and sorted(query) not in [sorted(t) for t in topics]:
            topics.append(query)
    lacking, counted = 0, 0
    examples = []
    for query in topics:
        needed = {stem for w in query for stem in analyze(w)}
        for arxiv_id in top(" ".join(query), "keyword", 3):
            counted += 1
            if not needed <= text_of.get(arxiv_id, set()):
                lacking += 1
                if len(examples) < 5:
                    examples.append({"query": query, "id": arxiv_id})
    figures["coordination"] = {
        "queries": len(topics),
        "top3_results": counted,
        "share_lacking_a_word": ratio(lacking, counted),
        "examples": examples,
        "sample_queries": [" ".join(q) for q in topics[:10]],
    }
    log(f"coordination: {lacking} of {counted} top-3 results lack a query word over {len(topics)} queries")
    # One verdict per mode that ran (coordination is measured in keyword mode only).
    figures["floors_met"] = {
        mode: {
            "ids_and_urls": all(known[mode][f] == 1.0 for f in ("bare_id", "arxiv_prefix", "abs_url_version")),
            "exact_titles": known[mode]["exact_title"] >= 0.97,
            "authors": recall[mode] >= 0.9,
            **({"coordination": lacking == 0} if mode == "keyword" else {}),
        }
        for mode in modes
    }
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

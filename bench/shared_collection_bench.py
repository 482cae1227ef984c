"""Cost of one anonymous view of a large shared collection, and of For you for its owner.

    .venv/bin/python bench/shared_collection_bench.py [--papers 15298] [--views 5]

Builds a fresh SQLite DAILYPAPERS_HOME (or uses DATABASE_URL as given), writes --papers papers
through the real upsert, saves them all into one collection of one reader, shares it, fits the
For you text space, and times in-process (Django's test client, DEBUG off):
- an anonymous GET /shared/<token> with the page cache off (every view renders) and on (the
  default 10 s), median over --views views, with the bytes sent;
- For you for the owner (the per-reader ranking cache emptied before each run).
To compare with another revision, run the same script with that revision's src/ first on
PYTHONPATH (`git archive REV src | tar -x -C DIR`). The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import statistics
import sys
import tempfile
import time


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--papers", type=int, default=15298)
    parser.add_argument("--views", type=int, default=5)
    parser.add_argument(
        "--imports", action="store_true", help="also time imports (this revision's library/imports.py only)"
    )
    args = parser.parse_args()
    os.environ.setdefault("DAILYPAPERS_HOME", tempfile.mkdtemp(prefix="shared-bench-"))
    os.environ["DJANGO_SETTINGS_MODULE"] = "dailypapers.settings"
    import django

    django.setup()
    from django.conf import settings
    from django.core.cache import cache, caches
    from django.core.management import call_command
    from django.test import Client
    from django.utils import timezone

    settings.ALLOWED_HOSTS = ["*"]
    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    from django.contrib.auth import get_user_model

    from dailypapers.ingest.records import PaperRecord
    from dailypapers.library import foryou, textspace
    from dailypapers.library.models import Collection, CollectionItem
    from dailypapers.periods import Period
    from dailypapers.store.models import Paper
    from dailypapers.store.upsert import write_batch

    day = dt.datetime(2025, 1, 2, tzinfo=dt.timezone.utc)
    rng = random.Random(7)
    words = [
        f"{a}{b}"
        for a in ("graph", "sparse", "neural", "robust", "causal", "latent", "quantum", "federated")
        for b in ("attention", "diffusion", "retrieval", "pruning", "agents", "kernels", "flows", "codes")
    ]

    def text(n: int) -> str:
        return " ".join(rng.sample(words, 8)) + f" item {n}"

    for start in range(0, args.papers, 2000):
        write_batch(
            [
                PaperRecord(
                    arxiv_id=f"2501.{n:05d}",
                    title=f"Paper {n}: " + text(n),
                    source="bench",
                    abstract=text(n) + ". " + text(n) + ".",
                    authors=["Ada Lovelace", "Alan Turing"],
                    categories=["cs.LG", "cs.AI"],
                    first_submitted=day,
                )
                for n in range(start + 1, min(args.papers, start + 2000) + 1)
            ],
            fetched_at=timezone.now(),
        )
    owner = get_user_model().objects.create_user("owner", "owner@example.org", "correct horse battery")
    collection = Collection.objects.create(user=owner, name="Everything", share_token="t" * 32)
    CollectionItem.objects.bulk_create(
        CollectionItem(collection=collection, paper_id=pk, position=i)
        for i, pk in enumerate(Paper.objects.order_by("id").values_list("id", flat=True))
    )
    textspace.fit()
    anonymous = Client()
    result: dict = {"papers": args.papers}
    for label, seconds in (("uncached", 0), ("cached", 10)):
        settings.PAGE_CACHE_SECONDS = seconds
        caches["pages"].clear()
        times, size = [], 0
        for _ in range(args.views):
            started = time.perf_counter()
            response = anonymous.get(f"/shared/{collection.share_token}")
            times.append(time.perf_counter() - started)
            assert response.status_code == 200, response.status_code
            size = len(response.content)
        result[f"shared_view_{label}"] = {"median_ms": round(statistics.median(times) * 1000, 1), "bytes": size}
    period = Period.containing("week", day.date())
    times = []
    for _ in range(3):
        cache.clear()
        started = time.perf_counter()
        foryou.for_you(owner, period)
        times.append(time.perf_counter() - started)
    result["for_you_median_ms"] = round(statistics.median(times) * 1000, 1)
    if args.imports:
        result.update(_imports(owner, collection))
    print(json.dumps(result), file=sys.stdout)


def _imports(owner, collection) -> dict:
    """A web request handing 5,000 title-only entries to the worker, the worker's run of them, and
    a web request with 1 MB of malformed BibTeX."""
    from django.test import Client

    from dailypapers.library import imports
    from dailypapers.library.models import Collection

    target = Collection.objects.create(user=owner, name="Imported")
    client = Client()
    client.force_login(owner)
    titles = "\n".join(f"@misc{{k{n}, title={{Paper {n}: no such title {n}}}}}" for n in range(5000))
    found: dict = {}
    started = time.perf_counter()
    response = client.post(f"/library/{target.pk}/import", {"text": titles})
    found["import_5000_titles_request_ms"] = round((time.perf_counter() - started) * 1000, 1)
    assert response.status_code == 302, response.status_code
    started = time.perf_counter()
    imports.run_pending()
    found["import_5000_titles_worker_ms"] = round((time.perf_counter() - started) * 1000, 1)
    broken = "".join(f"@misc{{broken{n}, title={{x}}\n" for n in range(40000))[:1_000_000]
    started = time.perf_counter()
    response = client.post(f"/library/{target.pk}/import", {"text": broken}, follow=True)
    found["malformed_1mb_request_ms"] = round((time.perf_counter() - started) * 1000, 1)
    found["malformed_1mb_response_bytes"] = len(response.content)
    return found


if __name__ == "__main__":
    main()

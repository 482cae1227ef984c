"""How faithfully our /api/daily_papers answers as Hugging Face's did, for every recorded day.

    .venv/bin/python bench/hf_compat.py [--home DIR] [--days N]

Builds a fresh DAILYPAPERS_HOME (SQLite; or reuses --home), imports the recorded archive
../shared/data/hf-daily-papers/daily_papers_raw.jsonl.gz, starts the production server
(`dailypapers serve`) on loopback and, for each recorded day D (all 580, or the first --days):

* raw JSON: GET /api/daily_papers?date=D&limit=100 and compares it with the recorded
  response: the same papers in the same order (``order_equal_days``), and every recorded
  (item, field) value present and equal in our item (``fields_equal_pct``; a field is each key
  of the item and each key of its ``paper``);
* the client: huggingface_hub's HfApi(endpoint=...).list_daily_papers(date=D, limit=100); of the
  PaperInfo attributes the client fills from the recorded item (PaperInfo(**item)), how many it
  fills equally from our answer (``client_fields_filled_pct``).

Comparison rules (the only normalisations): title and summary compare with whitespace
collapsed (we unwrap arXiv's hard line breaks); timestamps compare as instants; the old
shape's single ``mediaUrl`` is served as ``mediaUrls: [url]``; our own additional keys are
ignored. Fields not served: none. Known differences (counted as unequal): other text fields
are stored with whitespace collapsed (a leading space in a projectPage, a line break inside a
githubRepo URL), and a keyword list of one empty string is stored empty.
The last line printed is one JSON object:
{"days": ..., "items": ..., "order_equal_days": ..., "fields_equal_pct": ..., "client_fields_filled_pct": ...,
 "fields_unequal": {field: count, ...}, "client_unequal": {attribute: count, ...}, "seconds": ...}
"""

from __future__ import annotations

import argparse
import collections
import copy
import datetime as dt
import gzip
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from _server import free_port, wait_for

ROOT = Path(__file__).resolve().parent.parent
ARCHIVE = ROOT.parent / "shared" / "data" / "hf-daily-papers" / "daily_papers_raw.jsonl.gz"
CLI = [sys.executable, "-m", "dailypapers.cli.main"]
TIMESTAMPS = {"publishedAt", "submittedOnDailyAt", "statusLastChangedAt"}
TEXTS = {"title", "summary"}
# PaperInfo attributes the bench compares (what the client makes of the recorded item vs of ours).
CLIENT_FIELDS = (
    "id",
    "title",
    "summary",
    "upvotes",
    "discussion_id",
    "comments",
    "published_at",
    "submitted_at",
    "submitted_by",
    "ai_summary",
    "ai_keywords",
    "organization",
    "project_page",
    "github_repo",
    "github_stars",
    "authors",
)


def env_for(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DAILYPAPERS_") and k != "DATABASE_URL"}
    env.update(
        DAILYPAPERS_HOME=str(home),
        DAILYPAPERS_SECRET_KEY="bench-" + os.urandom(16).hex(),
        DAILYPAPERS_API_READ_RATE="999999999/60",  # measuring throughput from one address, not abuse
        DAILYPAPERS_DEBUG="0",
        DAILYPAPERS_LOG_LEVEL="ERROR",
        PYTHONPATH=str(ROOT / "src"),
    )
    return env


def normalise(field: str, value):
    if value is None:
        return None
    if field in TEXTS and isinstance(value, str):
        return " ".join(value.split())
    if field in TIMESTAMPS and isinstance(value, str):
        return dt.datetime.fromisoformat(value).timestamp()
    if isinstance(value, dict):
        return {k: normalise(k, v) for k, v in value.items()}
    if isinstance(value, list):
        return [normalise(field, v) for v in value]
    return value


def recorded_fields(item: dict):
    """(name, recorded value, where ours is) per recorded field of an item and its paper."""
    for key, value in item.items():
        if key == "paper":
            continue
        if key == "mediaUrl":
            yield key, [value], ("mediaUrls",)
        else:
            yield key, value, (key,)
    for key, value in item["paper"].items():
        yield f"paper.{key}", value, ("paper", key)


def lookup(item: dict, path: tuple[str, ...]):
    for key in path:
        if not isinstance(item, dict) or key not in item:
            return KeyError
        item = item[key]
    return item


def covers(ours, recorded) -> bool:
    """Equal, where ours may hold more keys than the recorded object (our own additions)."""
    if isinstance(recorded, dict) and isinstance(ours, dict):
        return all(k in ours and covers(ours[k], v) for k, v in recorded.items())
    if isinstance(recorded, list) and isinstance(ours, list):
        return len(recorded) == len(ours) and all(covers(o, r) for o, r in zip(ours, recorded))
    return ours == recorded


def client_value(info, attribute: str):
    value = getattr(info, attribute, None)
    if isinstance(value, dt.datetime):
        return value.timestamp()
    if isinstance(value, str) and attribute in ("title", "summary"):
        return " ".join(value.split())
    if attribute == "submitted_by" and value is not None:
        return (value.username, value.fullname, getattr(value, "name", None))
    if attribute == "organization" and value is not None:
        return (value.name, value.fullname)
    if attribute == "authors" and value is not None:
        return [(a.name, a.status, a.user.username if a.user else None) for a in value]
    return value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, help="reuse this DAILYPAPERS_HOME (imported already, or imported now)")
    parser.add_argument("--days", type=int, default=0, help="compare only the first N recorded days")
    args = parser.parse_args()
    from huggingface_hub import HfApi
    from huggingface_hub.hf_api import PaperInfo

    started = time.monotonic()
    home = args.home or Path(tempfile.mkdtemp(prefix="hf-compat-"))
    home.mkdir(parents=True, exist_ok=True)
    env = env_for(home)
    if not (home / "dailypapers.sqlite3").exists():
        subprocess.run([*CLI, "migrate", "-v", "0"], env=env, check=True)
        print("importing the recorded archive ...", file=sys.stderr)
        subprocess.run([*CLI, "import", "--no-index", str(ARCHIVE)], env=env, check=True, stdout=subprocess.DEVNULL)
    port = free_port()
    server = subprocess.Popen(
        [*CLI, "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{base}/api/daily_papers?limit=1")
        with gzip.open(ARCHIVE) as stream:
            days = [json.loads(line) for line in stream]
        if args.days:
            days = days[: args.days]
        client = HfApi(endpoint=base)
        order_equal = items = fields = fields_equal = client_total = client_equal = 0
        unequal: collections.Counter = collections.Counter()
        client_unequal: collections.Counter = collections.Counter()
        for number, day in enumerate(days, 1):
            recorded = day["response"]
            with urllib.request.urlopen(f"{base}/api/daily_papers?date={day['date']}&limit=100") as response:
                ours = json.loads(response.read())
            order_equal += [i["paper"]["id"] for i in ours] == [i["paper"]["id"] for i in recorded]
            by_id = {i["paper"]["id"]: i for i in ours}
            infos = {info.id: info for info in client.list_daily_papers(date=day["date"], limit=100)}
            for item in recorded:
                items += 1
                mine = by_id.get(item["paper"]["id"], {})
                for name, value, path in recorded_fields(item):
                    field = name.split(".")[-1]
                    fields += 1
                    if covers(normalise(field, lookup(mine, path)), normalise(field, value)):
                        fields_equal += 1
                    else:
                        unequal[name] += 1
                info = infos.get(item["paper"]["id"])
                theirs = PaperInfo(**copy.deepcopy(item))  # what the client makes of the recorded item
                for attribute in CLIENT_FIELDS:
                    want = client_value(theirs, attribute)
                    if want is None:
                        continue
                    client_total += 1
                    if info is not None and client_value(info, attribute) == want:
                        client_equal += 1
                    else:
                        client_unequal[attribute] += 1
            if number % 50 == 0:
                print(f"{number}/{len(days)} days", file=sys.stderr)
    finally:
        server.terminate()
        server.wait(10)
    print(
        json.dumps(
            {
                "days": len(days),
                "items": items,
                "order_equal_days": order_equal,
                "fields_equal_pct": round(100 * fields_equal / max(fields, 1), 3),
                "client_fields_filled_pct": round(100 * client_equal / max(client_total, 1), 3),
                "fields_unequal": dict(unequal.most_common(12)),
                "client_unequal": dict(client_unequal.most_common(12)),
                "seconds": round(time.monotonic() - started, 1),
            }
        )
    )


if __name__ == "__main__":
    main()

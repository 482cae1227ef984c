"""A handful of recorded Hugging Face days from the real archive, for the import and client tests.

The days cover every shape in the archive: the oldest API shape (2024-05-27: no
submittedOnDailyAt, a single ``mediaUrl``), a day stored as a wrapper of Python-repr strings
(2025-01-10), a day with submitter organisations (2025-10-01) and the newest shape with
``ai_summary_model`` (2026-08-21).
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from tests.conftest import DATA

ARCHIVE = DATA / "hf-daily-papers" / "daily_papers_raw.jsonl.gz"
DAYS = ("2024-05-27", "2025-01-10", "2025-10-01", "2026-08-21")


def recorded_lines(days: tuple[str, ...] = DAYS) -> dict[str, dict]:
    """The archive's lines for ``days``, parsed, by date."""
    found = {}
    with gzip.open(ARCHIVE) as stream:
        for line in stream:
            if line[10:20].decode() in days or json.loads(line)["date"] in days:
                day = json.loads(line)
                if day["date"] in days:
                    found[day["date"]] = day
    return found


def write_days(path: Path, days: tuple[str, ...] = DAYS) -> dict[str, dict]:
    """Write those lines as a small archive file the importer reads; return them by date."""
    found = recorded_lines(days)
    path.write_text("".join(json.dumps(found[d]) + "\n" for d in days))
    return found


def import_days(path: Path, days: tuple[str, ...] = DAYS) -> dict[str, dict]:
    """Import those days with the real importer (as `dailypapers import` does)."""
    from dailypapers.ingest.importer import import_paths

    found = write_days(path, days)
    summary = import_paths([path], fmt="hf-raw")
    assert summary.rejected == 0, summary
    return found

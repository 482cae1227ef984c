"""The tf-idf space For you compares papers in: fitted on stored papers, kept as a file.

Fitting 75k papers takes minutes on two cores, so it runs on a bounded sample (the newest
DAILYPAPERS_RECS_FIT_PAPERS) in a background thread, started by the first page that needs it
(or by `dailypapers recommend --fit` from cron/worker). While it is missing For you falls back
to a cold-start ranking and says so. It is refitted once the stored papers grew by a fifth.
"""

from __future__ import annotations

import logging
import os
import pickle
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import close_old_connections

from dailypapers.rank.recommend import TextSpace, paper_text
from dailypapers.store.models import Paper

GROWTH_BEFORE_REFIT = 1.2
LOCK_EXPIRES_SECONDS = 3600
logger = logging.getLogger(__name__)
_lock = threading.Lock()
_fitting: threading.Thread | None = None
_memo: dict[str, tuple[int, Fitted]] = {}


@dataclass
class Fitted:
    space: TextSpace
    papers_at_fit: int
    version: str  # changes with every fit; part of every cache key


def path() -> Path:
    return Path(settings.CONFIG["DAILYPAPERS_HOME"]) / "recs" / "tfidf.pickle"


def load() -> Fitted | None:
    """The fitted space, read once per process per file version; None while there is none."""
    target = path()
    try:
        stamp = target.stat().st_mtime_ns
    except FileNotFoundError:
        return None
    cached = _memo.get(str(target))
    if cached and cached[0] == stamp:
        return cached[1]
    fitted = pickle.loads(target.read_bytes())
    _memo[str(target)] = (stamp, fitted)
    return fitted


def stored_count() -> int:
    return Paper.objects.filter(deleted=False).count()


def needs_fit(fitted: Fitted | None) -> bool:
    return fitted is None or stored_count() > GROWTH_BEFORE_REFIT * max(fitted.papers_at_fit, 1)


def fit(limit: int | None = None) -> Fitted | None:
    """Fit on the newest ``limit`` papers and write the file atomically (temp file + rename);
    None (and no file) while there are no papers."""
    limit = limit or settings.CONFIG["DAILYPAPERS_RECS_FIT_PAPERS"]
    count = stored_count()
    rows = (
        Paper.objects.filter(deleted=False)
        .order_by("-announced", "-id")
        .values_list("title", "abstract")
        .iterator(chunk_size=2000)
    )
    texts = [paper_text(title, abstract) for title, abstract in _take(rows, limit)]
    if not texts:
        return None
    # Tiny corpora (a fresh site, the tests) cannot afford min_df=2 and max_df=0.2.
    space = TextSpace(min_df=2 if len(texts) >= 1000 else 1, max_df=0.2 if len(texts) >= 1000 else 1.0)
    space.fit(texts)
    fitted = Fitted(space=space, papers_at_fit=count, version=f"{count}-{os.urandom(4).hex()}")
    target = path()
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
    with os.fdopen(handle, "wb") as out:
        pickle.dump(fitted, out, protocol=5)
    os.replace(tmp, target)
    return fitted


def _take(rows, limit):
    for index, row in enumerate(rows):
        if index >= limit:
            return
        yield row


def _claim() -> Path | None:
    """A lock file, so that of several server processes only one fits (a stale one expires)."""
    lock = path().with_name("fitting.lock")
    lock.parent.mkdir(parents=True, exist_ok=True)
    try:
        if time.time() - lock.stat().st_mtime > LOCK_EXPIRES_SECONDS:
            lock.unlink(missing_ok=True)
    except FileNotFoundError:
        pass
    try:
        os.close(os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return None
    return lock


def fit_in_background() -> bool:
    """Start a fit unless one is running here or in another process, or the setting is off."""
    global _fitting
    if not settings.CONFIG["DAILYPAPERS_RECS_FIT_IN_WEB"]:
        return False
    with _lock:
        if _fitting is not None and _fitting.is_alive():
            return True
        lock = _claim()
        if lock is None:
            return True

        def run():
            try:
                fit()
            except Exception:  # logged; the page keeps its cold start and a later request retries
                logger.exception("fitting the For you text model failed")
            finally:
                lock.unlink(missing_ok=True)
                close_old_connections()

        _fitting = threading.Thread(target=run, name="recs-fit", daemon=True)
        _fitting.start()
    return True


def fitting_now() -> bool:
    return _fitting is not None and _fitting.is_alive()

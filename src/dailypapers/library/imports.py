"""Collection imports from the web and the API: the caps, the rate limit, and the hand-off of large
imports to `dailypapers worker` (CollectionImport rows it works through batch by batch).

A web request does bounded work only: the text is measured (size, entry count) before it is parsed;
a small import runs at once in batches; a larger one (or one that fetches papers from arXiv) is
queued, and the collection page shows its progress. Whatever stops an import early, the reader is
told exactly what was saved and from which entry on nothing was.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import DatabaseError, transaction
from django.utils import timezone

from dailypapers import ratelimit
from dailypapers.library import paper_collections, transfer
from dailypapers.library.models import Collection, CollectionImport

log = logging.getLogger(__name__)

INLINE_FETCH = 10  # entries a request may fetch from arXiv itself (each fetch is a network round trip)
STALE = dt.timedelta(minutes=10)  # a running import not updated for this long lost its worker: resume it


def queue_needed(entries: int, fetch: bool) -> bool:
    return entries > settings.CONFIG["DAILYPAPERS_LIBRARY_IMPORT_INLINE_ENTRIES"] or (fetch and entries > INLINE_FETCH)


def start(user, pk: int, text: str, fetch: bool) -> transfer.ImportResult | CollectionImport:
    """Import now (small) or queue for the worker (large). Raises RateLimited, ImportRefused (one
    sentence: too large, too many entries) or Collection.DoesNotExist."""
    collection = paper_collections.get(user, pk)
    ratelimit.limit_import(user)  # here, so the site and the API share one count
    transfer.check_size(text)
    entries = transfer.count_entries(text)
    if queue_needed(entries, fetch):
        return CollectionImport.objects.create(user=user, collection=collection, text=text, fetch=fetch, total=entries)
    result = transfer.ImportResult()
    wanted = transfer.read_entries(text, result)
    done = 0

    def progress(count: int) -> None:
        nonlocal done
        done = count

    try:
        transfer.import_entries(
            user, pk, wanted, result, transfer.fetch_from_arxiv if fetch else None, after_batch=progress
        )
    except DatabaseError:  # e.g. the web statement_timeout: earlier batches are committed, say which
        log.exception("collection import stopped after %d of %d entries", done, len(wanted))
        result.stopped = _stopped_text("the database did not answer in time", done, len(wanted), len(result.added))
    return result


def _stopped_text(why: str, done: int, total: int, saved: int) -> str:
    return (
        f"Stopped after entry {done:,} of {total:,}: {why}. {saved:,} papers were saved; entries "
        f"{done + 1:,} to {total:,} were not imported (import the file again: papers already saved are skipped)."
    )


def describe(job: CollectionImport) -> str:
    """One line for the collection page."""
    if job.state == CollectionImport.WAITING:
        return f"Import of {job.total:,} entries is waiting for the worker."
    counts = (
        f"{job.added:,} added, {job.already:,} already there, "
        + (f"{job.fetched:,} fetched from arXiv, " if job.fetched else "")
        + f"{job.missing:,} not found, {job.unreadable:,} unreadable"
    )
    if job.state == CollectionImport.RUNNING:
        return f"Importing: {job.processed:,} of {job.total:,} readable entries done ({counts}). Reload to follow it."
    if job.state == CollectionImport.STOPPED:
        return f"Import: {counts}. {job.stop_reason}"
    return f"Import finished: {counts}."


def recent(collection: Collection, limit: int = 3) -> list[CollectionImport]:
    since = timezone.now() - dt.timedelta(days=1)
    return list(
        CollectionImport.objects.filter(collection=collection)
        .filter(created_at__gte=since)
        .defer("text")
        .order_by("-created_at", "-id")[:limit]
    )


def _claim() -> CollectionImport | None:
    now = timezone.now()
    with transaction.atomic():
        waiting = CollectionImport.objects.select_for_update(skip_locked=True, of=("self",)).select_related("user")
        job = (
            waiting.filter(state=CollectionImport.WAITING).order_by("created_at", "id").first()
            or waiting.filter(state=CollectionImport.RUNNING, updated_at__lt=now - STALE).order_by("id").first()
        )
        if job is None:
            return None
        job.state = CollectionImport.RUNNING
        job.save(update_fields=["state", "updated_at"])
    return job


def run_pending(limit: int = 5) -> int:
    """The worker's job: work through up to ``limit`` queued imports; how many ended."""
    ended = 0
    for _ in range(limit):
        job = _claim()
        if job is None:
            break
        run(job)
        ended += 1
    return ended


def run(job: CollectionImport) -> None:
    """Import the job's entries from ``processed`` on, its counts saved after each batch."""
    head = transfer.ImportResult()
    wanted = transfer.read_entries(job.text, head)
    if job.processed == 0:  # first run: the parse's own counts; a resumed run has them already
        job.total, job.unreadable, job.lines = len(wanted), head.error_count, head.lines()
        job.save(update_fields=["total", "unreadable", "lines", "updated_at"])
    base = {f: getattr(job, f) for f in ("added", "already", "fetched", "missing")}
    base_lines = list(job.lines)
    result = transfer.ImportResult()

    def counts() -> dict:
        return {
            "added": base["added"] + len(result.added),
            "already": base["already"] + len(result.already),
            "fetched": base["fetched"] + len(result.fetched),
            "missing": base["missing"] + result.missing_count,
            "lines": (base_lines + result.missing)[: transfer.MAX_REPORTED],
            "updated_at": timezone.now(),
        }

    def progress(done: int) -> None:
        CollectionImport.objects.filter(pk=job.pk).update(processed=done, **counts())

    fetch = transfer.fetch_from_arxiv if job.fetch else None
    try:
        transfer.import_entries(
            job.user, job.collection_id, wanted, result, fetch, start=job.processed, after_batch=progress
        )
    except Collection.DoesNotExist:
        return  # deleted meanwhile: its imports went with it
    except Exception as exc:
        log.exception("collection import %s stopped", job.pk)
        job.refresh_from_db(fields=["processed"])
        now = counts()
        why = _stopped_text(f"an error ({type(exc).__name__})", job.processed, len(wanted), now["added"])
        CollectionImport.objects.filter(pk=job.pk).update(
            state=CollectionImport.STOPPED, stop_reason=why, text="", **now
        )
        return
    state = CollectionImport.STOPPED if result.stopped else CollectionImport.DONE
    CollectionImport.objects.filter(pk=job.pk).update(state=state, stop_reason=result.stopped, text="", **counts())

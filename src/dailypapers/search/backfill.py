"""Compute and store paper embeddings (`dailypapers embed`), resumable chunk by chunk.

Candidates are papers without an embedding from the current model, or whose metadata
changed since their embedding (``Paper.change_seq`` past the embedding's ``seq``, which is
the change_seq of the text it was made from); of those, a paper whose title + abstract
hash is unchanged is only re-stamped, not re-embedded. Each chunk's embeddings and their
"embedding" changes in the store's feed commit in one transaction, so a killed run loses
at most one chunk and the indexers pick the new vectors up from the feed.

Two tiers (search/static.py): :func:`backfill_static` first gives every paper without a
vector a static one in seconds; :func:`backfill` with the full model then replaces those,
newest papers first (a static vector is simply one "from another model").
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
from django.conf import settings
from django.db import transaction
from django.db.models import DateField, F, Q, Value
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from dailypapers.search.embed import EMBEDDING_SPACE, Embedder, document_text
from dailypapers.search.models import VECTOR_DTYPE, PaperEmbedding
from dailypapers.search.static import STATIC_SPACE, StaticEmbedder
from dailypapers.store import changes, claims
from dailypapers.store.bulk import insert_values, update_rows
from dailypapers.store.models import Paper, PaperChange

Progress = Callable[[int, int], None]  # (papers done, papers to do)


@dataclass
class BackfillResult:
    embedded: int = 0
    unchanged: int = 0  # candidates whose text had not changed since their embedding
    seconds: float = 0.0
    embed_seconds: float = 0.0  # in the embedder (tokenizing and the model), in its thread
    database_seconds: float = 0.0  # reading candidates and storing vectors, overlapping the above

    @property
    def per_second(self) -> float:
        return self.embedded / self.seconds if self.seconds else 0.0

    def as_dict(self) -> dict:
        return {
            "embedded": self.embedded,
            "unchanged": self.unchanged,
            "seconds": round(self.seconds, 2),
            "embed_seconds": round(self.embed_seconds, 2),
            "database_seconds": round(self.database_seconds, 2),
            "abstracts_per_second": round(self.per_second, 1),
        }


def text_hash(title: str, abstract: str) -> str:
    return hashlib.blake2b(document_text(title, abstract).encode(), digest_size=16).hexdigest()


_NO_DAY = dt.date(1, 1, 1)


def _newest_first(papers):
    return papers.annotate(
        day=Coalesce("announced", TruncDate("first_submitted"), Value(_NO_DAY), output_field=DateField())
    ).order_by("-day", "-id")


def candidates(model_id: str):
    """Papers that may need a (new) embedding from ``model_id``, newest first (listing day,
    else submission day; then id), so semantic search covers recent papers soonest."""
    return _newest_first(
        Paper.objects.filter(deleted=False).filter(
            Q(embedding__isnull=True) | ~Q(embedding__model_id=model_id) | Q(change_seq__gt=F("embedding__seq"))
        )
    )


def static_candidates():
    """Papers the static tier should cover: no vector yet, a static one for an older text, or
    one from a space this version no longer searches. A full-model vector is never replaced
    by a static one (a changed text waits for the full model, keeping its old vector meanwhile)."""
    return _newest_first(
        Paper.objects.filter(deleted=False).filter(
            Q(embedding__isnull=True)
            | ~Q(embedding__model_id__in=[STATIC_SPACE, EMBEDDING_SPACE])
            | Q(embedding__model_id=STATIC_SPACE, change_seq__gt=F("embedding__seq"))
        )
    )


def remaining(model_id: str) -> int:
    """Papers still without a current embedding from ``model_id``."""
    return candidates(model_id).count()


def papers_to_cover() -> int:
    """Every paper an embedding pass covers: the one denominator of its progress across restarts."""
    return Paper.objects.filter(deleted=False).count()


def backfill_static(embedder: StaticEmbedder, chunk: int = 4096, progress: Progress | None = None) -> BackfillResult:
    """Give every paper in :func:`static_candidates` a static vector (seconds for 100k papers)."""
    return backfill(embedder, chunk=chunk, progress=progress, todo=static_candidates())


def backfill(
    embedder: Embedder | StaticEmbedder,
    chunk: int = 1024,
    limit: int | None = None,
    progress: Progress | None = None,
    todo=None,
    lease: float | None = None,
) -> BackfillResult:
    """Embed every candidate paper (at most ``limit``), committing each chunk in order.

    The model runs one chunk ahead in a worker thread while this thread (the only one
    touching the database) stores the previous chunk and reads the next: on a GPU the
    database work would otherwise leave the model idle for a third of the time.

    Papers are claimed a chunk at a time (store/claims.py, for ``lease`` seconds, default
    DAILYPAPERS_WORK_LEASE), so workers on several machines running this at once each embed
    different papers; a worker that finds the rest held by others waits until they are stored
    or their lease runs out, and then takes them over.
    """
    model_id = embedder.model_id
    todo = candidates(model_id) if todo is None else todo
    total = todo.count()
    if limit is not None:
        total = min(total, limit)
    lease = float(settings.CONFIG["DAILYPAPERS_WORK_LEASE"]) if lease is None else lease
    work = _Work(f"embed:{model_id}", claims.worker_id(), lease)
    result = BackfillResult()
    started = time.monotonic()
    last_key, read, skipped = None, 0, 0
    pending: _Chunk | None = None

    def timed_embed(texts: list[str]) -> tuple[np.ndarray, float]:
        t0 = time.monotonic()
        return embedder.embed(texts), time.monotonic() - t0

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="embed") as model:
        while True:
            current, t0, wait = None, time.monotonic(), False
            if read < total:
                # Keyset paging on (day, id), newest first: resumes exactly after the last chunk read.
                after = (
                    todo
                    if last_key is None
                    else todo.filter(Q(day__lt=last_key[0]) | Q(day=last_key[0], id__lt=last_key[1]))
                )
                # Keys first, texts second: sorting every candidate with its abstract attached
                # spilled SQLite's sorter to disk (~15 s a chunk at 80k papers on a loaded machine).
                keys = list(after.values_list("day", "id")[: min(chunk, total - read)])
                if keys:
                    last_key = keys[-1]
                    # Other workers may hold some of these: embed only what this one wins. The texts
                    # are read after the claim, so a paper another worker stored meanwhile is seen as
                    # embedded (only re-stamped), never embedded twice.
                    mine = work.claim([pk for _, pk in keys])
                    skipped += len(keys) - len(mine)
                    keys = [key for key in keys if key[1] in mine]
                    read += len(keys)
                    texts = {
                        row[0]: row
                        for row in Paper.objects.filter(id__in=[pk for _, pk in keys]).values_list(
                            "id",
                            "title",
                            "abstract",
                            "embedding__model_id",
                            "embedding__text_hash",
                            "arxiv_id",
                            "change_seq",
                        )
                    }
                    current = _Chunk.of([texts[pk] for _, pk in keys if pk in texts], model_id)
                    current.claimed = [pk for _, pk in keys]
                    current.vectors = model.submit(timed_embed, current.texts) if current.texts else None
                elif skipped:
                    # The end of a pass that left papers to other workers: start again from the
                    # newest once they are stored, or their lease ran out (their worker died).
                    last_key, skipped, wait = None, 0, True
            result.database_seconds += time.monotonic() - t0
            if pending is not None:
                _finish(pending, model_id, result, progress, total, work)
                pending = None
            if wait:
                time.sleep(min(lease, _POLL_SECONDS))
                continue
            if current is None:
                break
            pending = current
    result.seconds = time.monotonic() - started
    return result


_POLL_SECONDS = 2.0  # how often a worker that ran out of free papers looks again


@dataclass
class _Work:
    """This run's claims on papers to embed (store/claims.py), so several workers split them."""

    kind: str
    worker: str
    lease: float

    def claim(self, pks: list[int]) -> set[int]:
        return {int(pk) for pk in claims.claim(self.kind, [str(pk) for pk in pks], self.worker, self.lease)}

    def release(self, pks: list[int]) -> set[int]:
        return {int(pk) for pk in claims.release(self.kind, [str(pk) for pk in pks], self.worker)}


@dataclass
class _Chunk:
    """Read rows: those to embed (``stale``) and those only re-stamped (``kept``), each
    with the paper's change_seq as read (the text version an embedding stands for)."""

    stale: list[tuple[int, str, int]]  # (paper pk, arxiv id, change_seq)
    hashes: list[str]
    texts: list[str]
    kept: list[tuple[int, int]]  # (paper pk, change_seq)
    vectors: Future | None = None
    claimed: list[int] = field(default_factory=list)  # every paper claimed for it, read or not

    @classmethod
    def of(cls, rows: list[tuple], model_id: str) -> _Chunk:
        hashes = [text_hash(row[1], row[2]) for row in rows]
        stale = [i for i, row in enumerate(rows) if row[3] != model_id or row[4] != hashes[i]]
        stale_set = set(stale)
        return cls(
            stale=[(rows[i][0], rows[i][5], rows[i][6]) for i in stale],
            hashes=[hashes[i] for i in stale],
            texts=[document_text(rows[i][1], rows[i][2]) for i in stale],
            kept=[(rows[i][0], rows[i][6]) for i in range(len(rows)) if i not in stale_set],
        )


def _finish(
    done: _Chunk, model_id: str, result: BackfillResult, progress: Progress | None, total: int, work: _Work
) -> None:
    vectors = np.zeros((0, 0))
    if done.vectors is not None:
        vectors, seconds = done.vectors.result()
        result.embed_seconds += seconds
    t0 = time.monotonic()
    stored, kept = _store(model_id, done.stale, done.hashes, vectors, done.kept, work, done.claimed)
    result.database_seconds += time.monotonic() - t0
    result.embedded += stored
    result.unchanged += kept
    if progress:
        progress(result.embedded + result.unchanged, total)


def _store(
    model_id: str,
    stale: list[tuple[int, str, int]],
    hashes: list[str],
    vectors: np.ndarray,
    unchanged: list[tuple[int, int]],
    work: _Work,
    claimed: list[int],
) -> tuple[int, int]:
    """Store the chunk's vectors for the papers this worker still holds; return (stored, re-stamped)."""
    with transaction.atomic():
        # A paper whose lease another worker took over (this one was too slow) is that worker's to store.
        held = work.release(claimed)
        keep = [i for i, (pid, _, _) in enumerate(stale) if pid in held]
        unchanged = [row for row in unchanged if row[0] in held]
        if keep:
            changes.begin_write()
            blobs = np.asarray(vectors, dtype=VECTOR_DTYPE)
            now = timezone.now()
            # Plain-SQL upsert: bulk_create's per-value preparation took 70% of a GPU chunk's store.
            insert_values(
                PaperEmbedding,
                ["paper", "model_id", "vector", "text_hash", "seq", "created_at"],
                ((stale[i][0], model_id, blobs[i].tobytes(), hashes[i], stale[i][2], now) for i in keep),
                update_on_conflict="paper",
            )
            # The indexers learn of the new vectors from the feed.
            changes.record(((stale[i][0], stale[i][1]) for i in keep), PaperChange.EMBEDDING)
        if unchanged:
            # Same text as embedded: mark as current without re-sending the vector anywhere.
            update_rows(PaperEmbedding, [PaperEmbedding(paper_id=pid, seq=seq) for pid, seq in unchanged], ["seq"])
    return len(keep), len(unchanged)

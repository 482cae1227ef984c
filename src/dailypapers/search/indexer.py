"""This machine's search indexes, kept in step with the database's change log.

Layout under ``settings.SEARCH_INDEX_DIR`` (``$DAILYPAPERS_HOME/index``)::

    writer.lock          fcntl lock: one writer per machine
    state.json           cursor, model id, generation; replaced atomically after commits
    g<N>/keyword/        tantivy index
    g<N>/vectors/        VectorIndex (saved by rename)

The database is the source of truth. Each Paper write stamps ``change_seq`` (store/changes.py),
so the indexer reads papers past its cursor in (change_seq, id) order, applies them to both
indexes, commits both, and only then moves the cursor in state.json. A crash anywhere in
between re-applies some papers next time (upserts are idempotent) and never skips one.
A rebuild writes a new generation and switches state.json to it, so readers keep serving
the old one until it is complete.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import NamedTuple

import numpy as np
from django.conf import settings
from django.db.models import F, Value
from django.db.models.functions import Coalesce

from dailypapers.search.embed import EMBEDDING_SPACE
from dailypapers.search.keyword import KeywordIndex, day_number
from dailypapers.search.models import VECTOR_DTYPE, PaperEmbedding
from dailypapers.search.vectors import VectorIndex, grown
from dailypapers.store.changes import changed_after, current_change_seq

CHUNK = 1000
# Rows applied between commits on a long catch-up: bounds the work a crash throws away.
COMMIT_EVERY = 100_000

Progress = Callable[[int, int], None]  # (papers applied, papers to apply)


@dataclass(frozen=True)
class State:
    seq: int = 0  # every change up to (seq, last_id) is in both indexes
    last_id: int = 0
    model_id: str | None = None  # the embedding model of the vectors
    generation: int = 0  # subdirectory g<N> holding both indexes
    vectors_version: int = 0  # bumped whenever the vector files change, so readers reload only then
    keyword_docs: int = 0
    vectors: int = 0


@dataclass(frozen=True)
class CatchUpResult:
    applied: int  # papers read from the change log this run
    state: State
    busy: bool = False  # another process holds the writer lock: nothing was done
    complete: bool = True  # False when the time limit stopped it early

    def as_dict(self) -> dict:
        return {"applied": self.applied, "busy": self.busy, "complete": self.complete, **asdict(self.state)}


def index_dir() -> Path:
    return Path(settings.SEARCH_INDEX_DIR)


def generation_dir(root: Path, state: State) -> Path:
    return root / f"g{state.generation}"


def current_model_id() -> str:
    """The vector space queries are embedded in on this machine."""
    return EMBEDDING_SPACE


def read_state(root: Path | None = None) -> State:
    path = (root or index_dir()) / "state.json"
    try:
        state = State(**json.loads(path.read_text()))
    except FileNotFoundError:
        return State()
    if state.model_id and state.model_id.startswith(f"{EMBEDDING_SPACE}:"):
        # Named by model file until vectors were tagged by space (same vectors: no reload).
        state = replace(state, model_id=EMBEDDING_SPACE)
    return state


def _write_state(root: Path, state: State) -> None:
    tmp = root / f"state.json.tmp-{os.getpid()}"
    with open(tmp, "w") as f:
        json.dump(asdict(state), f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, root / "state.json")


@contextmanager
def _writer_lock(root: Path, wait: bool) -> Iterator[bool]:
    root.mkdir(parents=True, exist_ok=True)
    with open(root / "writer.lock", "a") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


class Change(NamedTuple):
    """One changed paper as the indexes need it (plain values: ~3x faster than model instances)."""

    pk: int
    arxiv_id: str
    title: str
    abstract: str
    authors: list[str]
    categories: str
    announced: dt.date | None
    first_submitted: dt.datetime | None
    deleted: bool
    change_seq: int
    votes: int


def paper_date(announced: dt.date | None, first_submitted: dt.datetime | None) -> dt.date | None:
    """The date search filters and sorts by: the listing day, else the first submission."""
    return announced or (first_submitted.date() if first_submitted else None)


def paper_doc(change: Change) -> dict:
    """The keyword document of a changed paper."""
    date = paper_date(change.announced, change.first_submitted)
    return {
        "id": change.arxiv_id, "title": change.title, "abstract": change.abstract, "authors": change.authors,
        "categories": change.categories.split(), "date": date, "votes": change.votes,
    }


def _changes_after(seq: int, last_id: int):
    votes = Coalesce(F("stats__community_votes"), Value(0)) + Coalesce(F("stats__hf_votes"), Value(0))
    return changed_after(seq, last_id).annotate(total_votes=votes).values_list(*Change._fields[:-1], "total_votes")


class _HeldVectors:
    """Per paper id, the embedding seq whose vector this machine's vector index holds (0: none)
    and the day it holds with it.

    A paper's later writes (a vote) move its change_seq past its embedding's seq, and a
    time-limited catch-up may pass an embedding's seq before reaching the paper, so "is this
    vector new here" is answered per machine, not from sequence numbers. The days let a
    date change reach the vector index without loading it for every vote. Dense arrays by
    paper id: 35 MB at 2.9M papers, loaded in milliseconds.
    """

    def __init__(self, seqs_path: Path):
        self.paths = {"seqs": seqs_path, "days": seqs_path.with_name("vector_days.npy")}
        self.seqs = np.load(self.paths["seqs"]) if self.paths["seqs"].exists() else np.zeros(0, dtype=np.int64)
        self.days = np.load(self.paths["days"]) if self.paths["days"].exists() else np.zeros(0, dtype=np.int32)
        if len(self.days) < len(self.seqs):
            self.days = grown(self.days, len(self.seqs), -1)

    def clear(self) -> None:
        self.seqs = np.zeros(0, dtype=np.int64)
        self.days = np.zeros(0, dtype=np.int32)

    def get(self, pks: list[int]) -> tuple[np.ndarray, np.ndarray]:
        """(seqs, days) for ``pks``; seq 0 for papers without a vector here."""
        idx = np.asarray(pks, dtype=np.int64)
        seqs, days = np.zeros(len(idx), dtype=np.int64), np.full(len(idx), -1, dtype=np.int32)
        inside = idx < len(self.seqs)
        seqs[inside], days[inside] = self.seqs[idx[inside]], self.days[idx[inside]]
        return seqs, days

    def set(self, pks: list[int], seqs: list[int] | int | None = None, days: list[int] | np.ndarray | None = None) -> None:
        idx = np.asarray(pks, dtype=np.int64)
        if len(idx) and idx.max() >= len(self.seqs):
            size = max(int(idx.max()) + 1, 2 * len(self.seqs))
            self.seqs, self.days = grown(self.seqs, size), grown(self.days, size, -1)
        if seqs is not None:
            self.seqs[idx] = seqs
        if days is not None:
            self.days[idx] = days

    def save(self) -> None:
        for name, array in (("days", self.days), ("seqs", self.seqs)):
            path = self.paths[name]
            tmp = path.with_name(f"{path.name}.tmp-{os.getpid()}.npy")
            np.save(tmp, array)
            os.replace(tmp, path)


class _Writer:
    """Both indexes of one generation, open for writing, and the state they are at."""

    def __init__(self, root: Path, state: State, model_id: str):
        self.root = root
        self.state = state
        self.model_id = model_id
        gen = generation_dir(root, state)
        self.keyword = KeywordIndex(gen / "keyword", shards=settings.SEARCH_SHARDS)
        self.vectors_path = gen / "vectors"
        self._vectors: VectorIndex | None = None
        self._held: _HeldVectors | None = None
        self.vectors_dirty = False
        self.committed = state  # cursor of what is durable in both indexes

    @property
    def vectors(self) -> VectorIndex:
        # Loaded on first need: a catch-up of vote changes alone never reads a 1M-vector index.
        if self._vectors is None:
            self._vectors = VectorIndex.open(self.vectors_path)
        return self._vectors

    @property
    def held(self) -> _HeldVectors:
        if self._held is None:
            self._held = _HeldVectors(self.vectors_path.with_name("vector_seqs.npy"))
        return self._held

    def _stored(self):
        """This model's stored embeddings of live papers."""
        return PaperEmbedding.objects.filter(model_id=self.model_id, paper__deleted=False)

    def _stored_chunks(self, *fields: str) -> Iterator[list[tuple]]:
        """The stored embeddings in paper id order, a chunk at a time: rows of (paper_id, *fields)."""
        rows, last = self._stored(), 0
        while chunk := list(rows.filter(paper_id__gt=last).order_by("paper_id").values_list("paper_id", *fields)[:CHUNK * 10]):
            last = chunk[-1][0]
            yield chunk

    def load_all_vectors(self, progress: Progress | None) -> None:
        """Fill the vector index from every stored embedding of the current model."""
        self._vectors = VectorIndex(self.vectors_path)
        self.held.clear()
        total, done = self._stored().count(), 0
        for chunk in self._stored_chunks("paper__arxiv_id", "vector", "seq", "paper__announced", "paper__first_submitted"):
            days = [day_number(paper_date(r[4], r[5])) for r in chunk]
            self.vectors.add([r[1] for r in chunk], _matrix([r[2] for r in chunk]), days)
            self.held.set([r[0] for r in chunk], [r[3] for r in chunk], days)
            done += len(chunk)
            if progress:
                progress(done, total)
        self.vectors_dirty = True
        self.state = replace(self.state, model_id=self.model_id)

    def fill_days(self) -> None:
        """Give every held vector its paper's day (indexes saved before vectors kept days)."""
        for chunk in self._stored_chunks("paper__arxiv_id", "paper__announced", "paper__first_submitted"):
            held = self.held.get([r[0] for r in chunk])[0] != 0
            chunk = [r for r, is_held in zip(chunk, held.tolist()) if is_held]
            days = [day_number(paper_date(r[2], r[3])) for r in chunk]
            self.vectors.set_days([r[1] for r in chunk], days)
            self.held.set([r[0] for r in chunk], days=days)
        self.vectors.knows_days = True
        self.vectors_dirty = True

    def apply(self, papers: list[Change]) -> None:
        live = [p for p in papers if not p.deleted]
        gone = [p.arxiv_id for p in papers if p.deleted]
        self.keyword.update(paper_doc(p) for p in live)
        self.keyword.delete(gone)
        gone_pks = [p.pk for p in papers if p.deleted]
        if gone_pks and self.held.get(gone_pks)[0].any():
            self.vectors.remove(gone)
            self.held.set(gone_pks, 0)
            self.vectors_dirty = True
        day = {p.pk: day_number(paper_date(p.announced, p.first_submitted)) for p in live}
        ids = {p.pk: p.arxiv_id for p in live}
        # Only vectors this machine does not hold yet are fetched and added (vote bumps send none).
        stored = list(PaperEmbedding.objects.filter(paper_id__in=[p.pk for p in live], model_id=self.model_id)
                      .values_list("paper_id", "seq"))
        if stored:
            held_seqs, held_days = self.held.get([pid for pid, _ in stored])
            needed = {pid: seq for (pid, seq), have in zip(stored, held_seqs) if seq != have}
            if needed:
                rows = list(PaperEmbedding.objects.filter(paper_id__in=list(needed), model_id=self.model_id)
                            .values_list("paper_id", "vector", "seq"))
                days = [day[pid] for pid, _, _ in rows]
                self.vectors.add([ids[pid] for pid, _, _ in rows], _matrix([vec for _, vec, _ in rows]), days)
                self.held.set([pid for pid, _, _ in rows], [seq for _, _, seq in rows], days)
                self.vectors_dirty = True
            # A held vector whose paper moved to another day (its text, and so its vector, unchanged).
            # (Day -1: held since before days were kept; fill_days() sets those all at once.)
            moved = [pid for (pid, _), have, held_day in zip(stored, held_seqs, held_days)
                     if pid not in needed and have and held_day not in (-1, day[pid])]
            if moved:
                self.vectors.set_days([ids[pid] for pid in moved], [day[pid] for pid in moved])
                self.held.set(moved, days=[day[pid] for pid in moved])
                self.vectors_dirty = True
        last = papers[-1]
        self.state = replace(self.state, seq=last.change_seq, last_id=last.pk)

    def commit(self) -> None:
        self.keyword.commit()
        state = replace(self.state, keyword_docs=len(self.keyword),
                        vectors=len(self._vectors) if self._vectors is not None else self.state.vectors)
        if self.vectors_dirty:
            self.vectors.save()
            self.held.save()  # after the vectors: a crash between the two only re-applies some
            state = replace(state, vectors_version=state.vectors_version + 1)
            self.vectors_dirty = False
        _write_state(self.root, state)
        self.state = self.committed = state

    def close(self) -> None:
        self.keyword.close()


def _matrix(blobs: list) -> np.ndarray:
    return np.frombuffer(b"".join(bytes(b) for b in blobs), dtype=VECTOR_DTYPE).reshape(len(blobs), -1).astype(np.float32)


def catch_up(limit_seconds: float | None = None, progress: Progress | None = None, wait: bool = False) -> CatchUpResult:
    """Apply every paper change past this machine's cursor to both indexes.

    Without the writer lock (another process on this machine is catching up) nothing is
    done unless ``wait``; readers keep serving the current index. ``limit_seconds`` stops
    early (after a commit) so a web request never waits long; the next call continues.
    """
    root = index_dir()
    with _writer_lock(root, wait) as held:
        if not held:
            return CatchUpResult(applied=0, state=read_state(root), busy=True)
        state = read_state(root)
        if state.seq > current_change_seq():
            # The index is ahead of the database (restored backup, another database): start over.
            return _rebuild_locked(root, state, progress)
        if not KeywordIndex.is_current(generation_dir(root, state) / "keyword"):
            # Written by an older version (another document schema): rebuilt, never half-read.
            return _rebuild_locked(root, state, progress)
        return _run(root, state, limit_seconds, progress)


def rebuild(progress: Progress | None = None) -> CatchUpResult:
    """Build both indexes from scratch in a new generation, then switch readers to it."""
    root = index_dir()
    with _writer_lock(root, wait=True):
        return _rebuild_locked(root, read_state(root), progress)


def _rebuild_locked(root: Path, old: State, progress: Progress | None) -> CatchUpResult:
    fresh = State(generation=old.generation + 1, vectors_version=old.vectors_version + 1)
    shutil.rmtree(generation_dir(root, fresh), ignore_errors=True)
    result = _run(root, fresh, None, progress)
    if old.generation != fresh.generation:
        shutil.rmtree(generation_dir(root, old), ignore_errors=True)
    return result


def _run(root: Path, state: State, limit_seconds: float | None, progress: Progress | None) -> CatchUpResult:
    deadline = time.monotonic() + limit_seconds if limit_seconds else None
    model_id = current_model_id()
    writer = _Writer(root, state, model_id)
    applied, pending, complete = 0, 0, True
    try:
        if state == State(generation=state.generation, vectors_version=state.vectors_version):
            # A fresh index: the pass from change 0 brings every stored vector anyway.
            writer.state = replace(state, model_id=model_id)
        elif state.model_id != model_id:
            writer.load_all_vectors(None)
        elif limit_seconds is None and state.vectors and not VectorIndex.saved_with_days(writer.vectors_path):
            writer.fill_days()
        total = _changes_after(state.seq, state.last_id).count() if progress else 0
        while True:
            papers = [Change(*row) for row in _changes_after(writer.state.seq, writer.state.last_id)[:CHUNK]]
            if not papers:
                break
            writer.apply(papers)
            applied += len(papers)
            pending += len(papers)
            if progress:
                progress(applied, total)
            if deadline is not None and time.monotonic() > deadline:
                complete = False
                break
            if pending >= COMMIT_EVERY:
                writer.commit()
                pending = 0
        if pending or writer.vectors_dirty or writer.state != writer.committed or not (root / "state.json").exists():
            writer.commit()
    finally:
        writer.close()
    return CatchUpResult(applied=applied, state=writer.committed, complete=complete)

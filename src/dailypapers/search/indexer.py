"""This machine's search indexes, kept in step with the store's change feed.

Layout under ``settings.SEARCH_INDEX_DIR`` (``$DAILYPAPERS_HOME/index``)::

    writer.lock          fcntl lock: one writer per machine
    embedder.lock        fcntl lock held while `dailypapers embed` runs here (it indexes its own vectors)
    state.json           feed cursor, model id, generation; replaced atomically after commits
    g<N>/keyword/        tantivy index
    g<N>/vectors/        VectorIndex of full-model vectors (saved by rename)
    g<N>/vectors-static/ VectorIndex of the fast tier's static vectors (search/static.py)

The database is the source of truth. Every write that affects what an index shows of a
paper appends a change to the store's feed (store/changes.py: metadata, deleted, hidden,
votes, embedding), so the indexer reads changes past its cursor in feed order, re-reads
the papers they name, applies them to both indexes, commits both, and only then moves the
cursor in state.json. A crash anywhere in between re-applies some changes next time
(upserts are idempotent) and never skips one (feed ids commit in order: see changes.py).
A paper the store's visibility rule does not show (deleted, withdrawn, hidden) is removed
from both indexes. A paper's vector sits in the vector index of its embedding's space: the
static tier's until the full model's replaces it, which moves it across (search/tiers.py). A rebuild writes a new generation from the whole feed and switches
state.json to it, so readers keep serving the old one until it is complete.
"""

from __future__ import annotations

import datetime as dt
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
from dailypapers.search.static import STATIC_SPACE
from dailypapers.search.vectors import VectorIndex
from dailypapers.store.changes import Change, changes_after, last_change_id
from dailypapers.store.locks import file_lock
from dailypapers.store.models import Paper, PaperChange
from dailypapers.store.visibility import is_shown, shown

CHUNK = 1000
# Changes applied between commits on a long catch-up: bounds the work a crash throws away.
COMMIT_EVERY = 100_000

Progress = Callable[[int, int], None]  # (changes applied, changes to apply)


@dataclass(frozen=True)
class State:
    feed: int = 0  # every feed change up to this id is in both indexes
    model_id: str | None = None  # the embedding model of the vectors
    generation: int = 0  # subdirectory g<N> holding both indexes
    vectors_version: int = 0  # bumped whenever the vector files change, so readers reload only then
    keyword_docs: int = 0
    vectors: int = 0  # full-model vectors
    static_vectors: int = 0  # papers searched through the fast static tier until their full vector comes


@dataclass(frozen=True)
class CatchUpResult:
    applied: int  # feed changes read this run
    state: State
    busy: bool = False  # another process holds the writer lock: nothing was done
    complete: bool = True  # False when the time limit stopped it early

    def as_dict(self) -> dict:
        return {"applied": self.applied, "busy": self.busy, "complete": self.complete, **asdict(self.state)}


def index_dir() -> Path:
    return Path(settings.SEARCH_INDEX_DIR)


def generation_dir(root: Path, state: State) -> Path:
    return root / f"g{state.generation}"


STATIC_VECTORS = "vectors-static"


def current_model_id() -> str:
    """The vector space queries are embedded in on this machine."""
    return EMBEDDING_SPACE


def read_state(root: Path | None = None) -> State:
    path = (root or index_dir()) / "state.json"
    try:
        return State(**json.loads(path.read_text()))
    except FileNotFoundError:
        return State()


def _write_state(root: Path, state: State) -> None:
    tmp = root / f"state.json.tmp-{os.getpid()}"
    with open(tmp, "w") as f:
        json.dump(asdict(state), f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, root / "state.json")


class IndexedPaper(NamedTuple):
    """One paper as the indexes need it (plain values: ~3x faster than model instances)."""

    pk: int
    arxiv_id: str
    title: str
    abstract: str
    authors: list[str]
    categories: str
    announced: dt.date | None
    first_submitted: dt.datetime | None
    deleted: bool
    withdrawn: bool
    hidden: bool
    votes: int


def paper_date(announced: dt.date | None, first_submitted: dt.datetime | None) -> dt.date | None:
    """The date search filters and sorts by: the listing day, else the first submission."""
    return announced or (first_submitted.date() if first_submitted else None)


def paper_doc(paper: IndexedPaper) -> dict:
    """The keyword document of a paper."""
    date = paper_date(paper.announced, paper.first_submitted)
    return {
        "id": paper.arxiv_id,
        "title": paper.title,
        "abstract": paper.abstract,
        "authors": paper.authors,
        "categories": paper.categories.split(),
        "date": date,
        "votes": paper.votes,
    }


def _papers(pks: list[int]) -> list[IndexedPaper]:
    votes = Coalesce(F("stats__community_votes"), Value(0)) + Coalesce(F("stats__hf_votes"), Value(0))
    rows = (
        Paper.objects.filter(pk__in=pks)
        .annotate(total_votes=votes)
        .values_list(*IndexedPaper._fields[:-1], "total_votes")
    )
    return [IndexedPaper(*row) for row in rows]


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
        self.static_path = gen / STATIC_VECTORS
        self._static: VectorIndex | None = None
        self.vectors_dirty = False
        self.committed = state  # cursor of what is durable in both indexes

    @property
    def vectors(self) -> VectorIndex:
        # Loaded on first need: a catch-up of vote changes alone never reads a 1M-vector index.
        if self._vectors is None:
            self._vectors = VectorIndex.open(self.vectors_path)
        return self._vectors

    @property
    def static(self) -> VectorIndex:
        if self._static is None:
            self._static = VectorIndex.open(self.static_path)
        return self._static

    def _tiers(self) -> dict[str, VectorIndex]:
        return {self.model_id: self.vectors, STATIC_SPACE: self.static}

    def _place(self, rows: list[tuple[str, str, int, bytes]]) -> None:
        """Put each (arxiv id, model id, day, vector) into its space's index, out of the other's."""
        tiers = self._tiers()
        for model_id, index in tiers.items():
            mine = [r for r in rows if r[1] == model_id]
            if mine:
                index.add([r[0] for r in mine], _matrix([r[3] for r in mine]), [r[2] for r in mine])
            others = [r[0] for r in rows if r[1] != model_id and r[0] in index]
            if others:
                index.remove(others)

    def load_all_vectors(self, progress: Progress | None) -> None:
        """Fill the vector indexes from every stored embedding of the current model and of the
        static tier (shown papers)."""
        self._vectors = VectorIndex(self.vectors_path)
        self._static = VectorIndex(self.static_path)
        stored = PaperEmbedding.objects.filter(shown("paper__"), model_id__in=list(self._tiers()))
        total, done, last = stored.count(), 0, 0
        fields = ("paper_id", "paper__arxiv_id", "vector", "paper__announced", "paper__first_submitted", "model_id")
        while chunk := list(stored.filter(paper_id__gt=last).order_by("paper_id").values_list(*fields)[: CHUNK * 10]):
            last = chunk[-1][0]
            self._place([(r[1], r[5], day_number(paper_date(r[3], r[4])), r[2]) for r in chunk])
            done += len(chunk)
            if progress:
                progress(done, total)
        self.vectors_dirty = True
        self.state = replace(self.state, model_id=self.model_id)

    def apply(self, changes: list[Change]) -> None:
        """Bring both indexes to the current state of the papers these changes name."""
        named = {c.paper_id: c.arxiv_id for c in changes}
        # A vote total moves only the keyword document's "votes"; anything else may move the vector too.
        vector_news = {c.paper_id for c in changes if c.kind != PaperChange.VOTES}
        papers = _papers(list(named))
        live = [p for p in papers if is_shown(p.deleted, p.withdrawn, p.hidden)]
        live_pks = {p.pk for p in live}
        gone = [arxiv_id for pk, arxiv_id in named.items() if pk not in live_pks]
        # A new vector leaves the keyword document as it was (the paper's earlier metadata change
        # wrote it): after the fast tier that would be every paper re-added to tantivy for nothing.
        text_news = {c.paper_id for c in changes if c.kind != PaperChange.EMBEDDING}
        self.keyword.update(paper_doc(p) for p in live if p.pk in text_news)
        self.keyword.delete(gone)
        for loaded, path, index in (
            (self._vectors, self.vectors_path, lambda: self.vectors),
            (self._static, self.static_path, lambda: self.static),
        ):
            if gone and (loaded is not None or (path / "meta.json").exists()):
                present = [a for a in gone if a in index()]
                if present:
                    index().remove(present)
                    self.vectors_dirty = True
        wanted = {p.pk: p for p in live if p.pk in vector_news}
        if wanted:
            rows = list(
                PaperEmbedding.objects.filter(paper_id__in=list(wanted), model_id__in=list(self._tiers())).values_list(
                    "paper_id", "model_id", "vector"
                )
            )
            if rows:
                self._place(
                    [
                        (
                            wanted[pk].arxiv_id,
                            model_id,
                            day_number(paper_date(wanted[pk].announced, wanted[pk].first_submitted)),
                            vector,
                        )
                        for pk, model_id, vector in rows
                    ]
                )
                self.vectors_dirty = True
        self.state = replace(self.state, feed=changes[-1].id)

    def commit(self) -> None:
        self.keyword.commit()
        state = replace(
            self.state,
            keyword_docs=len(self.keyword),
            vectors=len(self._vectors) if self._vectors is not None else self.state.vectors,
            static_vectors=len(self._static) if self._static is not None else self.state.static_vectors,
        )
        if self.vectors_dirty:
            self.vectors.save()
            self.static.save()
            state = replace(state, vectors_version=state.vectors_version + 1)
            self.vectors_dirty = False
        _write_state(self.root, state)
        self.state = self.committed = state

    def close(self) -> None:
        self.keyword.close()


def _matrix(blobs: list) -> np.ndarray:
    return (
        np.frombuffer(b"".join(bytes(b) for b in blobs), dtype=VECTOR_DTYPE).reshape(len(blobs), -1).astype(np.float32)
    )


@contextmanager
def embedding_here() -> Iterator[bool]:
    """Held by `dailypapers embed` while it runs (True when this process holds it).

    Its vectors then reach the index through its own catch-ups, at its low priority: the web
    server's refresher leaves a backlog of embedding changes alone (see ``refresher``), so a
    page never waits on a worker process saving vector files. The kernel drops the lock when the
    embedder ends, however it ends, and the refresher takes the backlog over."""
    path = index_dir() / "embedder.lock"
    for _ in range(20):  # another process may be probing the lock this instant (embedder_running)
        with file_lock(path, wait=False) as held:
            if held:
                yield True
                return
        time.sleep(0.05)
    yield False  # another embedder on this machine holds it and indexes for both


def embedder_running() -> bool:
    """Whether `dailypapers embed` runs on this machine now."""
    with file_lock(index_dir() / "embedder.lock", wait=False) as held:
        return not held


def only_embeddings_pending() -> bool:
    """Whether every change past this machine's cursor is a new vector (none that alters a page)."""
    root = index_dir()
    if not (root / "state.json").exists():
        return False
    later = PaperChange.objects.filter(id__gt=read_state(root).feed)
    return not later.exclude(kind=PaperChange.EMBEDDING).exists()


def pending() -> bool:
    """Whether the feed holds changes this machine's indexes have not applied (one cheap query)."""
    root = index_dir()
    return not (root / "state.json").exists() or read_state(root).feed < last_change_id()


def catch_up(limit_seconds: float | None = None, progress: Progress | None = None, wait: bool = False) -> CatchUpResult:
    """Apply every paper change past this machine's cursor to both indexes.

    Without the writer lock (another process on this machine is catching up) nothing is
    done unless ``wait``; readers keep serving the current index. ``limit_seconds`` stops
    early (after a commit) so the caller never waits long; the next call continues.
    """
    root = index_dir()
    with file_lock(root / "writer.lock", wait) as held:
        if not held:
            return CatchUpResult(applied=0, state=read_state(root), busy=True)
        state = read_state(root)
        if state.feed > last_change_id():
            # The index is ahead of the database (restored backup, another database): start over.
            return _rebuild_locked(root, state, progress)
        if not KeywordIndex.is_current(generation_dir(root, state) / "keyword"):
            # Written by an older version (another document schema): rebuilt, never half-read.
            return _rebuild_locked(root, state, progress)
        return _run(root, state, limit_seconds, progress)


def rebuild(progress: Progress | None = None) -> CatchUpResult:
    """Build both indexes from scratch in a new generation, then switch readers to it."""
    root = index_dir()
    with file_lock(root / "writer.lock", wait=True):
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
            # A fresh index: the pass from feed id 0 brings every stored vector anyway.
            writer.state = replace(state, model_id=model_id)
        elif state.model_id != model_id:
            writer.load_all_vectors(None)
        total = PaperChange.objects.filter(id__gt=state.feed).count() if progress else 0
        while True:
            batch = changes_after(writer.state.feed, CHUNK)
            if not batch:
                break
            writer.apply(batch)
            applied += len(batch)
            pending += len(batch)
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

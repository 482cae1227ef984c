"""Import files of any supported format into the store, resumably.

Each file is parsed as a stream; records are written in batches, and each batch commits
together with the file's checkpoint (how many parsed items are done). A run killed at
any point and started again skips what was committed and writes the rest, so the
database ends the same as after an uninterrupted run: nothing lost, nothing twice.
"""

from __future__ import annotations

import datetime as dt
import gzip
import io
import os
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Callable, Iterator

from django.db import transaction

from dailypapers.ingest import parsers
from dailypapers.ingest.records import Record, Rejected
from dailypapers.store.models import ImportCheckpoint
from dailypapers.store.upsert import BatchCounts, write_batch

_GZIP_MAGIC = b"\x1f\x8b"
_SNIFF_BYTES = 64 * 1024


class ImportError_(Exception):
    """The import cannot go on (unknown format, unreadable file, --strict rejection)."""


@dataclass
class ImportSummary:
    read: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    skipped: int = 0  # items a previous, interrupted run had already committed
    files: int = 0
    skipped_files: list[str] = field(default_factory=list)
    rejections: list[Rejected] = field(default_factory=list)

    def add_counts(self, counts: BatchCounts) -> None:
        self.new += counts.new
        self.updated += counts.updated
        self.unchanged += counts.unchanged

    def as_dict(self) -> dict:
        counts = {k: getattr(self, k) for k in ("files", "read", "new", "updated", "unchanged", "rejected", "skipped")}
        return {**counts, "skipped_files": len(self.skipped_files)}


def plan_import(paths: list[str | Path], fmt: str | None = None) -> tuple[list[tuple[Path, str]], list[str]]:
    """Decide each file's format before anything is written.

    A file named on the command line must be importable (else ImportError_); inside a
    named folder, files of no known format are skipped with a note, so a data folder
    with READMEs, CSVs or archives beside the data still imports.
    Returns ([(path, format)], [skip notes]).
    """
    if fmt is not None and fmt not in parsers.FORMATS:
        raise ImportError_(f"unknown format {fmt!r}; choose one of {', '.join(sorted(parsers.FORMATS))}")
    plan: list[tuple[Path, str]] = []
    skipped: list[str] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for child in sorted(p for p in path.rglob("*") if p.is_file()):
                child_fmt = fmt or detect_format(child)
                if child_fmt:
                    plan.append((child, child_fmt))
                else:
                    skipped.append(f"{child}: skipped, not a format dailypapers can import")
        elif path.exists():
            file_fmt = fmt or detect_format(path)
            if file_fmt is None:
                raise ImportError_(
                    f"{path}: not a format dailypapers can import "
                    f"(expected one of {', '.join(sorted(parsers.FORMATS))}); pass --format to force one"
                )
            plan.append((path, file_fmt))
        else:
            raise ImportError_(f"{path}: no such file or folder")
    return plan, skipped


def _open_stream(path: Path) -> tuple[io.BufferedIOBase, io.BufferedIOBase]:
    """(decompressed stream, raw file) — the raw file's position drives the progress bar."""
    raw = open(path, "rb")
    if raw.read(2) == _GZIP_MAGIC:
        raw.seek(0)
        return gzip.GzipFile(fileobj=raw), raw
    raw.seek(0)
    return raw, raw


def detect_format(path: Path) -> str | None:
    stream, raw = _open_stream(path)
    try:
        head = stream.read(_SNIFF_BYTES)
    except (OSError, EOFError) as exc:
        raise ImportError_(f"{path}: cannot be read ({exc})") from exc
    finally:
        raw.close()
    return parsers.sniff(head, path.name)


def parse_file(path: Path, fmt: str) -> tuple[Iterator[Record], io.BufferedIOBase]:
    """Stream the records of one file; returns (records, raw file for progress)."""
    stream, raw = _open_stream(path)
    parser = parsers.FORMATS[fmt]
    if fmt in parsers.LINE_FORMATS:
        return parser(stream), raw
    return parser(stream.read()), raw


def import_paths(
    paths: list[str | Path],
    fmt: str | None = None,
    strict: bool = False,
    batch_size: int = 2000,
    progress: Callable[[str, int, int], None] | None = None,
    on_reject: Callable[[Rejected], None] | None = None,
) -> ImportSummary:
    """Import every file in ``paths``. ``progress(path, done_bytes, total_bytes)`` is called per batch."""
    plan, skipped = plan_import(paths, fmt)
    summary = ImportSummary(skipped_files=skipped)
    for path, file_fmt in plan:
        _import_file(path, file_fmt, summary, strict, batch_size, progress, on_reject)
        summary.files += 1
    return summary


def _checkpoint_for(path: Path, fmt: str) -> ImportCheckpoint:
    stat = path.stat()
    checkpoint, _ = ImportCheckpoint.objects.get_or_create(
        path=str(path.resolve()), size=stat.st_size, mtime_ns=stat.st_mtime_ns, defaults={"format": fmt},
    )
    if checkpoint.finished or checkpoint.format != fmt:  # a finished file imports again from the top
        checkpoint.items_done, checkpoint.finished, checkpoint.format = 0, False, fmt
        checkpoint.save()
    return checkpoint


def _import_file(path, fmt, summary, strict, batch_size, progress, on_reject) -> None:
    checkpoint = _checkpoint_for(path, fmt)
    records, raw = parse_file(path, fmt)
    total = os.fstat(raw.fileno()).st_size
    done = checkpoint.items_done
    summary.skipped += done
    try:
        items = islice(records, done, None)
        while True:
            batch = list(islice(items, batch_size))
            if not batch:
                break
            good = []
            for item in batch:
                if isinstance(item, Rejected):
                    item.position = f"{path.name}: {item.position}"
                    summary.rejected += 1
                    summary.rejections.append(item)
                    if on_reject:
                        on_reject(item)
                    if strict:
                        raise ImportError_(f"rejected {item} (--strict stops at the first rejection)")
                else:
                    good.append(item)
            done += len(batch)
            summary.read += len(batch)
            with transaction.atomic():
                summary.add_counts(write_batch(good, dt.datetime.now(dt.timezone.utc)))
                ImportCheckpoint.objects.filter(pk=checkpoint.pk).update(items_done=done)
            if progress:
                progress(str(path), raw.tell() if not raw.closed else total, total)
        ImportCheckpoint.objects.filter(pk=checkpoint.pk).update(finished=True)
    finally:
        raw.close()

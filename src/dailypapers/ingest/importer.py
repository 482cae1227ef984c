"""Import files of any supported format into the store, resumably.

Each file is parsed as a stream; records are written in batches, and each batch commits
together with the file's checkpoint (how many parsed items are done). A run killed at
any point and started again skips what was committed and writes the rest, so the
database ends the same as after an uninterrupted run: nothing lost, nothing twice.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

from django.conf import settings
from django.db import DataError, IntegrityError, transaction

from dailypapers.ingest import parsers
from dailypapers.ingest.reader import InputFile, InputRefused, Restartable
from dailypapers.ingest.records import DailyEntryRecord, PaperRecord, Record, Rejected
from dailypapers.store.models import ImportCheckpoint
from dailypapers.store.upsert import BatchCounts, write_batch

_SNIFF_BYTES = 64 * 1024


class FileImportError(Exception):
    """The import cannot go on (unknown format, unreadable file, --strict rejection)."""


@dataclass
class ImportSummary:
    read: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    skipped: int = 0  # items a previous, interrupted run had already committed
    fields_dropped: int = 0  # fields left out of kept records (unsafe URL, out of range, too long)
    files: int = 0
    skipped_files: list[str] = field(default_factory=list)
    rejections: list[Rejected] = field(default_factory=list)

    def add_counts(self, counts: BatchCounts) -> None:
        self.new += counts.new
        self.updated += counts.updated
        self.unchanged += counts.unchanged

    def as_dict(self) -> dict:
        counts = {
            k: getattr(self, k)
            for k in ("files", "read", "new", "updated", "unchanged", "rejected", "skipped", "fields_dropped")
        }
        return {**counts, "skipped_files": len(self.skipped_files)}


def plan_import(paths: list[str | Path], fmt: str | None = None) -> tuple[list[tuple[Path, str]], list[str]]:
    """Decide each file's format before anything is written.

    A file named on the command line must be importable (else FileImportError); inside a
    named folder, files of no known format are skipped with a note, so a data folder
    with READMEs, CSVs or archives beside the data still imports.
    Returns ([(path, format)], [skip notes]).
    """
    if fmt is not None and fmt not in parsers.FORMATS:
        raise FileImportError(f"unknown format {fmt!r}; choose one of {', '.join(sorted(parsers.FORMATS))}")
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
                raise FileImportError(
                    f"{path}: not a format dailypapers can import "
                    f"(expected one of {', '.join(sorted(parsers.FORMATS))}); pass --format to force one"
                )
            plan.append((path, file_fmt))
        else:
            raise FileImportError(f"{path}: no such file or folder")
    return plan, skipped


def _limits() -> dict:
    config = settings.CONFIG
    return {
        "max_ratio": float(config["DAILYPAPERS_IMPORT_MAX_GZIP_RATIO"]),
        "max_line": int(config["DAILYPAPERS_IMPORT_MAX_LINE_MB"]) << 20,
        "max_document": int(config["DAILYPAPERS_IMPORT_MAX_DOCUMENT_MB"]) << 20,
    }


def _open(path: Path) -> InputFile:
    try:
        return InputFile(path, **_limits())
    except OSError as exc:
        raise FileImportError(f"{path}: cannot be read ({exc.strerror or exc})") from exc


def detect_format(path: Path) -> str | None:
    source = _open(path)
    try:
        head = source.head(_SNIFF_BYTES)
    except (OSError, InputRefused) as exc:
        raise FileImportError(f"{path}: cannot be read ({exc})") from exc
    finally:
        source.close()
    return parsers.sniff(head, path.name)


def parse_file(path: Path, fmt: str) -> tuple[Iterator[Record], InputFile]:
    """Stream the records of one file; returns (records, the open file, for progress)."""
    source = _open(path)
    parser = parsers.FORMATS[fmt]
    if fmt in parsers.LINE_FORMATS:
        return _with_damage(parser(source.lines()), source, "line"), source
    if fmt in parsers.STREAM_FORMATS:
        return _with_damage(parsers.STREAM_FORMATS[fmt](Restartable(source)), source, "record"), source
    return _document_records(parser, source), source


def _document_records(parser, source: InputFile) -> Iterator[Record]:
    data = source.read_document()  # read on first use, so a refusal surfaces inside the import
    yield from _with_damage(parser(data), source, "record")


def _with_damage(items: Iterator[Record], source: InputFile, unit: str) -> Iterator[Record]:
    """The parser's items, with the reader's notes (overlong lines, where a damaged file ends) in place.

    A damaged file ends in one report naming the file's last position: for a document the
    record the damage cuts (which the parser could only call broken) is replaced by it. The
    items are the same on every run, so a rerun resumes and finishes instead of crashing."""
    count = 0
    last: Record | None = None
    for item in items:
        yield from _problems(source)
        if last is not None:
            yield last
        last, count = item, count + 1
    yield from _problems(source)
    if source.damage is not None:
        if unit == "record" and isinstance(last, Rejected):
            position, last = (last.position if last.position != "document" else "record 1"), None
        else:
            position = source.damage_position or f"record {count + 1}"
        if last is not None:
            yield last
        yield Rejected(position, f"the file ends early: {source.damage}")
    elif last is not None:
        yield last


def _problems(source: InputFile) -> Iterator[Rejected]:
    while source.problems:
        line, reason = source.problems.pop(0)
        yield Rejected(f"line {line}", reason)


def import_paths(
    paths: list[str | Path],
    fmt: str | None = None,
    strict: bool = False,
    batch_size: int = 2000,
    progress: Callable[[str, int, int], None] | None = None,
    on_reject: Callable[[Rejected], None] | None = None,
    on_note: Callable[[Rejected], None] | None = None,
) -> ImportSummary:
    """Import every file in ``paths``. ``progress(path, done_bytes, total_bytes)`` is called per batch;
    ``on_reject`` hears of each refused record, ``on_note`` of each field dropped from a kept one."""
    plan, skipped = plan_import(paths, fmt)
    summary = ImportSummary(skipped_files=skipped)
    for path, file_fmt in plan:
        try:
            _import_file(path, file_fmt, summary, strict, batch_size, progress, on_reject, on_note)
        except InputRefused as exc:
            raise FileImportError(str(exc)) from None
        summary.files += 1
    return summary


def _checkpoint_for(path: Path, fmt: str) -> ImportCheckpoint:
    stat = path.stat()
    checkpoint, _ = ImportCheckpoint.objects.get_or_create(
        path=str(path.resolve()),
        size=stat.st_size,
        mtime_ns=stat.st_mtime_ns,
        defaults={"format": fmt},
    )
    if checkpoint.finished or checkpoint.format != fmt:  # a finished file imports again from the top
        checkpoint.items_done, checkpoint.finished, checkpoint.format = 0, False, fmt
        checkpoint.save()
    return checkpoint


def _import_file(path, fmt, summary, strict, batch_size, progress, on_reject, on_note) -> None:
    checkpoint = _checkpoint_for(path, fmt)
    records, source = parse_file(path, fmt)
    raw = source.raw
    total = os.fstat(raw.fileno()).st_size
    done = checkpoint.items_done
    summary.skipped += done

    def reject(item: Rejected) -> None:
        item.position = f"{path.name}: {item.position}"
        summary.rejected += 1
        summary.rejections.append(item)
        if on_reject:
            on_reject(item)
        if strict:
            raise FileImportError(f"rejected {item} (--strict stops at the first rejection)")

    try:
        items = islice(records, done, None)
        while True:
            batch = list(islice(items, batch_size))
            if not batch:
                break
            good = []
            latest = dt.datetime.now(dt.timezone.utc).date() + dt.timedelta(days=1)
            for item in batch:
                if isinstance(item, DailyEntryRecord) and item.date > latest:
                    # A list day ahead of the clock would outrank every real vote (trending) and push
                    # every "newest list" view into the future: a bad value like any other.
                    item = Rejected(
                        item.position,
                        f"date: {item.date} is more than a day ahead of today ({latest - dt.timedelta(days=1)})",
                        _paper_id(item),
                    )
                if isinstance(item, Rejected):
                    reject(item)
                    continue
                for note in item.notes:
                    summary.fields_dropped += 1
                    if on_note:
                        on_note(Rejected(f"{path.name}: {item.position}", note, _paper_id(item)))
                good.append(item)
            done += len(batch)
            summary.read += len(batch)
            with transaction.atomic():
                counts, refused = write_records(good, dt.datetime.now(dt.timezone.utc))
                summary.add_counts(counts)
                ImportCheckpoint.objects.filter(pk=checkpoint.pk).update(items_done=done)
            for item in refused:
                reject(item)
            if progress:
                progress(str(path), raw.tell() if not raw.closed else total, total)
        ImportCheckpoint.objects.filter(pk=checkpoint.pk).update(finished=True)
    finally:
        source.close()


def _paper_id(item: PaperRecord | DailyEntryRecord) -> str:
    return item.paper.arxiv_id if isinstance(item, DailyEntryRecord) else item.arxiv_id


# What the database says about one bad value; anything else (a lock, a lost connection) is not
# the record's fault and stops the import, to be resumed.
_REFUSED_BY_DATABASE = (DataError, IntegrityError, OverflowError)


def write_records(records: list, fetched_at: dt.datetime) -> tuple[BatchCounts, list[Rejected]]:
    """write_batch, but a value the database refuses costs only its own record.

    The batch is tried whole (one savepoint); on a refusal it is split in halves until the
    refused records are alone, so the good records of the batch are all kept."""
    try:
        with transaction.atomic():
            return write_batch(records, fetched_at), []
    except _REFUSED_BY_DATABASE as exc:
        if len(records) == 1:
            item = records[0]
            reason = " ".join(str(exc).split())[:300]
            return BatchCounts(), [Rejected(item.position, f"the database refused it: {reason}", _paper_id(item))]
    middle = len(records) // 2
    counts, refused = write_records(records[:middle], fetched_at)
    more, refused_more = write_records(records[middle:], fetched_at)
    counts.add(more)
    return counts, refused + refused_more

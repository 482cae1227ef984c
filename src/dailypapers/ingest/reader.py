"""Read an import file, plain or gzip, with bounded memory and honest reports of damage.

- gzip is decoded here in bounded steps (not by GzipFile), so a truncated or corrupt file
  gives every byte before the damage, then one note saying where the file ends early;
- a decompression bomb is refused with a sentence as soon as the output outgrows
  ``max_ratio`` times the input read so far (after a first ``RATIO_GRACE`` bytes);
- lines longer than ``max_line`` are skipped (reported) without ever holding them whole;
- a document read whole (XML, a Hugging Face JSON body) may not pass ``max_document`` bytes.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

GZIP_MAGIC = b"\x1f\x8b"
CHUNK = 1 << 20
RATIO_GRACE = 32 << 20  # small files of repeated text compress very well: judge big outputs only


class InputRefused(Exception):
    """The file cannot be imported at all; the message is one sentence naming it."""


class _Damaged(Exception):
    """The compressed stream stops being readable here."""


@dataclass
class InputFile:
    path: Path
    max_ratio: float = 100.0
    max_line: int = 16 << 20
    max_document: int = 256 << 20
    raw: BinaryIO = field(init=False)
    gzipped: bool = field(init=False)
    damage: str | None = field(init=False, default=None)  # why the readable data ends early
    damage_position: str | None = field(init=False, default=None)  # the line it ends at, for line formats
    problems: list[tuple[int, str]] = field(init=False, default_factory=list)  # (line, reason), not yet reported

    def __post_init__(self) -> None:
        self.raw = open(self.path, "rb")
        self.gzipped = self.raw.read(2) == GZIP_MAGIC
        self.raw.seek(0)

    def close(self) -> None:
        self.raw.close()

    def rewind(self) -> None:
        """Back to the first byte, for a second reading (the damage is found again if there is any)."""
        self.raw.seek(0)
        self.damage = self.damage_position = None
        self.problems.clear()

    # -- bytes ----------------------------------------------------------------------------

    def chunks(self) -> Iterator[bytes]:
        """The decompressed content in pieces of at most about CHUNK bytes."""
        if not self.gzipped:
            while data := self.raw.read(CHUNK):
                yield data
            return
        try:
            yield from self._gunzip()
        except _Damaged as exc:
            self.damage = str(exc)

    def _gunzip(self) -> Iterator[bytes]:
        decoder = zlib.decompressobj(wbits=31)
        produced = 0
        pending = b""
        while True:
            data = pending or self.raw.read(CHUNK)
            pending = b""
            if not data:
                if not decoder.eof:
                    raise _Damaged("the gzip data ends early (the file is truncated)")
                return
            while data:
                try:
                    out = decoder.decompress(data, CHUNK)
                except zlib.error as exc:
                    raise _Damaged(f"the gzip data is corrupt ({exc})") from None
                data = decoder.unconsumed_tail
                if out:
                    produced += len(out)
                    self._check_ratio(produced)
                    yield out
                if decoder.eof:
                    rest = decoder.unused_data  # (unconsumed_tail repeats it when max_length was hit)
                    if rest.strip(b"\x00"):  # another gzip member follows (concatenated files)
                        if not rest.startswith(GZIP_MAGIC[: len(rest)]):
                            raise _Damaged("unreadable bytes follow the gzip data")
                        decoder = zlib.decompressobj(wbits=31)
                        pending = rest
                    else:
                        # Only zero padding may follow the last member.
                        while block := self.raw.read(CHUNK):
                            if block.strip(b"\x00"):
                                raise _Damaged("unreadable bytes follow the gzip data")
                        return
                    break

    def _check_ratio(self, produced: int) -> None:
        consumed = max(self.raw.tell(), 1)
        if produced > RATIO_GRACE and produced > self.max_ratio * consumed:
            raise InputRefused(
                f"{self.path}: refused: it expands more than {self.max_ratio:g} times its compressed size "
                f"({produced >> 20} MiB from {consumed >> 10} KiB so far), which looks like a decompression bomb; "
                "raise DAILYPAPERS_IMPORT_MAX_GZIP_RATIO if the file is genuine"
            )

    def head(self, size: int) -> bytes:
        """The first ``size`` decompressed bytes (fewer for a short or damaged file); rewinds."""
        parts: list[bytes] = []
        got = 0
        try:
            for chunk in self.chunks():
                parts.append(chunk)
                got += len(chunk)
                if got >= size:
                    break
        finally:
            self.raw.seek(0)
            self.damage = None
        return b"".join(parts)[:size]

    def read_document(self) -> bytes:
        """The whole content, for formats parsed as one document; refused past ``max_document``."""
        parts: list[bytes] = []
        got = 0
        for chunk in self.chunks():
            got += len(chunk)
            if got > self.max_document:
                raise InputRefused(
                    f"{self.path}: refused: more than {self.max_document >> 20} MiB once decompressed, and this "
                    "format is read as one document; split the file or raise DAILYPAPERS_IMPORT_MAX_DOCUMENT_MB"
                )
            parts.append(chunk)
        return b"".join(parts)

    # -- lines ----------------------------------------------------------------------------

    def lines(self) -> Iterator[bytes]:
        """Complete lines (with their newline). A line over ``max_line`` comes as b"" (a blank, so
        numbering holds) and is noted in ``problems``; a last line cut off by damage is dropped
        and named in ``damage``."""
        number = 0
        partial: list[bytes] = []
        partial_size = 0
        skipping = False  # inside an overlong line: discard up to its newline
        for chunk in self.chunks():
            start = 0
            while True:
                end = chunk.find(b"\n", start)
                if end < 0:
                    piece = chunk[start:]
                    if not skipping and piece:
                        partial.append(piece)
                        partial_size += len(piece)
                        if partial_size > self.max_line:
                            partial, partial_size, skipping = [], 0, True
                    break
                piece = chunk[start : end + 1]
                start = end + 1
                number += 1
                if skipping or partial_size + len(piece) > self.max_line:
                    partial, partial_size, skipping = [], 0, False
                    self.problems.append((number, f"longer than {self.max_line >> 20} MiB; skipped"))
                    yield b""
                    continue
                if partial:
                    partial.append(piece)
                    piece = b"".join(partial)
                    partial, partial_size = [], 0
                yield piece
        if self.damage is not None:
            cut = partial or skipping
            self.damage_position = f"line {number + 1}"
            self.damage += "; the line it cuts is dropped" if cut else f", after line {number}"
            return
        if skipping:
            self.problems.append((number + 1, f"longer than {self.max_line >> 20} MiB; skipped"))
            yield b""
        elif partial:
            yield b"".join(partial)  # a last line without a newline


class Restartable:
    """An InputFile as a streaming parser's ChunkSource (parsers/xmldoc.py): each read starts from the top."""

    def __init__(self, source: InputFile) -> None:
        self.source = source

    def chunks(self) -> Iterator[bytes]:
        self.source.rewind()
        return self.source.chunks()

    def read_document(self) -> bytes:
        self.source.rewind()
        return self.source.read_document()

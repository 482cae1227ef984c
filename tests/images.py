"""Small real images for tests, made here (no image library needed): a PNG and a GIF."""

from __future__ import annotations

import struct
import zlib


def png(width: int = 16, height: int = 9, rgb: tuple[int, int, int] = (200, 80, 20)) -> bytes:
    """A valid truecolour PNG of one colour."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    row = b"\x00" + bytes(rgb) * width
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


# A 1x1 transparent GIF (the classic 43 bytes).
GIF = bytes.fromhex("47494638396101000100800000000000ffffff21f90401000000002c00000000010001000002024401003b")
# The start of a JPEG/JFIF file: what the fetcher recognises JPEGs by.
JPEG_HEAD = bytes.fromhex("ffd8ffe000104a46494600010100000100010000")

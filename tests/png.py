"""Real PNG files of a given size, written by hand (no imaging library needed in the tests)."""

from __future__ import annotations

import struct
import zlib


def png(width: int, height: int, rgb: bytes = b"\xc0\x40\x40") -> bytes:
    """A valid PNG of ``width`` x ``height`` pixels in one colour, as browsers and imagesize read it."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + rgb * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )

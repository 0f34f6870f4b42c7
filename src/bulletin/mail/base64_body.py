"""A message body base64-encoded once per digest; per subscriber only the markers' values are.

Encoding every subscriber's 20 KB of text and HTML again was a third of what a
message cost to assemble. Here the text between the markers is encoded ahead, and a
message joins those ready lines with the few lines that hold the subscriber's values.

Base64 turns 3 bytes into 4 characters, so a ready line can be reused only when it
starts at a multiple of 3 bytes; a value of any length shifts what follows it. So
after each value the line is closed early at the next multiple of 3 (taking up to two
bytes of the following text), and every stretch of text is kept encoded for those
three starting offsets. Lines stay at most 76 characters (RFC 2045 6.8) and no line
carries padding but the last: decoded, the body is exactly the text with the values in.
"""

from __future__ import annotations

import binascii
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

LINE_BYTES = 57  # raw bytes per base64 line of 76 characters
CRLF = b"\r\n"


def base64_lines(data: bytes) -> bytes:
    """``data`` in base64 lines of 76 characters, each ending in CRLF (empty for no data).

    One b2a_base64 call and slicing: a third cheaper than encodebytes' call per
    57-byte line.
    """
    encoded = binascii.b2a_base64(data, newline=False)
    if not encoded:
        return b""
    return CRLF.join([encoded[start : start + 76] for start in range(0, len(encoded), 76)]) + CRLF


@dataclass(frozen=True)
class _Stretch:
    """Text between markers, encoded ahead for each of the three offsets a value can leave."""

    raw: bytes
    # [skip] for skip in 0..2: the full lines of raw[skip:], and the bytes after them.
    lines: tuple[bytes, bytes, bytes]
    rest: tuple[bytes, bytes, bytes]

    @classmethod
    def of(cls, raw: bytes) -> _Stretch:
        lines, rest = [], []
        for skip in range(3):
            tail = raw[skip:]
            whole = len(tail) - len(tail) % LINE_BYTES
            lines.append(base64_lines(tail[:whole]))
            rest.append(tail[whole:])
        return cls(raw, (lines[0], lines[1], lines[2]), (rest[0], rest[1], rest[2]))


class Base64Body:
    """One body (text or HTML) with markers, ready to be encoded for each subscriber."""

    def __init__(self, text: str, marks: Sequence[str]) -> None:
        # Alternating: a stretch of text, the marker that follows it, a stretch, ...
        self.stretches: list[_Stretch] = []
        self.marks: list[str] = []
        rest = text
        while True:
            found = [(rest.find(mark), mark) for mark in marks if mark in rest]
            if not found:
                break
            at, mark = min(found)
            self.stretches.append(_Stretch.of(rest[:at].encode("utf-8")))
            self.marks.append(mark)
            rest = rest[at + len(mark) :]
        self.stretches.append(_Stretch.of(rest.encode("utf-8")))

    def encode(self, values: Mapping[str, str]) -> bytes:
        """The body with each marker replaced by its value, in base64 lines ending in CRLF."""
        first = self.stretches[0]
        out = [first.lines[0]]
        pending = first.rest[0]  # bytes not yet encoded: always fewer than a line's
        for mark, stretch in zip(self.marks, self.stretches[1:], strict=True):
            pending += values[mark].encode("utf-8")
            whole = len(pending) - len(pending) % LINE_BYTES
            if whole:
                out.append(base64_lines(pending[:whole]))
                pending = pending[whole:]
            skip = -len(pending) % 3
            if len(stretch.raw) < skip:
                pending += stretch.raw
                continue
            # Close the line at a multiple of 3 bytes (at most 57), then the ready lines.
            pending += stretch.raw[:skip]
            if pending:
                out.append(binascii.b2a_base64(pending, newline=False) + CRLF)
            out.append(stretch.lines[skip])
            pending = stretch.rest[skip]
        out.append(base64_lines(pending))
        return b"".join(out)

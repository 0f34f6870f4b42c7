"""A file that is not UTF-8: which encoding it most likely is, so the message can say how to fix it."""

from __future__ import annotations


def not_utf8(raw: bytes, error: UnicodeDecodeError) -> str:
    """'not UTF-8 (byte N): it looks like Windows-1251; re-save it as UTF-8' for ``raw``."""
    guess = likely_encoding(raw)
    looks = f": it looks like {guess}" if guess else ""
    return f"not UTF-8 (byte {error.start}){looks}; re-save it as UTF-8"


def likely_encoding(raw: bytes) -> str | None:
    """Windows-1251, KOI8-R or Windows-1252 when the bytes above ASCII read as words in it.

    Statistical detectors guess wrong on a few words (charset-normalizer calls
    'Ёлка' Big5); the encodings met on Russian and Kazakh sites are few, and text is
    mostly lower case, which is what tells the two Cyrillic ones apart: Windows-1251
    puts lower-case letters at 0xE0-0xFF, KOI8-R puts capitals there.
    """
    high = bytes(b for b in raw if b >= 0x80)
    if not high:
        return None
    # Cyrillic words are runs of high bytes; accented Latin letters mostly stand alone.
    in_runs = sum(
        1
        for i, b in enumerate(raw)
        if b >= 0x80 and ((i > 0 and raw[i - 1] >= 0x80) or (i + 1 < len(raw) and raw[i + 1] >= 0x80))
    )
    cyrillic = high.decode("cp1251", "replace")
    letters = [c for c in cyrillic if "\u0400" <= c <= "\u04ff"]
    if in_runs * 2 > len(high) and len(letters) >= 0.8 * len(high):
        lower = sum(c.islower() for c in letters)
        return "Windows-1251" if lower * 2 >= len(letters) else "KOI8-R"
    latin = high.decode("cp1252", "replace")
    if sum(c.isalpha() for c in latin) >= 0.8 * len(high):
        return "Windows-1252"
    return None

"""timelib's small readers (numbers, month names, meridians, zones) over one matched token."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan", "I"),
            ("february", "feb", "II"),
            ("march", "mar", "III"),
            ("april", "apr", "IV"),
            ("may", "V"),
            ("june", "jun", "VI"),
            ("july", "jul", "VII"),
            ("august", "aug", "VIII"),
            ("september", "sep", "sept", "IX"),
            ("october", "oct", "X"),
            ("november", "nov", "XI"),
            ("december", "dec", "XII"),
        ),
        start=1,
    )
    for name in names
}
# Sunday = 0, as timelib counts weekdays.
WEEKDAYS = {
    name: number
    for number, names in enumerate(
        (
            ("sunday", "sun"),
            ("monday", "mon"),
            ("tuesday", "tue"),
            ("wednesday", "wed"),
            ("thursday", "thu"),
            ("friday", "fri"),
            ("saturday", "sat"),
        )
    )
    for name in names
}
# Zone abbreviations bulletin knows: UTC's names and the military letters (A = UTC+1 ...
# M = UTC+12, N = UTC-1 ... Y = UTC-12). timelib knows hundreds more (EST, MSK, ALMT);
# those are errors here, never a guess.
_UTC_NAMES = frozenset({"utc", "gmt", "z", "ut"})
_MILITARY = {
    letter: sign * hours * 3600
    for sign, letters in ((1, "abcdefghiklm"), (-1, "nopqrstuvwxy"))
    for hours, letter in enumerate(letters, start=1)
}


class Cursor:
    """A position in one token; each reader moves it as timelib's does."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def number(self, max_length: int) -> tuple[int | None, int]:
        """timelib_get_nr: skip anything not a digit, then read up to ``max_length`` digits."""
        text, pos = self.text, self.pos
        while pos < len(text) and not "0" <= text[pos] <= "9":
            pos += 1
        start = pos
        while pos < len(text) and "0" <= text[pos] <= "9" and pos - start < max_length:
            pos += 1
        self.pos = pos
        if pos == start:
            return None, 0
        return int(text[start:pos]), pos - start

    def signed_number(self) -> int:
        """timelib_get_signed_nr: every '-' before the digits flips the sign."""
        sign = 1
        while self.pos < len(self.text) and not "0" <= self.text[self.pos] <= "9":
            if self.text[self.pos] == "-":
                sign = -sign
            self.pos += 1
        value, _ = self.number(24)
        return sign * (value or 0)

    def word(self) -> str:
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos].isascii() and self.text[self.pos].isalpha():
            self.pos += 1
        return self.text[start : self.pos]

    def month(self) -> int:
        """timelib_get_month: skip separators, then a month name, abbreviation or Roman numeral."""
        while self.peek() in (" ", "\t", "-", ".", "/") and self.peek():
            self.pos += 1
        name = self.word()
        return MONTHS.get(name, 0) or MONTHS.get(name.lower(), 0)

    def skip_day_suffix(self) -> None:
        if self.text[self.pos : self.pos + 2].lower() in ("st", "nd", "rd", "th"):
            self.pos += 2

    def meridian(self, hour: int) -> int:
        """timelib_meridian: the hours to add for am/pm (12 am is midnight, 12 pm noon)."""
        while self.peek() and self.peek() not in "AaPp":
            self.pos += 1
        after_noon = self.peek() in "Pp"
        self.pos += 1
        for expected in (".", "Mm", "."):
            if self.peek() and self.peek() in expected:
                self.pos += 1
        if after_noon:
            return 0 if hour == 12 else 12
        return -12 if hour == 12 else 0

    def zone(self) -> dt.tzinfo | int | None:
        """timelib_parse_zone: an offset (seconds), UTC/GMT/Z or a tz database name; None if unknown."""
        while self.peek() in (" ", "\t", "(") and self.peek():
            self.pos += 1
        rest = self.text[self.pos :].rstrip(")")
        if rest[:4].upper() in ("GMT+", "GMT-"):
            rest = rest[3:]
        if rest[:1] in ("+", "-"):
            seconds = tz_correction(rest[1:])
            if seconds is None:
                return None
            return -seconds if rest[0] == "-" else seconds
        if rest.lower() in _UTC_NAMES:
            return dt.UTC
        if rest.lower() in _MILITARY:
            return _MILITARY[rest.lower()]
        if "/" in rest:
            try:
                return ZoneInfo(rest)
            except (ZoneInfoNotFoundError, ValueError):
                return None
        return None


def tz_correction(body: str) -> int | None:
    """timelib_parse_tz_cor: "5", "05", "5:30", "0530", "05:30", "053000", "05:30:00" in seconds."""
    digits = len(body)
    if digits in (1, 2):
        return int(body) * 3600
    if digits in (3, 4):
        if body[1] == ":":
            return int(body[0]) * 3600 + int(body[2:]) * 60
        if body[2] == ":":
            return int(body[:2]) * 3600 + int(body[3:] or 0) * 60
        value = int(body)
        return value // 100 * 3600 + value % 100 * 60
    if digits == 5 and body[2] == ":":
        return int(body[:2]) * 3600 + int(body[3:]) * 60
    if digits == 6 and body.isdigit():
        value = int(body)
        return value // 10000 * 3600 + value // 100 % 100 * 60 + value % 100
    if digits == 8 and body[2] == ":" and body[5] == ":":
        return int(body[:2]) * 3600 + int(body[3:5]) * 60 + int(body[6:])
    return None

"""PHP's ``DateTime::createFromFormat`` for the format characters Grav sites use.

Grav reads a page date with ``pages.dateformat.default`` (or the page's ``dateformat``)
this way first. One deliberate difference: a field the format does not give is 0 (the
year 1970, January, the 1st, midnight), as PHP does after a ``|`` in the format, not the
current clock as PHP does without one; otherwise a rebuild would not be byte-identical.
"""

from __future__ import annotations

import re

from .fields import Fields
from .timelib_cursor import WEEKDAYS, Cursor

_SEPARATORS = ";:/.,-()"
_ZONE = re.compile(r"GMT[+-][0-9:]*|[+-][0-9:]*|\(?[A-Za-z][A-Za-z0-9_/+-]*\)?")


class _Unsupported(ValueError):
    """A format character bulletin does not read (day of year, microseconds...)."""


def parse_with_format(fmt: str, text: str) -> Fields | None:
    """The fields ``text`` gives under ``fmt``, or None where PHP returns false."""
    found = Fields()
    cursor = Cursor(text)
    position = 0
    while position < len(fmt):
        char = fmt[position]
        if char == "\\" and position + 1 < len(fmt):
            position += 1
            ok = _literal(cursor, fmt[position])
        else:
            ok = _one(char, found, cursor)
        if not ok:
            return None
        position += 1
    if cursor.pos < len(text) and "+" not in fmt:
        return None  # "Trailing data"
    if any(value is not None for value in (found.h, found.i, found.s)):
        found.have_time = 1
    _reset_unparsed(found)
    return found


def _reset_unparsed(found: Fields) -> None:
    # PHP's "|": what the format did not read is the Unix epoch's field.
    defaults = {"y": 1970, "m": 1, "d": 1, "h": 0, "i": 0, "s": 0}
    for name, value in defaults.items():
        if getattr(found, name) is None:
            setattr(found, name, value)
    found.have_date = True


def _literal(cursor: Cursor, char: str) -> bool:
    if cursor.peek() == char and char:
        cursor.pos += 1
        return True
    return False


def _digits(cursor: Cursor, max_length: int) -> tuple[int | None, int]:
    # TIMELIB_CHECK_NUMBER: the number must start right here, no skipping as in strtotime.
    if not cursor.peek().isdigit() or not cursor.peek().isascii():
        return None, 0
    return cursor.number(max_length)


def _one(char: str, found: Fields, cursor: Cursor) -> bool:
    """Read what one format character asks for; False where PHP records an error."""
    if char in "djmnGHghiys":
        return _number_field(char, found, cursor)
    if char in "YU":
        return _year_or_timestamp(char, found, cursor)
    if char in "DlSMF":
        return _text_field(char, found, cursor)
    if char in "aA":
        return _meridian(found, cursor)
    if char in "eOPpT":
        return _zone(found, cursor)
    if char == " ":
        while cursor.peek() in (" ", "\t") and cursor.peek():
            cursor.pos += 1
        return True
    if char == "#":
        return bool(cursor.peek()) and cursor.peek() in _SEPARATORS and _literal(cursor, cursor.peek())
    if char == "?":
        cursor.pos += 1
        return cursor.pos <= len(cursor.text)
    if char == "*":
        while cursor.peek() and cursor.peek() not in " " + _SEPARATORS and not cursor.peek().isdigit():
            cursor.pos += 1
        return True
    if char in "!|+":
        return _reset(char, found)
    if char in "zvuBIWtLNwo":
        raise _Unsupported(char)
    return _literal(cursor, char)


def _number_field(char: str, found: Fields, cursor: Cursor) -> bool:
    value, length = _digits(cursor, 2)
    if value is None:
        return False
    if char in "dj":
        found.d = value
    elif char in "mn":
        found.m = value
    elif char in "GHgh":
        if char in "gh" and value > 12:
            return False  # "Hour cannot be higher than 12"
        found.h = value
    elif char in "is":
        if length != 2:
            return False  # "A two digit minute/second could not be found"
        setattr(found, char, value)
    else:  # y: two-digit year, 1970-2069
        found.y = value + (2000 if value < 70 else 1900) if length < 4 and value < 100 else value
    return True


def _year_or_timestamp(char: str, found: Fields, cursor: Cursor) -> bool:
    if char == "Y":
        found.y, _ = _digits(cursor, 4)
        return found.y is not None
    if not (cursor.peek().isdigit() or cursor.peek() == "-"):
        return False
    if found.have_zone:
        return False
    found.have_zone = 1
    seconds = cursor.signed_number()
    found.y, found.m, found.d, found.h, found.i, found.s = 1970, 1, 1, 0, 0, 0
    found.rel().s += seconds
    found.timestamp = True
    return True


def _text_field(char: str, found: Fields, cursor: Cursor) -> bool:
    if char == "S":
        cursor.skip_day_suffix()
        return True
    if char in "MF":
        found.m = cursor.month() or None
        return found.m is not None
    weekday = WEEKDAYS.get(cursor.word().lower())
    if weekday is None:
        return False  # "A textual day could not be found"
    # PHP moves the date to that weekday (on or after it) rather than checking it.
    rel = found.rel()
    rel.weekday, rel.weekday_behavior = weekday, 1
    return True


def _meridian(found: Fields, cursor: Cursor) -> bool:
    if found.h is None or not cursor.peek() or cursor.peek() not in "AaPp":
        return False
    start = cursor.pos
    shift = cursor.meridian(found.h)
    if not re.fullmatch(r"[AaPp]\.?[Mm]\.?", cursor.text[start : cursor.pos]):
        return False
    found.h += shift
    return True


def _zone(found: Fields, cursor: Cursor) -> bool:
    match = _ZONE.match(cursor.text, cursor.pos)
    if match is None:
        return False
    zone = Cursor(match.group()).zone()
    cursor.pos = match.end()
    if zone is None:
        return False
    found.have_zone, found.zone = 1, zone
    return True


def _reset(char: str, found: Fields) -> bool:
    if char == "!":
        found.y, found.m, found.d, found.h, found.i, found.s = 1970, 1, 1, 0, 0, 0
        found.zone, found.have_zone = None, 0
    elif char == "|":
        _reset_unparsed(found)
    return True

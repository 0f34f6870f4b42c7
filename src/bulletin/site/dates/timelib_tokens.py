"""What each strtotime token sets: timelib's rule actions (parse_date.re), one function each.

An action reads its token with a Cursor, as timelib's do with timelib_get_nr and friends,
and returns False where timelib records an error ("Double date specification", an unknown
zone); the grammar that decides which token comes next is in strtotime.py.
"""

from __future__ import annotations

from collections.abc import Callable

from .fields import Fields
from .timelib_cursor import WEEKDAYS, Cursor

Action = Callable[[Fields, Cursor], bool]


def _year(value: int | None, length: int) -> int | None:
    """TIMELIB_PROCESS_YEAR: two-digit years are 1970-2069."""
    if value is None or length >= 4:
        return value
    if value < 100:
        return value + (2000 if value < 70 else 1900)
    return value


def yesterday(f: Fields, c: Cursor) -> bool:
    f.unset_time()
    f.rel().d = -1
    return True


def tomorrow(f: Fields, c: Cursor) -> bool:
    f.unset_time()
    f.rel().d = 1
    return True


def now(f: Fields, c: Cursor) -> bool:
    return True


def noon(f: Fields, c: Cursor) -> bool:
    f.unset_time()
    f.have_time = 1
    f.h = 12
    return True


def midnight(f: Fields, c: Cursor) -> bool:
    f.unset_time()
    return True


def timestamp(f: Fields, c: Cursor) -> bool:
    if f.have_zone:
        return False
    f.have_zone = 1
    f.have_date, f.have_time = False, 0
    f.y, f.m, f.d, f.h, f.i, f.s = 1970, 1, 1, 0, 0, 0
    c.pos = 1
    f.rel().s += c.signed_number()
    f.timestamp = True
    return True


def time12(f: Fields, c: Cursor) -> bool:
    if not f.set_time():
        return False
    f.h, _ = c.number(2)
    if c.peek() in (":", ".") and c.peek():
        f.i, _ = c.number(2)
        if c.peek() in (":", ".") and c.peek():
            f.s, _ = c.number(2)
    assert f.h is not None
    f.h += c.meridian(f.h)
    return True


def time24(f: Fields, c: Cursor) -> bool:
    if not f.set_time():
        return False
    f.h, _ = c.number(2)
    minute, _ = c.number(2)  # none in "T10", timelib's timetiny24
    f.i = minute or 0
    if c.peek() in (":", ".") and c.peek():
        f.s, _ = c.number(2)
    return True


def gnunocolon(f: Fields, c: Cursor) -> bool:
    # "1030" is a time; the same four digits after a time are a year.
    if f.have_time == 0:
        f.h, _ = c.number(2)
        f.i, _ = c.number(2)
        f.s = 0
    elif f.have_time == 1:
        f.y, _ = c.number(4)
    else:
        return False
    f.have_time += 1
    return True


def iso8601nocolon(f: Fields, c: Cursor) -> bool:
    if not f.set_time():
        return False
    f.h, _ = c.number(2)
    f.i, _ = c.number(2)
    f.s, _ = c.number(2)
    return True


def american(f: Fields, c: Cursor) -> bool:
    if not f.set_date():
        return False
    f.m, _ = c.number(2)
    f.d, _ = c.number(2)
    if c.peek() == "/":
        f.y = _year(*c.number(4))
    return True


def date_token(order: str) -> Action:
    """A date token read as timelib reads it: ``order`` names the parts as they come.

    y: a year (two digits are 1970-2069), m: a month number, M: a month name or Roman
    numeral, d: a day, s: an optional English day suffix. Without a day it is the 1st.
    """

    def action(f: Fields, c: Cursor) -> bool:
        if not f.set_date():
            return False
        if "d" not in order:
            f.d = 1
        for part in order:
            if part == "y":
                f.y = _year(*c.number(4))
            elif part == "m":
                f.m, _ = c.number(2)
            elif part == "M":
                f.m = c.month()
            elif part == "d":
                f.d, _ = c.number(2)
            else:
                c.skip_day_suffix()
        return True

    return action


def pgydotd(f: Fields, c: Cursor) -> bool:
    # "2022.102": the 102nd day of 2022 (PostgreSQL's year and day of year).
    if not f.set_date():
        return False
    f.y = _year(*c.number(4))
    f.d, _ = c.number(3)
    f.m = 1
    return True


def date_and_time(f: Fields, c: Cursor) -> bool:
    # xmlrpc, soap, wddx, exif: a date and a time in one token, maybe a zone after a fraction.
    if not f.set_time() or not f.set_date():
        return False
    f.y, _ = c.number(4)
    f.m, _ = c.number(2)
    f.d, _ = c.number(2)
    f.h, _ = c.number(2)
    f.i, _ = c.number(2)
    f.s, _ = c.number(2)
    if c.peek() == ".":
        c.number(9)
        if c.peek():
            return set_zone(f, c)
    return True


def year4(f: Fields, c: Cursor) -> bool:
    f.y, _ = c.number(4)
    return True


def daytext(f: Fields, c: Cursor) -> bool:
    rel = f.rel()
    f.unset_time()
    name = c.word().lower()
    rel.weekday = WEEKDAYS.get(name)
    if rel.weekday is None:  # "weekday(s)": timelib's business-day counting, not supported
        return False
    if rel.weekday_behavior != 2:
        rel.weekday_behavior = 1
    return True


def relativetext(f: Fields, c: Cursor) -> bool:
    word = c.word().lower()
    amount = {"next": 1, "last": -1, "previous": -1, "this": 0}[word]
    behavior = 1 if word == "this" else 0
    while c.peek() in (" ", "\t") and c.peek():
        c.pos += 1
    return _set_relative(f, c, amount, behavior, keep_time=False)


def relative(f: Fields, c: Cursor) -> bool:
    amount = c.signed_number()
    while c.peek() in (" ", "\t") and c.peek():
        c.pos += 1
    return _set_relative(f, c, amount, 1, keep_time=True)


_UNITS = {
    "sec": "s",
    "second": "s",
    "min": "i",
    "minute": "i",
    "hour": "h",
    "day": "d",
    "week": "w",
    "fortnight": "f",
    "forthnight": "f",
    "month": "m",
    "year": "y",
}


def _set_relative(f: Fields, c: Cursor, amount: int, behavior: int, *, keep_time: bool) -> bool:
    """timelib_set_relative: "+2 days", "next month", "next monday"."""
    rel = f.rel()
    word = c.word().lower()
    if word in WEEKDAYS:
        if not keep_time:
            f.unset_time()
        rel.d += (amount - 1 if amount > 0 else amount) * 7
        rel.weekday = WEEKDAYS[word]
        rel.weekday_behavior = behavior
        return True
    unit = _UNITS.get(word[:-1] if word.endswith("s") and word[:-1] in _UNITS else word)
    if unit is None:  # sub-second units and "weekdays": not supported
        return False
    if unit in ("w", "f"):
        rel.d += amount * (7 if unit == "w" else 14)
    else:
        setattr(rel, unit, getattr(rel, unit) + amount)
    return True


def set_zone(f: Fields, c: Cursor) -> bool:
    if f.have_zone:
        # timelib: a second zone is a warning (ignored), a third an error.
        f.have_zone += 1
        return f.have_zone <= 2
    f.have_zone = 1
    zone = c.zone()
    if zone is None:
        return False
    f.zone = zone
    return True


def month_alone(f: Fields, c: Cursor) -> bool:
    if not f.set_date():
        return False
    f.m = c.month()
    return True


def date_then_time(time_action: Action) -> Action:
    # "April 12 10:00": timelib's rules that join a date without year to a time.
    def action(f: Fields, c: Cursor) -> bool:
        if not f.set_date():
            return False
        f.m = c.month()
        f.d, _ = c.number(2)
        return time_action(f, c)

    return action


def skip(f: Fields, c: Cursor) -> bool:
    return True

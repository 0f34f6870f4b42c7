"""Read post dates the way Grav reads them (``Utils::date2timestamp``).

With a date format (``pages.dateformat.default`` or a page's ``dateformat`` header) PHP's
``DateTime::createFromFormat`` first, then PHP's strtotime grammar: time-first
(``14:55 08/11/2017``), dashes and dots day-first, slashes month-first (American), ISO 8601,
month names, ``@unix``; checked against PHP 8.2 itself by tests/oracle/test_dates_php.py.

Differences from PHP, on purpose:
- a field a date format does not give is 0 (1970, January, the 1st, midnight), as with PHP's
  ``|``, not the current clock, so a rebuild is byte-identical;
- whatever PHP takes from the clock (relative forms such as "today", "+1 day", "next monday";
  a time alone; "April 12" without a year) is read against the ``now`` the caller passes, and
  is an error without one: a date never silently becomes "now";
- zone abbreviations other than UTC, GMT, UT, Z and the military letters (MSK, EST, ALMT...)
  are errors, where PHP knows them; tz database names ("Asia/Almaty") and offsets are read;
- rare strtotime forms ("ago", "first day of", "next week", ISO week dates, "weekdays",
  sub-second units) and years outside 1-9999 are errors;
- a YAML number is a Unix timestamp (PHP refuses a bare run of digits, as bulletin does for text).
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

from .dateformat import _Unsupported, parse_with_format
from .fields import DateFormatError, fill_and_resolve, localize
from .strtotime import scan

__all__ = ["DateFormatError", "parse_date"]

# The shapes nearly every post uses, read without the full scanner (the build reads
# thousands of dates). Each is a form strtotime reads as one date token and one time token,
# so the answer is the scanner's; anything unusual (24:00, 31 April, a zone) goes the slow way.
_CLOCK = r"(?P<H>[01]?[0-9]|2[0-3])[:.](?P<M>[0-5][0-9])(?:[:.](?P<S>[0-5][0-9]))?"
_DMY = r"(?P<d>3[01]|[0-2]?[0-9])(?P<sep>[-.])(?P<m>1[0-2]|0?[1-9])(?P=sep)(?P<y>[0-9]{4})"
_MDY = r"(?P<m>1[0-2]|0?[1-9])/(?P<d>3[01]|[0-2]?[0-9])/(?P<y>[0-9]{4})"
_YMD = r"(?P<y>[0-9]{4})-(?P<m>1[0-2]|0[1-9])-(?P<d>3[01]|[12][0-9]|0[1-9])"
_FAST = [
    re.compile(rf"{date}(?:{gap}{_CLOCK})?$") for date, gap in ((_DMY, " "), (_MDY, " "), (_YMD, "[ T]"))
]
_FAST += [re.compile(rf"{_CLOCK} {date}$") for date in (_DMY, _MDY, _YMD)]
_DAYS_IN_MONTH = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def parse_date(
    value: object,
    tz: ZoneInfo,
    *,
    dateformat: str | None = None,
    now: dt.datetime | None = None,
) -> dt.datetime:
    """An aware datetime; a value without a zone is local time in ``tz``.

    ``dateformat`` is Grav's date format (PHP ``date()`` letters) tried first; ``now`` the
    moment relative dates ("today", "+1 day") are read against; without it they are errors.
    """
    if isinstance(value, bool):
        raise DateFormatError(f"not a date: {value!r}")
    if isinstance(value, (int, float)):
        # A YAML number: an instant (PHP would read its digits as text and refuse them).
        return _from_timestamp(value, tz)
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=tz)
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time(), tzinfo=tz)
    if not isinstance(value, str):
        raise DateFormatError(f"not a date: {value!r}")
    # PHP trims the same whitespace (space, tab, line breaks, NUL and vertical tab).
    text = value.strip(" \t\n\r\v\f\0")
    if not text:
        raise DateFormatError("empty date")
    try:
        if dateformat:
            found = parse_with_format(dateformat, value)
            if found is not None:
                return fill_and_resolve(found, tz, now)
        elif fast := _fast(text, tz):
            return fast
        scanned = scan(text)
        if scanned is None:
            raise DateFormatError("not a form strtotime reads")
        return fill_and_resolve(scanned, tz, now)
    except _Unsupported as exc:
        raise DateFormatError(f"date format letter {exc} is not supported: {dateformat!r}") from None
    except DateFormatError as exc:
        raise DateFormatError(f"unparseable date: {value!r} ({exc})") from None


def _fast(text: str, tz: ZoneInfo) -> dt.datetime | None:
    for pattern in _FAST:
        if match := pattern.match(text):
            day, month = int(match["d"]), int(match["m"])
            if day == 0 or day > _DAYS_IN_MONTH[month - 1] or (month == 2 and day == 29):
                return None  # PHP rolls 31 April over to 1 May; the slow path does that
            hour, minute, second = match["H"], match["M"], match["S"]
            moment = dt.datetime(
                int(match["y"]),
                month,
                day,
                int(hour) if hour else 0,
                int(minute) if minute else 0,
                int(second) if second else 0,
                tzinfo=tz,
            )
            return localize(moment, tz)
    return None


def _from_timestamp(seconds: float, tz: ZoneInfo) -> dt.datetime:
    # A timestamp is an instant; shown in the site's zone like every other post date,
    # so one post does not stand out with +00:00 in a feed of local times.
    try:
        return dt.datetime.fromtimestamp(seconds, tz=tz)
    except (OverflowError, OSError, ValueError):
        raise DateFormatError(f"timestamp out of range: {seconds!r}") from None

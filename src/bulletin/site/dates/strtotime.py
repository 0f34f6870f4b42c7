"""PHP's strtotime / ``new DateTime($text)`` grammar (timelib's scanner), the part Grav sites use.

timelib scans with re2c: at each position the longest match among its rules wins, the
earlier rule on a tie, and each token sets fields. This module keeps that structure, rule
by rule in timelib's order, so odd inputs tokenise as PHP tokenises them ("2022" alone is
20:22 today; "12.04.22" is a time). Rules for forms Grav sites do not write (ISO week
dates, PostgreSQL day-of-year, "first day of", "ago") are left out: those inputs are errors.
"""

from __future__ import annotations

import functools
import re

from . import timelib_tokens as tokens
from .fields import Fields
from .timelib_cursor import Cursor
from .timelib_tokens import Action

# timelib's building blocks (parse_date.re). Alternatives are ordered longest first,
# since Python's regex takes the first alternative that fits where re2c takes the longest.
_HOUR24 = r"(?:2[0-4]|[01]?[0-9])"
_HOUR24LZ = r"(?:2[0-4]|[01][0-9])"
_HOUR12 = r"(?:1[0-2]|0?[1-9])"
_MINUTE = r"(?:[0-5]?[0-9])"
_MINUTELZ = r"(?:[0-5][0-9])"
_SECOND = r"(?:60|[0-5]?[0-9])"
_SECONDLZ = r"(?:60|[0-5][0-9])"
_MERIDIAN = r"(?:[AaPp]\.?[Mm]\.?(?:[\t ]|$))"
_FRAC = r"(?:\.[0-9]+)"
_SPACE = r"[ \t]+"
_MONTH = r"(?:1[0-2]|0?[0-9])"
_DAY = r"(?:(?:3[01]|[0-2]?[0-9])(?:st|nd|rd|th)?)"
_YEAR = r"[0-9]{1,4}"
_YEAR2 = r"[0-9]{2}"
_YEAR4 = r"[0-9]{4}"
_MONTHLZ = r"(?:0[0-9]|1[0-2])"
_DAYLZ = r"(?:0[0-9]|[12][0-9]|3[01])"
_MONTHFULL = r"january|february|march|april|may|june|july|august|september|october|november|december"
_MONTHABBR = r"jan|feb|mar|apr|may|jun|jul|aug|sept|sep|oct|nov|dec"
_MONTHTEXT = rf"(?:(?i:{_MONTHFULL}|{_MONTHABBR})|XII|XI|X|IX|VIII|VII|VI|V|IV|III|II|I)"
_DAYFULL = r"sunday|monday|tuesday|wednesday|thursday|friday|saturday"
_DAYABBR = r"sun|mon|tue|wed|thu|fri|sat"
_DAYTEXT = rf"(?i:weekdays|weekday|{_DAYFULL}|{_DAYABBR})"
_TZ = r"(?:[A-Z][a-z]+(?:[_/-][A-Za-z]+)+|\(?[A-Za-z]{1,6}\)?)"
_TZCORRECTION = (
    rf"(?:(?:GMT)?[+-](?:{_HOUR24LZ}:{_MINUTELZ}:{_SECONDLZ}|{_HOUR24LZ}{_MINUTELZ}{_SECONDLZ}"
    rf"|{_HOUR24}(?::?{_MINUTE})?))"
)
_RELUNIT = (
    r"(?i:(?:millisecond|microsecond|msec|µsec|usec|second|sec|minute|min|hour|day|fortnight|forthnight"
    rf"|month|year)s?|ms|µs|weekdays|weekday|weeks|{_DAYFULL}|{_DAYABBR})"
)
_RELTEXT = r"(?i:next|last|previous|this)"

_TIME12 = rf"{_HOUR12}(?:[:.]{_MINUTELZ}(?:[:.]{_SECONDLZ})?)?(?:{_SPACE})?{_MERIDIAN}"
_TIME24 = rf"[tT]?{_HOUR24}[:.]{_MINUTE}(?:[:.]{_SECOND}{_FRAC}?)?"
_DATENOYEAR = rf"{_MONTHTEXT}[ .\t-]*{_DAY}(?:[,.stndrh\t ]+|$)"

# (pattern, action) in timelib's rule order: on equal lengths the earlier rule wins.
_RULES: list[tuple[str, Action]] = [
    (r"(?i:yesterday)", tokens.yesterday),
    (r"(?i:now)", tokens.now),
    (r"(?i:noon)", tokens.noon),
    (r"(?i:midnight|today)", tokens.midnight),
    (r"(?i:tomorrow)", tokens.tomorrow),
    (r"@-?[0-9]+", tokens.timestamp),
    (_TIME12, tokens.time12),
    (rf"{_TIME24}|[tT]{_HOUR24}", tokens.time24),
    (rf"[tT]?{_HOUR24LZ}{_MINUTELZ}", tokens.gnunocolon),
    (rf"[tT]?{_HOUR24LZ}{_MINUTELZ}{_SECONDLZ}", tokens.iso8601nocolon),
    (rf"{_MONTH}/{_DAY}(?:/{_YEAR})?", tokens.american),
    (
        rf"[+-]?{_YEAR4}-{_MONTHLZ}-{_DAYLZ}|{_YEAR4}/{_MONTHLZ}/{_DAYLZ}/?|{_YEAR4}/{_MONTH}/{_DAY}",
        tokens.date_token("ymd"),
    ),
    (rf"{_YEAR2}-{_MONTHLZ}-{_DAYLZ}", tokens.date_token("ymd")),
    (rf"{_YEAR4}-{_MONTH}", tokens.date_token("ym")),
    (rf"{_YEAR}-{_MONTH}-{_DAY}", tokens.date_token("ymd")),
    (rf"{_DAY}[ \t.-]*{_MONTHTEXT}[ \t.-]*{_YEAR}", tokens.date_token("dsMy")),
    (rf"{_DAY}[.\t-]{_MONTH}[.-]{_YEAR4}", tokens.date_token("dmy")),
    (rf"{_DAY}[.\t]{_MONTH}\.{_YEAR2}", tokens.date_token("dmy")),
    (rf"{_MONTHTEXT}[ .\t-]*{_YEAR4}", tokens.date_token("My")),
    (rf"{_YEAR4}[ .\t-]*{_MONTHTEXT}", tokens.date_token("yM")),
    (rf"{_MONTHTEXT}[ .\t-]*{_DAY}[,.stndrh\t ]+{_YEAR}|{_DATENOYEAR}", tokens.date_token("Mdy")),
    (rf"{_DAY}[ .\t-]*{_MONTHTEXT}", tokens.date_token("dsM")),
    (rf"{_YEAR4}{_MONTHLZ}{_DAYLZ}", tokens.date_token("ymd")),
    (
        rf"{_YEAR4}-{_MONTHLZ}-{_DAYLZ}T{_HOUR24LZ}:{_MINUTELZ}:{_SECONDLZ}{_FRAC}{_TZCORRECTION}?"
        rf"|{_YEAR4}{_MONTHLZ}{_DAYLZ}[tT]{_HOUR24}{_MINUTELZ}{_SECONDLZ}"
        rf"|{_YEAR4}-{_MONTH}-{_DAY}T{_HOUR24}:{_MINUTE}:{_SECOND}"
        rf"|{_YEAR4}:{_MONTHLZ}:{_DAYLZ} {_HOUR24LZ}:{_MINUTELZ}:{_SECONDLZ}",
        tokens.date_and_time,
    ),
    (rf"{_YEAR4}[.-]?(?:36[0-6]|3[0-5][0-9]|[12][0-9][0-9]|0[1-9][0-9]|00[1-9])", tokens.pgydotd),
    (rf"(?i:{_MONTHABBR})-{_DAYLZ}-{_YEAR}", tokens.date_token("Mdy")),
    (rf"{_YEAR}-(?i:{_MONTHABBR})-{_DAYLZ}", tokens.date_token("yMd")),
    (_YEAR4, tokens.year4),
    (_DAYTEXT, tokens.daytext),
    (rf"{_RELTEXT}{_SPACE}{_RELUNIT}", tokens.relativetext),
    (rf"(?i:{_MONTHFULL}|{_MONTHABBR})", tokens.month_alone),
    (rf"{_TZCORRECTION}|{_TZ}", tokens.set_zone),
    (rf"{_DATENOYEAR}{_TIME12}", tokens.date_then_time(tokens.time12)),
    (rf"{_DATENOYEAR}{_TIME24}", tokens.date_then_time(tokens.time24)),
    (rf"[+-]*[ \t]*[0-9]{{1,13}}(?:{_SPACE})?(?:{_RELUNIT}|(?i:week))", tokens.relative),
    (r"[ .,\t\n]", tokens.skip),
]


@functools.cache
def _compiled() -> list[tuple[re.Pattern[str], Action]]:
    """The rules compiled, on the first date that needs them: most dates take the fast
    path in dates/ and never do, and compiling them all is a good part of a cron run's start.
    ASCII: timelib compares bytes, so "ſep" (a long s) is no "sep" and Cyrillic is no letter it knows."""
    return [(re.compile(pattern, re.ASCII), action) for pattern, action in _RULES]


def scan(text: str) -> Fields | None:
    """The fields ``text`` sets, or None where timelib reports an error."""
    found = Fields()
    pos, end = 0, len(text)
    while pos < end:
        best_length, best_action = 0, None
        for pattern, action in _compiled():
            match = pattern.match(text, pos)
            if match is not None and match.end() - pos > best_length:
                best_length, best_action = match.end() - pos, action
        if best_action is None or not best_action(found, Cursor(text[pos : pos + best_length])):
            return None  # timelib's "Unexpected character", "Double date", unknown zone...
        pos += best_length
    return found

"""Plain YAML scalars typed as Symfony YAML 5.4 types them (Grav reads page headers with it).

PyYAML follows YAML 1.1, where ``yes``, ``no``, ``on`` and ``off`` are booleans and
``12:30`` is the number 750; Symfony keeps all of those strings, reads ``1e3`` as a float
and ``0o17`` as an octal number. A title ``No`` or ``On`` must stay a title.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

_PHP_INT_MAX = 2**63 - 1
_NUMBER_START = frozenset("+-.0123456789")
_WORDS: dict[str, Any] = {"null": None, "~": None, "": None, "true": True, "false": False}
_OCTAL = re.compile(r"([+-]?)0o([0-7_]+)\Z")
_DIGITS = re.compile(r"[0-9]+\Z")
_INTEGER_WITH_UNDERSCORES = re.compile(r"[+-]?[0-9][0-9_]*\Z")
_LEGACY_OCTAL = re.compile(r"-?0[0-7]+\Z")  # Symfony 5 still reads 012 as 10 (deprecated)
# PHP's is_numeric() for a trimmed string.
_PHP_NUMERIC = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\Z")
_HEX = re.compile(r"0x[0-9a-f_]+\Z", re.IGNORECASE)
_DECIMAL_WITH_UNDERSCORES = re.compile(r"[-+]?[0-9][0-9_]*(?:\.[0-9_]+)?\Z")
_TIMESTAMP = re.compile(
    r"""(?P<year>[0-9]{4})-(?P<month>[0-9]{1,2})-(?P<day>[0-9]{1,2})
    (?:(?:[Tt]|[ \t]+)(?P<hour>[0-9]{1,2}):(?P<minute>[0-9]{2}):(?P<second>[0-9]{2})
    (?:\.(?P<fraction>[0-9]*))?
    (?:[ \t]*(?P<tz>Z|(?P<sign>[-+])(?P<tz_hour>[0-9]{1,2})(?::(?P<tz_minute>[0-9]{2}))?))?)?\Z""",
    re.VERBOSE,
)


def symfony_scalar(text: str) -> Any:
    """The value Symfony YAML gives the plain (unquoted) scalar ``text``.

    One deliberate difference: a date or timestamp is a ``datetime.date`` /
    ``datetime.datetime`` (as PyYAML gives it), where Symfony gives the Unix time
    of the same instant read as UTC; the post's date rules then apply to it.
    """
    scalar = text.strip(" \t\n\r\0\x0b")
    if scalar[:1] not in _NUMBER_START:
        if len(scalar) <= 5 and (word := scalar.lower()) in _WORDS:
            return _WORDS[word]
        return scalar
    if match := _OCTAL.match(scalar):
        magnitude = int(match[2].replace("_", ""), 8)
        return -magnitude if match[1] == "-" else magnitude
    return _number_or_date(scalar)


def _number_or_date(scalar: str) -> Any:
    if _INTEGER_WITH_UNDERSCORES.match(scalar):
        scalar = scalar.replace("_", "")
    unsigned = scalar[1:] if scalar[0] == "-" else scalar
    if _DIGITS.match(unsigned):
        if _LEGACY_OCTAL.match(scalar):
            magnitude = int(unsigned, 8)
            return -magnitude if scalar[0] == "-" else magnitude
        number = int(scalar)
        # PHP compares the text with the integer it became: "007" and numbers past
        # PHP_INT_MAX stay strings.
        in_range = -_PHP_INT_MAX - 1 <= number <= _PHP_INT_MAX
        return number if in_range and str(number) == scalar else scalar
    if _PHP_NUMERIC.match(scalar):
        return float(scalar)
    if _HEX.match(scalar):
        digits = scalar.replace("_", "")
        # PHP's hexdec() for "0x..."; "0X..." falls through to (float), which reads "0".
        return _php_integer(int(digits[2:], 16)) if digits.startswith("0x") else 0.0
    lower = scalar.lower()
    if lower in (".inf", ".nan"):
        return float("inf")  # Symfony 5.4 reads .nan as INF too (it returns -log(0) for both)
    if lower == "-.inf":
        return float("-inf")
    if _DECIMAL_WITH_UNDERSCORES.match(scalar):
        return float(scalar.replace("_", ""))
    if match := _TIMESTAMP.match(scalar):
        return _timestamp(match)
    return scalar


def _php_integer(number: int) -> int | float:
    """PHP turns an integer past PHP_INT_MAX into a float."""
    return number if number <= _PHP_INT_MAX else float(number)


def _timestamp(match: re.Match[str]) -> dt.date | dt.datetime:
    """A date, or a datetime (aware when the text gives an offset), as PyYAML builds them.

    An impossible date (2025-02-30) raises ValueError, which the caller reports; PHP
    would quietly roll it over into March.
    """
    day = dt.date(int(match["year"]), int(match["month"]), int(match["day"]))
    if match["hour"] is None:
        return day
    fraction = (match["fraction"] or "")[:6].ljust(6, "0")
    moment = dt.datetime(
        day.year,
        day.month,
        day.day,
        int(match["hour"]),
        int(match["minute"]),
        int(match["second"]),
        int(fraction),
    )
    if match["tz"] is None:
        return moment
    if match["tz"] == "Z":
        return moment.replace(tzinfo=dt.UTC)
    offset = dt.timedelta(hours=int(match["tz_hour"]), minutes=int(match["tz_minute"] or 0))
    return moment.replace(tzinfo=dt.timezone(-offset if match["sign"] == "-" else offset))

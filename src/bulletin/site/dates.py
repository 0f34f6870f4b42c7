"""Read post dates the way Grav (PHP's strtotime) reads them."""

from __future__ import annotations

import datetime as dt
import re
import warnings
from zoneinfo import ZoneInfo

# strtotime's rule: dashes or dots between the parts mean day-month-year,
# slashes mean month/day/year (American), a leading four-digit year means year first.
_TIME = r"(?:[ T]+(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:\.\d+)?)?\s*(?P<ampm>[ap]\.?m\.?)?)?"
_ZONE = r"\s*(?P<zone>Z|UTC|GMT|[+-]\d{2}:?\d{2})?"
_DAY_FIRST = re.compile(r"(?P<d>\d{1,2})[-.](?P<m>\d{1,2})[-.](?P<y>\d{4})" + _TIME + _ZONE + r"$", re.I)
_MONTH_FIRST = re.compile(r"(?P<m>\d{1,2})/(?P<d>\d{1,2})/(?P<y>\d{4})" + _TIME + _ZONE + r"$", re.I)
_YEAR_FIRST = re.compile(r"(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})" + _TIME + _ZONE + r"$", re.I)
_TIMESTAMP = re.compile(r"@?(?P<ts>-?\d{9,})$")


class DateFormatError(ValueError):
    """The value is not a date Grav would understand."""


def parse_date(value: object, tz: ZoneInfo) -> dt.datetime:
    """Return an aware datetime; a value without an offset is local time in ``tz``."""
    if isinstance(value, bool):
        raise DateFormatError(f"not a date: {value!r}")
    if isinstance(value, (int, float)):
        return _from_timestamp(value, tz)
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=tz)
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time(), tzinfo=tz)
    if not isinstance(value, str):
        raise DateFormatError(f"not a date: {value!r}")
    text = value.strip()
    if not text:
        raise DateFormatError("empty date")
    if match := _TIMESTAMP.match(text):
        return _from_timestamp(int(match["ts"]), tz)
    for pattern in (_DAY_FIRST, _MONTH_FIRST, _YEAR_FIRST):
        if match := pattern.match(text):
            return _from_match(match, tz, text)
    if re.search(r"[A-Za-z]{3,}", text):
        # Written-out months ("12 April 2022", "April 12, 2022 10:00"): strtotime
        # accepts these, and dateutil reads them the same way.
        from dateutil import parser as dateutil_parser  # rare: not worth its import time up front

        # A fixed default: "April 2022" is 1 April, as strtotime reads it, not today's
        # day of the month. A time zone name dateutil does not know is an error, not
        # a warning that leaves the time read as local.
        with warnings.catch_warnings():
            warnings.simplefilter("error", dateutil_parser.UnknownTimezoneWarning)
            try:
                moment = dateutil_parser.parse(text, dayfirst=True, default=dt.datetime(2000, 1, 1))
            except (ValueError, OverflowError, dateutil_parser.UnknownTimezoneWarning):
                raise DateFormatError(f"unparseable date: {value!r}") from None
        return moment if moment.tzinfo else moment.replace(tzinfo=tz)
    raise DateFormatError(f"unparseable date: {value!r}")


def _from_timestamp(seconds: float, tz: ZoneInfo) -> dt.datetime:
    # A timestamp is an instant; shown in the site's zone like every other post date,
    # so one post does not stand out with +00:00 in a feed of local times.
    try:
        return dt.datetime.fromtimestamp(seconds, tz=tz)
    except (OverflowError, OSError, ValueError):
        raise DateFormatError(f"timestamp out of range: {seconds!r}") from None


def _from_match(match: re.Match[str], tz: ZoneInfo, text: str) -> dt.datetime:
    hour = int(match["H"] or 0)
    if ampm := match["ampm"]:
        if not 1 <= hour <= 12:
            raise DateFormatError(f"unparseable date: {text!r}")
        hour = hour % 12 + (12 if ampm.lower().startswith("p") else 0)
    try:
        moment = dt.datetime(
            int(match["y"]),
            int(match["m"]),
            int(match["d"]),
            hour,
            int(match["M"] or 0),
            int(match["S"] or 0),
        )
    except ValueError:
        raise DateFormatError(f"impossible date: {text!r}") from None
    zone = match["zone"]
    if not zone:
        return moment.replace(tzinfo=tz)
    if zone.upper() in ("Z", "UTC", "GMT"):
        return moment.replace(tzinfo=dt.UTC)
    sign = -1 if zone[0] == "-" else 1
    digits = zone[1:].replace(":", "")
    offset = dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    return moment.replace(tzinfo=dt.timezone(sign * offset))

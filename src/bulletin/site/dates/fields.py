"""Date fields as PHP's timelib holds them while parsing, and how they become a moment."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

_EPOCH = dt.datetime(1970, 1, 1)
_SECOND = dt.timedelta(seconds=1)


class DateFormatError(ValueError):
    """The value is not a date Grav would understand."""


@dataclass
class Relative:
    """Offsets a relative phrase ("+1 day", "next monday") adds to the read fields."""

    y: int = 0
    m: int = 0
    d: int = 0
    h: int = 0
    i: int = 0
    s: int = 0
    weekday: int | None = None  # 0 = Sunday, as timelib counts
    weekday_behavior: int = 0


@dataclass
class Fields:
    """What one parse found; None is timelib's TIMELIB_UNSET (filled from "now" later).

    Mutable on purpose: the scanner fills it token by token, as timelib does.
    """

    y: int | None = None
    m: int | None = None
    d: int | None = None
    h: int | None = None
    i: int | None = None
    s: int | None = None
    have_date: bool = False
    have_time: int = 0  # a count: timelib's "2022" after a time is a year, not a second time
    have_zone: int = 0
    zone: dt.tzinfo | int | None = None  # an int: a UTC offset in seconds, which PHP lets pass 24 h
    relative: Relative | None = None
    timestamp: bool = False  # "@1649736900": an instant, shown in the site's zone

    def set_time(self) -> bool:
        """TIMELIB_HAVE_TIME: a second time in one string is an error."""
        if self.have_time:
            return False
        self.have_time = 1
        self.h = self.i = self.s = 0
        return True

    def unset_time(self) -> None:
        """TIMELIB_UNHAVE_TIME: "today", weekday names: midnight unless a time follows."""
        self.have_time = 0
        self.h = self.i = self.s = 0

    def set_date(self) -> bool:
        """TIMELIB_HAVE_DATE: a second date in one string is an error."""
        if self.have_date:
            return False
        self.have_date = True
        return True

    def rel(self) -> Relative:
        if self.relative is None:
            self.relative = Relative()
        return self.relative


def fill_and_resolve(found: Fields, tz: ZoneInfo, now: dt.datetime | None) -> dt.datetime:
    """timelib_fill_holes + timelib_update_ts: unset fields from ``now``, then normalise."""
    if found.have_date and not found.have_time:
        found.h = found.i = found.s = 0
    found_values = (found.y, found.m, found.d, found.h, found.i, found.s)
    clock = (0, 0, 0, 0, 0, 0)
    if None in found_values:
        if now is None:
            raise DateFormatError("relative to the current time")
        # PHP's "now" is in the default zone even when the text names another.
        local = now.astimezone(tz) if now.tzinfo else now.replace(tzinfo=tz)
        clock = (local.year, local.month, local.day, local.hour, local.minute, local.second)
    y, m, d, h, i, s = (clock[n] if value is None else value for n, value in enumerate(found_values))
    if found.relative is not None:
        y, m, d, h, i, s = _apply_relative(found.relative, y, m, d, h, i, s)
    return to_moment(y, m, d, h, i, s, tz if found.zone is None else found.zone, found.timestamp, tz)


def _apply_relative(rel: Relative, y: int, m: int, d: int, h: int, i: int, s: int) -> tuple[int, ...]:
    # timelib's do_adjust_relative: the weekday first, on normalised fields (24:00 on a
    # Wednesday is Thursday), then every offset added to the wall-clock fields ("+3 hours"
    # across a DST change is three hours of wall clock, as PHP does it), normalised later.
    if rel.weekday is not None:
        wall = wall_time(y, m, d, h, i, s)
        wall += dt.timedelta(days=_weekday_shift(rel, wall.date()))
        y, m, d, h, i, s = wall.year, wall.month, wall.day, wall.hour, wall.minute, wall.second
    return y + rel.y, m + rel.m, d + rel.d, h + rel.h, i + rel.i, s + rel.s


def _weekday_shift(rel: Relative, day: dt.date) -> int:
    assert rel.weekday is not None
    current = (day.weekday() + 1) % 7  # timelib: Sunday = 0
    difference = rel.weekday - current
    if (rel.d < 0 and difference < 0) or (rel.d >= 0 and difference <= -rel.weekday_behavior):
        difference += 7
    return difference


def _normalise_date(y: int, m: int, d: int) -> tuple[int, int, int]:
    # Month overflow carries into the year first, then the day counts from the
    # first of that month: 31 April is 1 May, day 0 is the last of the month before.
    y, m0 = y + (m - 1) // 12, (m - 1) % 12
    first = dt.date(y, m0 + 1, 1)
    moment = first + dt.timedelta(days=d - 1)
    return moment.year, moment.month, moment.day


def wall_time(y: int, m: int, d: int, h: int, i: int, s: int) -> dt.datetime:
    """Fields, possibly out of range (24:00, 31 April, month 0), as the naive time PHP makes of them."""
    try:
        y, m, d = _normalise_date(y, m, d)
        return dt.datetime(y, m, d) + dt.timedelta(hours=h, minutes=i, seconds=s)
    except (ValueError, OverflowError):
        raise DateFormatError("out of range") from None


def to_moment(
    y: int, m: int, d: int, h: int, i: int, s: int, zone: dt.tzinfo | int, instant: bool, site: ZoneInfo
) -> dt.datetime:
    """Fields (possibly out of range: 24:00, 31 April) as an aware datetime, PHP's way."""
    wall = wall_time(y, m, d, h, i, s)
    if instant:
        return dt.datetime.fromtimestamp((wall - _EPOCH) // _SECOND, tz=site)
    if isinstance(zone, ZoneInfo):
        return localize(wall.replace(tzinfo=zone), zone)
    if isinstance(zone, int):
        if abs(zone) < 86400:
            return wall.replace(tzinfo=dt.timezone(dt.timedelta(seconds=zone)))
        # "-29" is a valid offset to PHP; Python's time zones stop short of 24 hours.
        return dt.datetime.fromtimestamp((wall - _EPOCH) // _SECOND - zone, tz=site)
    return wall.replace(tzinfo=zone)


def localize(moment: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    """``moment``, a wall time with tzinfo ``zone``, placed as timelib places it where the offset changes.

    timelib reads the wall time as if UTC, takes the offset there, then the offset at that
    instant minus the first: a time the clocks skip (02:30 on a spring-forward night) is then
    read with the offset before the change; a time they show twice is read with the offset
    after the change east of Greenwich (Berlin, Almaty's 29 February 2024) and before it west
    of it (New York), exactly as PHP does.
    """
    if moment.utcoffset() == moment.replace(fold=1).utcoffset():
        return moment  # nearly always: a wall time the zone shows exactly once
    as_utc = (moment.replace(tzinfo=None) - _EPOCH) // _SECOND
    current = _offset_at(as_utc, zone)
    after = _offset_at(as_utc - current, zone)
    offset = current
    # timelib's in_transition: the skipped hour of a zone west of Greenwich keeps "current".
    if after != current and not (after > current and _offset_at(as_utc - after, zone) != after):
        offset = after
    return dt.datetime.fromtimestamp(as_utc - offset, tz=zone)


def _offset_at(timestamp: int, zone: ZoneInfo) -> int:
    offset = dt.datetime.fromtimestamp(timestamp, tz=zone).utcoffset()
    assert offset is not None
    return offset // _SECOND

"""When a digest is due: `every-post`, `daily HH:MM`, `weekly DAY HH:MM`, `monthly DAY HH:MM`."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

DAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
_RULE = re.compile(
    r"^(?:(?P<kind>daily)|(?P<weekly>weekly)\s+(?P<day>[A-Za-z]{3})|(?P<monthly>monthly)\s+(?P<mday>\d{1,2}))"
    r"\s+(?P<hour>\d{1,2}):(?P<minute>\d{2})$",
    re.I,
)


class ScheduleError(ValueError):
    """The schedule text is not one of the supported forms."""


@dataclass(frozen=True)
class Schedule:
    """A parsed ``digest.schedule``. ``kind`` is each-run, every-post, daily, weekly or monthly."""

    kind: str
    time: dt.time = dt.time(0, 0)
    weekday: int = 0  # 0 = Monday, for weekly
    month_day: int = 1  # for monthly; 29-31 mean the month's last day when it is shorter

    @property
    def periodic(self) -> bool:
        return self.kind in ("daily", "weekly", "monthly")

    def latest_slot(self, now: dt.datetime, tz: ZoneInfo) -> dt.datetime:
        """The most recent slot at or before ``now`` (in UTC)."""
        now = now.astimezone(dt.UTC)
        day = now.astimezone(tz).date()
        for _ in range(40):
            if self._matches(day):
                slot = _at(day, self.time, tz)
                if slot <= now:
                    return slot
            day -= dt.timedelta(days=1)
        raise AssertionError("a slot exists within any 40 days")

    def next_slot(self, now: dt.datetime, tz: ZoneInfo) -> dt.datetime:
        """The first slot after ``now`` (in UTC)."""
        now = now.astimezone(dt.UTC)
        day = now.astimezone(tz).date()
        for _ in range(40):
            if self._matches(day):
                slot = _at(day, self.time, tz)
                if slot > now:
                    return slot
            day += dt.timedelta(days=1)
        raise AssertionError("a slot exists within any 40 days")

    def _matches(self, day: dt.date) -> bool:
        if self.kind == "weekly":
            return day.weekday() == self.weekday
        if self.kind == "monthly":
            import calendar  # only a monthly schedule needs it (and calendar imports locale)

            last = calendar.monthrange(day.year, day.month)[1]
            return day.day == min(self.month_day, last)
        return True


def _at(day: dt.date, time: dt.time, tz: ZoneInfo) -> dt.datetime:
    """Local wall time on ``day`` as an aware moment.

    One slot per calendar day whatever daylight saving does: a time skipped by
    the spring change is read with the offset before the change (02:30 becomes
    03:30 summer time), and a time that occurs twice in autumn is its first
    occurrence (fold=0). Slots are compared as UTC instants (Python compares two
    datetimes sharing one tzinfo by wall time, which the autumn hour would fool),
    so neither case skips or doubles a digest.
    """
    return dt.datetime.combine(day, time).replace(tzinfo=tz, fold=0).astimezone(dt.UTC)


def parse_schedule(text: str | None) -> Schedule:
    if text is None or text.strip().lower() in ("", "each-run"):
        return Schedule("each-run")
    text = " ".join(text.split())
    if text.lower() == "every-post":
        return Schedule("every-post")
    match = _RULE.match(text)
    if not match:
        raise ScheduleError(
            f"unknown schedule {text!r}: use every-post, daily HH:MM, weekly DAY HH:MM"
            f" (DAY one of {' '.join(DAYS)}) or monthly N HH:MM (N from 1 to 31), e.g. 'weekly MON 09:00'"
        )
    hour, minute = int(match["hour"]), int(match["minute"])
    if hour > 23 or minute > 59:
        raise ScheduleError(f"no such time of day in {text!r}")
    time = dt.time(hour, minute)
    if match["weekly"]:
        day = match["day"].upper()
        if day not in DAYS:
            raise ScheduleError(f"unknown day {match['day']!r} in {text!r}: use one of {' '.join(DAYS)}")
        return Schedule("weekly", time, weekday=DAYS.index(day))
    if match["monthly"]:
        month_day = int(match["mday"])
        if not 1 <= month_day <= 31:
            raise ScheduleError(f"no such day of the month in {text!r}")
        return Schedule("monthly", time, month_day=month_day)
    return Schedule("daily", time)

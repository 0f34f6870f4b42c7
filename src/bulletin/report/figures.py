"""The numbers the report draws, read from the store: statuses over time, digests, sign-ups."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from ..store import SUBSCRIBER_STATUSES, StatusChange, Store

DAILY_UP_TO = dt.timedelta(weeks=8)  # a shorter history is drawn day by day, a longer one week by week


@dataclass(frozen=True)
class StatusPoint:
    """How many subscribers had each status at the end of ``day``."""

    day: dt.date
    counts: tuple[int, ...]  # in SUBSCRIBER_STATUSES order


@dataclass(frozen=True)
class DigestFigures:
    number: int
    created_at: dt.datetime
    sent: int
    failed: int
    bounced: int  # recipients a hard or soft bounce was reported for
    complaints: int

    @property
    def bounce_rate(self) -> float | None:
        return self.bounced / self.sent if self.sent else None

    @property
    def complaint_rate(self) -> float | None:
        """Complaints per message sent (Gmail counts per message delivered to the inbox,
        which no sender can see, so this is the closest a sender gets)."""
        return self.complaints / self.sent if self.sent else None


@dataclass(frozen=True)
class WeekSignups:
    monday: dt.date
    count: int


@dataclass(frozen=True)
class ReportFigures:
    made_at: dt.datetime
    statuses: tuple[StatusPoint, ...]
    digests: tuple[DigestFigures, ...]  # oldest first
    signups: tuple[WeekSignups, ...]


def gather(store: Store, timezone: dt.tzinfo, now: dt.datetime, digests: int = 20) -> ReportFigures:
    """Everything the page shows, days and weeks counted in ``timezone`` (the site's)."""
    changes = sorted(store.status_changes(), key=lambda change: change.changed_at)
    return ReportFigures(
        made_at=now,
        statuses=status_points(changes, timezone, now),
        digests=digest_figures(store, digests),
        signups=weekly_signups(changes, timezone, now),
    )


def status_points(
    changes: list[StatusChange], timezone: dt.tzinfo, now: dt.datetime
) -> tuple[StatusPoint, ...]:
    """Subscribers by status at the end of each day (or week) from the first change to ``now``."""
    if not changes:
        return ()
    first = changes[0].changed_at.astimezone(timezone).date()
    last = now.astimezone(timezone).date()
    step = dt.timedelta(days=1) if last - first <= DAILY_UP_TO else dt.timedelta(weeks=1)
    days = list(_days(first if step.days == 1 else _monday(first) + dt.timedelta(days=6), last, step))
    if not days or days[-1] < last:
        days.append(last)  # the last point is today, whatever the step
    status_of: dict[int, str] = {}
    points = []
    position = 0
    for day in days:
        end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), timezone)
        while position < len(changes) and changes[position].changed_at < end:
            change = changes[position]
            status_of[change.subscriber_id] = change.status
            position += 1
        counted = Counter(status_of.values())
        points.append(StatusPoint(day, tuple(counted[status] for status in SUBSCRIBER_STATUSES)))
    return tuple(points)


def weekly_signups(
    changes: Iterable[StatusChange], timezone: dt.tzinfo, now: dt.datetime
) -> tuple[WeekSignups, ...]:
    """New subscribers (the row made, by the web form or an import) per week, Monday to Sunday."""
    seen: set[int] = set()
    per_week: Counter[dt.date] = Counter()
    for change in changes:
        if change.subscriber_id not in seen:
            seen.add(change.subscriber_id)
            per_week[_monday(change.changed_at.astimezone(timezone).date())] += 1
    if not per_week:
        return ()
    weeks = _days(min(per_week), _monday(now.astimezone(timezone).date()), dt.timedelta(weeks=1))
    return tuple(WeekSignups(monday, per_week[monday]) for monday in weeks)


def digest_figures(store: Store, limit: int) -> tuple[DigestFigures, ...]:
    """The last ``limit`` digests, oldest first."""
    figures = []
    for summary in reversed(store.digest_summaries(limit)):
        deliveries = store.delivery_counts(summary.number)
        events = store.event_counts(summary.number)
        figures.append(
            DigestFigures(
                number=summary.number,
                created_at=summary.created_at,
                sent=deliveries.sent,
                failed=deliveries.failed,
                bounced=events.hard_bounces + events.soft_bounces,
                complaints=events.complaints,
            )
        )
    return tuple(figures)


def _monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def _days(first: dt.date, last: dt.date, step: dt.timedelta) -> Iterable[dt.date]:
    day = first
    while day <= last:
        yield day
        day += step

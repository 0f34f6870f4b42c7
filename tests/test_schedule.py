"""digest.schedule: slots in the site's time zone, each handled once, across DST changes."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from bulletin.config.schedule import ScheduleError, parse_schedule

from .digest_site import DigestSite
from .smtp_server import SmtpServer

BERLIN = ZoneInfo("Europe/Berlin")
UTC = dt.UTC


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        (None, "each-run"),
        ("every-post", "every-post"),
        ("daily 08:00", "daily"),
        ("weekly sun 02:30", "weekly"),
        ("monthly 31 23:59", "monthly"),
    ],
)
def test_schedule_forms(text: str | None, kind: str) -> None:
    assert parse_schedule(text).kind == kind


@pytest.mark.parametrize("text", ["hourly", "daily 24:00", "weekly FUN 10:00", "monthly 0 10:00", "daily 8"])
def test_bad_schedules_are_refused(text: str) -> None:
    with pytest.raises(ScheduleError):
        parse_schedule(text)


def test_daily_slot_is_local_time() -> None:
    schedule = parse_schedule("daily 08:00")
    almaty = ZoneInfo("Asia/Almaty")
    slot = schedule.latest_slot(at("2026-05-10T04:00:00+00:00"), almaty)  # 09:00 in Almaty
    assert slot == at("2026-05-10T08:00:00+05:00")
    assert schedule.next_slot(at("2026-05-10T04:00:00+00:00"), almaty) == at("2026-05-11T08:00:00+05:00")


def test_monthly_31_means_the_last_day_of_short_months() -> None:
    schedule = parse_schedule("monthly 31 10:00")
    assert schedule.next_slot(at("2026-02-01T00:00:00+00:00"), ZoneInfo("UTC")) == at(
        "2026-02-28T10:00:00+00:00"
    )


def weekly_slots(start: str, end: str, step_minutes: int) -> list[dt.datetime]:
    """Every distinct latest slot seen by a cron call every ``step_minutes`` between two instants."""
    schedule = parse_schedule("weekly SUN 02:30")
    now, stop = at(start), at(end)
    seen: list[dt.datetime] = []
    while now <= stop:
        slot = schedule.latest_slot(now, BERLIN)
        if not seen or slot != seen[-1]:
            seen.append(slot)
        now += dt.timedelta(minutes=step_minutes)
    return seen


@pytest.mark.parametrize(
    ("start", "end", "sundays", "dst_slot"),
    [
        pytest.param(
            # 29 March 2026: Berlin jumps from 02:00 to 03:00, so 02:30 does not exist; the
            # slot is 02:30 read with the winter offset, which is 03:30 summer time.
            "2026-03-21T00:00:00+00:00",
            "2026-04-06T00:00:00+00:00",
            [dt.date(2026, 3, 15), dt.date(2026, 3, 22), dt.date(2026, 3, 29), dt.date(2026, 4, 5)],
            at("2026-03-29T03:30:00+02:00"),
            id="spring",
        ),
        pytest.param(
            # 25 October 2026: 02:30 happens twice in Berlin; the digest goes once, at the first.
            "2026-10-17T00:00:00+00:00",
            "2026-11-02T00:00:00+00:00",
            [dt.date(2026, 10, 11), dt.date(2026, 10, 18), dt.date(2026, 10, 25), dt.date(2026, 11, 1)],
            at("2026-10-25T02:30:00+02:00"),
            id="autumn",
        ),
    ],
)
def test_a_dst_change_neither_skips_nor_doubles(
    start: str, end: str, sundays: list[dt.date], dst_slot: dt.datetime
) -> None:
    slots = weekly_slots(start, end, 10)
    assert [slot.astimezone(BERLIN).date() for slot in slots] == sundays
    assert len(set(slots)) == len(slots)
    assert slots[2] == dst_slot


def berlin_site(site: DigestSite, schedule: str) -> None:
    site.configure(site={"timezone": "Europe/Berlin"}, digest={"schedule": schedule, "start": "2026-01-01"})


def test_weekly_digest_across_both_2026_dst_changes(site: DigestSite, smtp_server: SmtpServer) -> None:
    berlin_site(site, "weekly SUN 02:30")
    site.subscribe("reader@example.com")
    sent_at: list[dt.datetime] = []
    # A post every Wednesday; cron runs `send` every 30 minutes around each DST weekend.
    for start, end in (
        ("2026-03-18T00:00:00+01:00", "2026-04-06T00:00:00+02:00"),
        ("2026-10-14T00:00:00+02:00", "2026-11-02T00:00:00+01:00"),
    ):
        now = at(start)
        while now <= at(end):
            local = now.astimezone(BERLIN)
            if local.weekday() == 2 and local.hour == 12 and local.minute == 0:
                site.post(f"post-{local:%Y%m%d}", f"Пост {local:%d.%m}", local.strftime("%Y-%m-%d 12:00"))
            result = site.send(now)
            if result.composed:
                sent_at.append(now.astimezone(BERLIN))
            now += dt.timedelta(minutes=30)
    sundays = [moment.date() for moment in sent_at]
    assert sundays == [
        dt.date(2026, 3, 22),
        dt.date(2026, 3, 29),
        dt.date(2026, 4, 5),
        dt.date(2026, 10, 18),
        dt.date(2026, 10, 25),
        dt.date(2026, 11, 1),
    ]
    assert all(moment.weekday() == 6 for moment in sent_at)
    assert smtp_server.per_recipient() == {"reader@example.com": 6}


def test_missed_slot_sends_once_at_next_call(site: DigestSite, smtp_server: SmtpServer) -> None:
    berlin_site(site, "daily 08:00")
    site.subscribe("reader@example.com")
    site.post("one", "Один", "2026-05-01 09:00")
    assert site.send(at("2026-05-01T10:00:00+02:00")).composed is None  # set up: waits for a slot
    # The machine was down for three days: the first call afterwards sends, once.
    assert site.send(at("2026-05-04T15:00:00+02:00")).composed == 1
    assert site.send(at("2026-05-04T15:30:00+02:00")).composed is None
    assert len(smtp_server.received) == 1


def test_not_due_reports_next_slot_and_exits_zero(site: DigestSite) -> None:
    berlin_site(site, "weekly MON 09:00")
    site.subscribe("reader@example.com")
    site.post("one", "Один", "2026-05-01 09:00")
    assert site.cli("send", "--now", "2026-05-04T10:00:00+02:00").exit_code == 0  # set up: waits
    site.post("two", "Два", "2026-05-05 09:00")
    result = site.cli("send", "--now", "2026-05-06T10:00:00+02:00")
    assert result.exit_code == 0
    assert "next one is due at 2026-05-11 09:00" in result.output
    status = site.cli("status", "--now", "2026-05-06T10:00:00+02:00")
    assert "2026-05-11 09:00" in status.output and "Два" in status.output


def test_min_posts_waits_for_enough_posts(site: DigestSite, smtp_server: SmtpServer) -> None:
    berlin_site(site, "daily 08:00")
    site.configure(digest={"min_posts": 2})
    site.subscribe("reader@example.com")
    site.post("one", "Один", "2026-05-01 09:00")
    assert site.send(at("2026-05-02T09:00:00+02:00")).composed is None
    site.post("two", "Два", "2026-05-02 10:00")
    assert site.send(at("2026-05-02T11:00:00+02:00")).composed is None  # same slot, handled
    result = site.send(at("2026-05-03T09:00:00+02:00"))
    assert (result.composed, result.posts) == (1, 2)


def test_every_post_sends_each_post_alone(site: DigestSite, smtp_server: SmtpServer) -> None:
    site.configure(digest={"schedule": "every-post"})
    site.subscribe("reader@example.com")
    site.post("one", "Один", "2026-04-01 09:00")
    site.post("two", "Два", "2026-04-02 09:00")
    result = site.send()
    assert [count for _, count in result.composition.digests] == [1, 1]
    subjects = sorted(str(item.message()["Subject"]) for item in smtp_server.received)
    assert len(subjects) == 2 and "Один" in subjects[0] + subjects[1] and "Два" in subjects[0] + subjects[1]

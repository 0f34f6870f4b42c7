"""A periodic schedule set up mid-period waits for its next slot (unless send --now-due)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from bulletin.mail import jobs

from .digest_site import DigestSite
from .smtp_server import SmtpServer

ALMATY = ZoneInfo("Asia/Almaty")
BERLIN = ZoneInfo("Europe/Berlin")


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def scheduled(site: DigestSite, schedule: str, timezone: str = "Asia/Almaty") -> None:
    site.configure(site={"timezone": timezone}, digest={"schedule": schedule, "start": "2020-01-01"})
    site.subscribe("reader@example.com")


def test_weekly_set_up_on_a_thursday_waits_for_monday(site: DigestSite, smtp_server: SmtpServer) -> None:
    scheduled(site, "weekly MON 09:00")
    site.post("one", "Один", "2026-11-24 10:00")
    thursday = "2026-11-26T04:45:00+05:00"
    status = site.cli("status", "--now", thursday)
    assert status.output.splitlines()[0] == (
        "Schedule weekly: the first digest waits for the next slot, 2026-11-30 09:00 +05"
        " (send --now-due sends one at once)."
    )
    result = site.cli("send", "--now", thursday)
    assert (result.exit_code, result.output) == (
        0,
        "No digest due: the next one is due at 2026-11-30 09:00 +05.\n",
    )
    # Every cron call until the slot: nothing.
    for now in ("2026-11-27T09:00:00+05:00", "2026-11-30T08:59:00+05:00"):
        assert site.send(at(now)).composed is None
    assert smtp_server.received == []
    status = site.cli("status", "--now", "2026-11-29T12:00:00+05:00")
    assert status.output.splitlines()[0] == (
        "Schedule weekly: no digest is due yet; the next slot is 2026-11-30 09:00 +05."
    )
    assert site.send(at("2026-11-30T09:05:00+05:00")).composed == 1
    assert smtp_server.per_recipient() == {"reader@example.com": 1}


def test_send_now_due_sends_at_once_and_the_next_slot_still_comes(
    site: DigestSite, smtp_server: SmtpServer
) -> None:
    scheduled(site, "weekly MON 09:00")
    site.post("one", "Один", "2026-11-24 10:00")
    result = site.cli("send", "--now-due", "--now", "2026-11-26T04:45:00+05:00")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == "Composed digest 1 with 1 post."
    site.post("two", "Два", "2026-11-27 10:00")
    assert site.send(at("2026-11-28T10:00:00+05:00")).composed is None  # not a slot
    assert site.send(at("2026-11-30T09:00:00+05:00")).composed == 2
    assert smtp_server.per_recipient() == {"reader@example.com": 2}


def test_the_first_slot_is_planned_before_any_store_exists(site: DigestSite) -> None:
    site.configure(digest={"schedule": "daily 07:30"})
    site.post("one", "Один", "2026-11-24 10:00")
    plan = jobs.plan(site.config, at("2026-11-26T12:00:00+05:00"))
    assert (plan.due, plan.first_slot, plan.next_due) == (False, True, at("2026-11-27T07:30:00+05:00"))


def first_digests(site: DigestSite, start: str, end: str, step_minutes: int = 30) -> list[dt.datetime]:
    """The moments a cron call every ``step_minutes`` composed a digest; a new post every 12 hours."""
    moments = []
    now, last_post = at(start), None
    while now <= at(end):
        if last_post is None or now - last_post >= dt.timedelta(hours=12):
            last_post = now
            site.post(
                f"p{now:%Y%m%d%H%M}",
                f"Пост {now:%d.%m %H:%M}",
                f"{now - dt.timedelta(minutes=1):%Y-%m-%d %H:%M%z}",
            )
        if site.send(now).composed:
            moments.append(now)
        now += dt.timedelta(minutes=step_minutes)
    return moments


def test_berlin_spring_change_first_slot_is_the_sunday_after_set_up(site: DigestSite) -> None:
    # Set up on Wednesday 25 March 2026; 02:30 does not exist on Sunday the 29th (02:00 -> 03:00).
    scheduled(site, "weekly SUN 02:30", "Europe/Berlin")
    sent = first_digests(site, "2026-03-25T12:00:00+01:00", "2026-04-05T12:00:00+02:00")
    assert [moment.astimezone(BERLIN).date() for moment in sent] == [
        dt.date(2026, 3, 29),
        dt.date(2026, 4, 5),
    ]
    assert sent[0] == at("2026-03-29T03:30:00+02:00")  # the skipped 02:30 read as 03:30 summer time


def test_berlin_autumn_change_first_slot_goes_once(site: DigestSite) -> None:
    # Set up on Wednesday 21 October 2026; 02:30 happens twice on Sunday the 25th.
    scheduled(site, "weekly SUN 02:30", "Europe/Berlin")
    sent = first_digests(site, "2026-10-21T12:00:00+02:00", "2026-10-25T12:00:00+01:00")
    assert sent == [at("2026-10-25T02:30:00+02:00")]


def test_almaty_2024_offset_change_first_slot_goes_once(site: DigestSite) -> None:
    # On 1 March 2024 Almaty went from +06 to +05 at midnight: 23:00-24:00 of 29 February
    # happened twice. Set up at 23:45 (+06), the 23:30 slot that day is already past; its
    # second occurrence (+05) must not send either; the first digest is 1 March 23:30 (+05).
    scheduled(site, "daily 23:30")
    sent = first_digests(site, "2024-02-29T23:45:00+06:00", "2024-03-02T00:00:00+05:00", step_minutes=15)
    assert sent == [at("2024-03-01T23:30:00+05:00")]

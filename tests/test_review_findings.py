"""Defects an independent review found, each pinned by the test that showed it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from starlette.testclient import TestClient

from bulletin.feeds.build import build
from bulletin.site.dates import DateFormatError, parse_date
from bulletin.web.app import create_app

from .digest_site import NOW, DigestSite, outbox_site, secret, site  # noqa: F401
from .smtp_server import SmtpServer, smtp_server  # noqa: F401
from .test_hostile_subscribers import ascii_only_server  # noqa: F401

ALMATY = ZoneInfo("Asia/Almaty")


def test_a_site_on_an_internationalised_domain_sends(outbox_site: DigestSite) -> None:
    outbox_site.configure(site={"url": "https://клиника.рф"}, digest={"from": "Клиника <news@клиника.рф>"})
    outbox_site.post("one", "Новость", "2026-04-01 10:00")
    outbox_site.subscribe("reader@example.org")
    result = outbox_site.cli("send", "--now", NOW.isoformat())
    assert result.exit_code == 0, result.output
    eml = next((outbox_site.root / "outbox").glob("**/*.eml")).read_bytes()
    assert eml.isascii()
    assert b"@xn--80apagcdp.xn--p1ai>" in eml  # Message-ID, From on the punycode domain
    assert b"<bulletin.xn--80apagcdp.xn--p1ai>" in eml  # List-Id


@pytest.mark.parametrize("title", ["News, Events", "News @ Centre"])
def test_the_default_from_survives_any_site_title(outbox_site: DigestSite, title: str) -> None:
    outbox_site.configure(site={"title": title}, digest={"from": None})
    outbox_site.post("one", "Новость", "2026-04-01 10:00")
    outbox_site.subscribe("reader@example.org")
    result = outbox_site.cli("send", "--now", NOW.isoformat())
    assert result.exit_code == 0, result.output
    eml = next((outbox_site.root / "outbox").glob("**/*.eml")).read_bytes()
    assert f'From: "{title}" <noreply@clinic.example>'.encode() in eml


def test_a_template_that_fails_while_rendering_is_one_clean_line(outbox_site: DigestSite) -> None:
    outbox_site.configure(digest={"subject": "{{ posts|length / 0 }}"})
    outbox_site.post("one", "Новость", "2026-04-01 10:00")
    outbox_site.subscribe("reader@example.org")
    for command in (["check"], ["preview", "--out", str(outbox_site.root / "p")], ["send"]):
        result = outbox_site.cli(*command, "--now", NOW.isoformat())
        assert result.exit_code == 1, (command, result.output)
        assert "ZeroDivisionError" in result.output and "Traceback" not in result.output
    # Nothing was stored by the failed send: the digest is composed again once fixed.
    assert outbox_site.rows("SELECT count(*) FROM digests") == [(0,)]


def test_serve_answers_for_the_archive_pages_the_feeds_link_to(site: DigestSite) -> None:
    site.configure(feeds={"archive": True, "limit": 2})
    for n in range(1, 6):
        site.post(f"p{n}", f"Пост {n}", f"2026-04-0{n} 10:00")
    build(site.config, NOW)
    client = TestClient(create_app(site.config), base_url="https://web.clinic.example")
    rss = client.get("/feed-archive/rss-1.xml")
    atom = client.get("/feed-archive/atom-1.xml")
    assert rss.status_code == 200 and rss.headers["content-type"].startswith("application/rss+xml")
    assert atom.status_code == 200 and atom.headers["content-type"].startswith("application/atom+xml")
    assert (
        client.get("/feed-archive/rss-1.xml", headers={"if-none-match": rss.headers["etag"]}).status_code
        == 304
    )
    assert client.get("/feed-archive/other.xml").status_code == 404
    assert client.get("/%00/feed.xml").status_code == 404


def test_test_sends_reach_an_internationalised_domain_without_smtputf8(
    tmp_path: Path, ascii_only_server: SmtpServer, secret: str
) -> None:
    site = DigestSite(tmp_path / "site", ascii_only_server)
    site.post("one", "Новость", "2026-04-01 10:00")
    result = site.cli("send", "--test", "ann@пример.рф", "--now", NOW.isoformat())
    assert result.exit_code == 0, result.output
    assert [item.rcpt_tos for item in ascii_only_server.received] == [("ann@xn--e1afmkfd.xn--p1ai",)]


def test_a_policy_refusal_is_a_failure_not_a_bounce(site: DigestSite, smtp_server: SmtpServer) -> None:
    site.post("one", "Новость", "2026-04-01 10:00")
    site.subscribe("a@example.org", "b@example.org", "c@example.org")
    smtp_server.faults.rcpt_replies = [
        "550 5.7.1 Relaying denied",  # policy: the address is fine
        "550 5.1.1 No such user",  # the address is gone
        "550 Mailbox unavailable",  # bare 550: read as no such user
    ]
    result = site.send()
    assert (result.report.failed, result.report.bounced) == (1, 2)
    assert site.subscriber_status("a@example.org") == "active"
    assert site.subscriber_status("b@example.org") == "bounced"
    assert site.subscriber_status("c@example.org") == "bounced"


def test_a_user_name_without_a_password_stops_before_anything(site: DigestSite, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("SMTP_PASSWORD", raising=False)
    site.configure(smtp={"username": "robot"})
    site.post("one", "Новость", "2026-04-01 10:00")
    site.subscribe("a@example.org")
    result = site.cli("send", "--now", NOW.isoformat())
    assert result.exit_code == 1
    assert "smtp.username is set but the environment variable SMTP_PASSWORD is empty" in result.output
    assert site.rows("SELECT count(*) FROM digests") == [(0,)]


def test_a_refused_sender_stops_the_run_and_leaves_everyone_pending(
    site: DigestSite, smtp_server: SmtpServer
) -> None:
    site.post("one", "Новость", "2026-04-01 10:00")
    site.subscribe(*(f"r{n}@example.org" for n in range(6)))
    smtp_server.faults.mail_replies = ["530 5.7.0 Authentication required"] * 20
    result = site.send()
    assert result.report.aborted and "refuses the sender" in result.report.aborted
    assert result.report.failed == 0
    assert set(site.delivery_statuses().values()) == {"pending"}
    smtp_server.faults.mail_replies = []
    assert site.send().report.sent == 6  # the next run, with the relay fixed, sends them all


def test_written_out_dates_read_as_strtotime_reads_them() -> None:
    assert parse_date("April 2022", ALMATY) == dt.datetime(2022, 4, 1, tzinfo=ALMATY)
    with pytest.raises(DateFormatError):
        parse_date("12-04-2022 10:00 MSK", ALMATY)  # an unknown zone is not silently local time

"""What each shape of bounce, complaint and auto-reply is taken for (the corpus in bounce_corpus.py)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bulletin.bounces.classify import Classified, classify

from . import bounce_corpus as corpus

VERP = "bounces+1-2-abcdefghijklmnop@clinic.example"
TOKEN = "1-2-abcdefghijklmnop"
TO = "anna@example.org"
MID = "<0123456789abcdef.1.2@clinic.example>"
RECEIVED = dt.datetime(2026, 4, 12, 6, 0, tzinfo=dt.UTC)


def read(tmp_path: Path, name: str, data: bytes) -> Classified:
    """As `bounces import` reads it: from a file, CRLF line ends."""
    return classify(corpus.write(tmp_path, name, data).read_bytes(), RECEIVED)


@pytest.mark.parametrize(
    ("name", "data", "kind", "code"),
    [
        ("postfix.eml", corpus.postfix_hard(VERP, TO, MID), "hard_bounce", "5.1.1"),
        (
            "postfix-soft.eml",
            corpus.postfix_soft_headers_only(VERP, TO, MID, "<b2@mx>"),
            "soft_bounce",
            "4.2.2",
        ),
        ("gmail.eml", corpus.gmail(VERP, TO, MID), "hard_bounce", "5.1.1"),
        ("exchange.eml", corpus.exchange_online(VERP, TO, MID), "hard_bounce", "5.1.10"),
    ],
)
def test_delivery_reports_give_the_code_of_the_status_field_and_both_keys(
    tmp_path: Path, name: str, data: bytes, kind: str, code: str
) -> None:
    found = read(tmp_path, name, data)
    assert (found.kind, found.reason) == ("bounce", "RFC 3464 delivery status notification")
    [event] = found.events
    assert (event.kind, event.code, event.recipient, event.source) == (kind, code, TO, "dsn")
    assert (event.verp_token, event.message_id) == (TOKEN, MID)


def test_the_prose_does_not_decide_the_code_does(tmp_path: Path) -> None:
    # Postfix's text above says "a temporary problem, probably"; Status says 5.1.1.
    assert b"temporary" in corpus.postfix_hard(VERP, TO, MID)
    [event] = read(tmp_path, "p.eml", corpus.postfix_hard(VERP, TO, MID)).events
    assert event.kind == "hard_bounce"


def test_dates_come_from_the_report(tmp_path: Path) -> None:
    [soft] = read(tmp_path, "s.eml", corpus.postfix_soft_headers_only(VERP, TO, MID, "<b@m>")).events
    [gmail] = read(tmp_path, "g.eml", corpus.gmail(VERP, TO, MID)).events
    assert soft.occurred_at == dt.datetime(2026, 4, 11, 23, 10, tzinfo=dt.UTC)  # Last-Attempt-Date
    assert gmail.occurred_at == dt.datetime(2026, 4, 12, 12, 0, 3, tzinfo=dt.UTC)  # its -0700


def test_a_multi_recipient_report_gives_one_event_per_failure_matched_by_address(tmp_path: Path) -> None:
    data = corpus.multi_recipient(VERP, [("a@example.org", "5.1.1"), ("b@example.org", "4.2.2")], "c@x.org")
    found = read(tmp_path, "multi.eml", data)
    assert [(e.recipient, e.kind, e.code) for e in found.events] == [
        ("a@example.org", "hard_bounce", "5.1.1"),
        ("b@example.org", "soft_bounce", "4.2.2"),
    ]
    # The token names one subscriber: it must not be pinned on both addresses.
    assert {e.verp_token for e in found.events} == {None}
    assert len({e.key for e in found.events}) == 2


@pytest.mark.parametrize(
    ("name", "data"),
    [("yahoo.eml", corpus.yahoo(VERP, TO, MID)), ("qmail.eml", corpus.qmail(VERP, TO, MID))],
)
def test_bounces_without_a_report_are_read_by_flufl_bounce(tmp_path: Path, name: str, data: bytes) -> None:
    found = read(tmp_path, name, data)
    assert found.reason == "bounce without a delivery report, read by flufl.bounce"
    [event] = found.events
    assert (event.kind, event.recipient, event.code) == ("hard_bounce", TO, None)
    # The token from the address it came back to, the Message-ID from the copy pasted below.
    assert (event.verp_token, event.message_id) == (TOKEN, MID)


def test_a_delay_warning_is_no_bounce(tmp_path: Path) -> None:
    found = read(tmp_path, "delay.eml", corpus.delayed(VERP, TO))
    assert (found.kind, found.events) == ("no failure", ())
    assert "delayed" in found.reason


def test_an_abuse_report_is_a_complaint_with_both_keys(tmp_path: Path) -> None:
    found = read(tmp_path, "arf.eml", corpus.arf(VERP, TO, MID))
    [event] = found.events
    assert (found.kind, event.kind, event.source, event.code) == ("complaint", "complaint", "arf", "abuse")
    assert (event.recipient, event.verp_token, event.message_id) == (TO, TOKEN, MID)


def test_a_feedback_report_that_is_no_complaint_is_kept_for_a_person(tmp_path: Path) -> None:
    found = read(tmp_path, "auth.eml", corpus.arf(VERP, TO, MID, feedback="auth-failure"))
    assert (found.kind, found.events) == ("unknown", ())
    assert "auth-failure" in found.reason


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("gmail-ooo.eml", corpus.out_of_office_gmail(VERP), "Auto-Submitted: auto-replied"),
        ("exchange-ooo.eml", corpus.out_of_office_exchange(VERP), "X-Auto-Response-Suppress: all (Exchange)"),
        ("ru-ooo.eml", corpus.autoreply_russian_subject_only(VERP), "subject 'Автоответ: Новости'"),
    ],
)
def test_auto_replies_are_recognised_and_report_nothing(
    tmp_path: Path, name: str, data: bytes, reason: str
) -> None:
    found = read(tmp_path, name, data)
    assert (found.kind, found.reason, found.events) == ("auto-reply", reason, ())


def test_a_person_writing_to_the_bounce_address_is_unknown(tmp_path: Path) -> None:
    found = read(tmp_path, "reply.eml", corpus.personal_reply(VERP))
    assert found.kind == "unknown" and "Re: news" in found.reason


def test_the_same_mail_gives_the_same_keys(tmp_path: Path) -> None:
    data = corpus.postfix_hard(VERP, TO, MID)
    assert read(tmp_path, "a.eml", data).events == read(tmp_path, "b.eml", data).events


@pytest.mark.parametrize("data", [b"", b"\x00\xff garbage", b"Subject: x\r\n\r\n" + b"A" * 100_000])
def test_anything_at_all_is_classified_without_an_error(data: bytes) -> None:
    assert classify(data, RECEIVED).kind == "unknown"

"""Bounces and complaints where a person looks: `subscribers show` and `status` with Gmail's limit."""

from __future__ import annotations

from pathlib import Path

import pytest

from bulletin.bounces.rates import COMPLAINT_LIMIT, DigestRates, complaint_warning
from bulletin.store import EventCounts

from . import bounce_corpus as corpus
from .bounce_site import BOUNCES, keys, run
from .digest_site import DigestSite

READERS = [f"reader{n:03d}@example.org" for n in range(1, 201)]


@pytest.fixture
def sent(outbox_site: DigestSite) -> DigestSite:
    """Digest 1 to 200 readers."""
    outbox_site.configure(digest={"bounce_address": BOUNCES})
    outbox_site.post("first", "Первая новость", "2026-04-01 10:00")
    outbox_site.subscribe(*READERS)
    assert outbox_site.send().report.sent == 200
    return outbox_site


def report(site: DigestSite, tmp_path: Path, name: str, data: bytes) -> None:
    path = corpus.write(tmp_path, name, data)
    assert run(site, "bounces", "import", str(path)).exit_code == 0


def test_subscribers_show_lists_the_events_newest_first(sent: DigestSite, tmp_path: Path) -> None:
    who = READERS[0]
    verp, mid = keys(sent, who)
    report(sent, tmp_path, "soft.eml", corpus.postfix_soft_headers_only(verp, who, mid, "<s1@mx>"))
    report(sent, tmp_path, "hard.eml", corpus.postfix_hard(verp, who, mid))

    shown = sent.cli("subscribers", "show", who.upper())

    assert shown.exit_code == 0
    lines = shown.output.splitlines()
    assert lines[0] == who and lines[2] == "  status: bounced"
    assert lines[4:] == [
        "  bounces and complaints (2):",
        "    2026-04-12 05:00 UTC  hard bounce  5.1.1  digest 1  (dsn): smtp; 550 5.1.1"
        f" <{who}>: Recipient address rejected: User unknown",
        "    2026-04-11 23:10 UTC  soft bounce  4.2.2  digest 1  (dsn): smtp; 452 4.2.2 Mailbox full",
    ]
    quiet = sent.cli("subscribers", "show", READERS[1]).output.splitlines()
    assert quiet[-1] == "  no bounces or complaints"
    missing = sent.cli("subscribers", "show", "nobody@example.org")
    assert (missing.exit_code, missing.output) == (1, "Error: no subscriber nobody@example.org\n")


def test_status_shows_the_rates_and_warns_above_gmails_complaint_limit(
    sent: DigestSite, tmp_path: Path
) -> None:
    verp, mid = keys(sent, READERS[0])
    report(sent, tmp_path, "hard.eml", corpus.postfix_hard(verp, READERS[0], mid))
    verp, mid = keys(sent, READERS[1])
    report(sent, tmp_path, "arf.eml", corpus.arf(verp, READERS[1], mid))

    status = sent.cli("status", "--now", "2026-04-12T10:00")

    assert "cancelled 0; bounced 1 (0.50 %), complaints 1 (0.50 %)" in status.output
    assert (
        "Warning: complaint rate 0.50 % over the last 1 digest(s) (1 of 200) is above Gmail's 0.30 %"
        in status.output
    )


def test_status_says_nothing_of_bounces_when_there_were_none(sent: DigestSite) -> None:
    status = sent.cli("status", "--now", "2026-04-12T10:00").output
    assert "sent 200, pending 0, failed 0, cancelled 0\n" in status and "Warning" not in status


@pytest.mark.parametrize(("complaints", "warned"), [(3, False), (4, True)])
def test_the_warning_starts_above_three_in_a_thousand(complaints: int, warned: bool) -> None:
    rates = [DigestRates(1, 600, EventCounts(complaints=complaints)), DigestRates(2, 400, EventCounts())]
    assert (complaint_warning(rates) is not None) is warned
    assert COMPLAINT_LIMIT == 0.003

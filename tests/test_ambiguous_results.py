"""Ambiguous SMTP results (issue 16, items 2 and 3): no reply after the whole message, and
throttling that lasts over several runs.

A message after whose end mark the server hangs up, falls silent past smtp.data_timeout or
answers garbage may have arrived: it is *uncertain*, sent once more at most, and reported
apart. A 4xx reply is the server saying "later": it is tried again in later runs, with a
growing wait, until smtp.give_up_after, and never counts toward smtp.max_attempts.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from .digest_site import NOW, DigestSite
from .raw_smtp import HANG_UP, RawServer, Script
from .smtp_server import SmtpServer

StartRaw = Callable[[Script], RawServer]
ADDRESSES = [f"reader{n:03d}@example.org" for n in range(1, 9)]


def prepared(site: DigestSite, count: int = 8, **smtp: object) -> list[str]:
    site.post("one", "Первая", "2026-04-01 10:00")
    addresses = ADDRESSES[:count]
    site.subscribe(*addresses)
    site.configure(smtp=smtp)
    return addresses


def send(site: DigestSite) -> tuple[int, str]:
    result = site.cli("send", "--now", NOW.isoformat())
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def rows(site: DigestSite) -> dict[str, tuple[str, int, int, str | None]]:
    return {
        email: (status, attempts, uncertain, error)
        for email, status, attempts, uncertain, error in site.rows(
            "SELECT s.email, d.status, d.attempts, d.uncertain, d.last_error FROM deliveries d"
            " JOIN subscribers s ON s.id = d.subscriber_id"
        )
    }


# The reply to the end of the message ---------------------------------------------------


def test_a_final_reply_slower_than_the_timeout_is_waited_for_up_to_data_timeout(
    site: DigestSite, raw_server: StartRaw
) -> None:
    # Commands are answered at once; the end of each message only after 1.2 s.
    raw = raw_server(Script(end_of_data_delay=lambda n: 1.2))
    addresses = prepared(site, count=3, port=raw.port, timeout=0.4, data_timeout=5, connections=3)

    code, output = send(site)

    assert code == 0, output
    assert raw.kept_per_recipient() == {address: 1 for address in addresses}
    assert "Uncertain" not in output


def test_a_drop_after_the_end_mark_is_uncertain_sent_once_more_and_reported(
    site: DigestSite, raw_server: StartRaw
) -> None:
    raw = raw_server(Script(end_of_data=lambda n: HANG_UP if n == 3 else "250 2.0.0 queued"))
    addresses = prepared(site, port=raw.port, connections=1)

    code, output = send(site)

    assert code == 0, output
    assert "Sent 8, failed 0, bounced 0, pending 0;" in output
    assert "Uncertain 1: the server hung up or fell silent after the whole message" in output
    kept = raw.kept_per_recipient()
    [twice] = [address for address, count in kept.items() if count == 2]
    assert kept == {address: 2 if address == twice else 1 for address in addresses}
    assert rows(site)[twice][:3] == ("sent", 2, 1)
    assert "sent 8, pending 0, failed 0, cancelled 0, uncertain 1" in site.cli("status").output


def test_uncertain_twice_is_failed_and_never_sent_a_third_time(
    site: DigestSite, raw_server: StartRaw
) -> None:
    # This relay takes every message and hangs up before answering.
    raw = raw_server(Script(end_of_data=lambda n: HANG_UP))
    [address] = prepared(site, count=1, port=raw.port, connections=1, max_attempts=10)

    code, output = send(site)

    assert code == 1
    assert "Sent 0, failed 1, bounced 0, pending 0;" in output
    assert "Uncertain 2:" in output
    [(status, attempts, uncertain, error)] = rows(site).values()
    assert (status, attempts, uncertain) == ("failed", 2, 2)
    assert error is not None and error.startswith("uncertain twice, not sent again (it may have arrived)")
    # Neither a later run nor `resend --failed` sends it again.
    assert send(site)[0] == 0
    assert site.cli("resend", "1", "--failed").exit_code == 0
    assert raw.kept_per_recipient() == {address: 2}


def test_a_relay_that_drops_every_connection_after_data_stops_the_run_before_any_second_copy(
    site: DigestSite, smtp_server: SmtpServer, raw_server: StartRaw
) -> None:
    raw = raw_server(Script(end_of_data=lambda n: HANG_UP))
    addresses = prepared(site, count=8, port=raw.port, connections=2)

    code, output = send(site)

    assert code == 1 and "Error: delivery stopped:" in output
    assert max(raw.kept_per_recipient().values()) == 1  # the run stopped before sending any again
    site.configure(smtp={"port": smtp_server.port})
    assert send(site)[0] == 0
    # Those the relay kept got one more copy (their one retry), the others their first.
    assert smtp_server.per_recipient() == {address: 1 for address in addresses}


def test_one_connection_in_fifty_dropped_after_data_gives_at_most_one_extra_copy_each(
    site: DigestSite, raw_server: StartRaw
) -> None:
    drops = {n for n in range(1, 1000) if n % 50 == 17}
    raw = raw_server(Script(end_of_data=lambda n: HANG_UP if n in drops else "250 2.0.0 queued"))
    site.post("one", "Первая", "2026-04-01 10:00")
    addresses = [f"many{n:04d}@example.org" for n in range(300)]
    site.subscribe(*addresses)
    site.configure(smtp={"port": raw.port, "connections": 2})

    for _ in range(3):
        code, output = send(site)
        if code == 0:
            break
    assert code == 0, output

    kept = raw.kept_per_recipient()
    dropped = len([n for n in drops if n <= raw.messages])
    assert set(kept) == set(addresses)  # nothing lost
    assert max(kept.values()) <= 2
    assert sum(kept.values()) - len(addresses) == dropped  # exactly one extra per dropped message
    assert dropped >= 5


# 4xx over several runs ------------------------------------------------------------------


def test_a_throttle_over_two_runs_fails_nobody_and_the_third_run_sends_all(
    site: DigestSite, smtp_server: SmtpServer
) -> None:
    # max_attempts 2 would fail everyone after the first run if 4xx replies counted toward it.
    addresses = prepared(site, count=4, connections=1, max_attempts=2)
    smtp_server.faults.rcpt_tempfail = 2 * 4 * 3  # every try of two runs: 4 subscribers, 3 tries each
    smtp_server.faults.throttle_reply = "451 4.7.1 rate limited, try again later"

    for _ in range(2):
        code, output = send(site)
        assert code == 1
        assert "Sent 0, failed 0, bounced 0, pending 4;" in output
        assert {status for status, *_ in rows(site).values()} == {"pending"}
    code, output = send(site)

    assert code == 0, output
    assert smtp_server.per_recipient() == {address: 1 for address in addresses}
    assert {status for status, *_ in rows(site).values()} == {"sent"}


def test_4xx_replies_are_given_up_after_give_up_after_counted_from_the_first(
    site: DigestSite, smtp_server: SmtpServer
) -> None:
    prepared(site, count=1, connections=1, give_up_after="1s")
    smtp_server.faults.rcpt_tempfail = 1000

    assert send(site)[0] == 1
    [(status, _, _, error)] = rows(site).values()
    assert (status, error) == ("pending", "451 4.3.0 try later")
    time.sleep(1.1)
    code, output = send(site)

    assert code == 1
    assert "Sent 0, failed 1, bounced 0, pending 0;" in output
    [(status, attempts, _, error)] = rows(site).values()
    assert status == "failed" and attempts == 4  # three tries in the first run, one in the second
    assert error == "gave up after 1 second of temporary failures: 451 4.3.0 try later"


def test_a_delivery_refused_with_4xx_waits_retry_backoff_before_the_next_run_tries_it(
    site: DigestSite, smtp_server: SmtpServer
) -> None:
    prepared(site, count=2, connections=1, retry_backoff=60)
    smtp_server.faults.rcpt_replies = ["452 4.5.3 mailbox busy"] * 3  # the first subscriber's three tries

    first_code, _ = send(site)
    rcpts = smtp_server.handler.rcpt_commands
    code, output = send(site)

    assert first_code == 1 and code == 1
    assert smtp_server.handler.rcpt_commands == rcpts  # not tried again yet
    assert "pending 1;" in output
    [(retry_at,)] = site.rows("SELECT retry_at FROM deliveries WHERE status = 'pending'")
    assert retry_at is not None
    assert len(smtp_server.received) == 1

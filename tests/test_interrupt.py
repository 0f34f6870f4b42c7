"""Ctrl-C during `bulletin send` (issue 15, item 7), sent as a real SIGINT to a real process
talking to a slow real SMTP server.

The first Ctrl-C takes no new deliveries, lets the messages in flight finish, records
them, prints the usual summary and how to go on, and exits 130; nothing is sent twice
by the next run. A second Ctrl-C exits at once.
"""

from __future__ import annotations

import signal
import time

from .digest_site import NOW, DigestSite
from .smtp_server import SmtpServer

ADDRESSES = [f"reader{n:03d}@example.org" for n in range(60)]


def started_send(site: DigestSite, smtp_server: SmtpServer, delay: float):  # type: ignore[no-untyped-def]
    site.post("one", "Первая", "2026-04-01 10:00")
    site.subscribe(*ADDRESSES)
    site.configure(smtp={"connections": 2})
    smtp_server.faults.data_delay = delay
    process = site.popen("send", "--now", NOW.isoformat())
    smtp_server.wait_for(4)
    return process


def test_the_first_ctrl_c_finishes_the_messages_in_flight_records_them_and_says_how_to_go_on(
    site: DigestSite, smtp_server: SmtpServer
) -> None:
    process = started_send(site, smtp_server, delay=0.2)

    process.send_signal(signal.SIGINT)
    started = time.monotonic()
    out, err = process.communicate(timeout=30)

    assert time.monotonic() - started < 3  # the messages in flight (0.2 s each), not the whole list
    assert process.returncode == 130, out + err
    assert "Traceback" not in out + err and "Aborted!" not in out + err
    received = len(smtp_server.received)
    sent = site.rows("SELECT count(*) FROM deliveries WHERE status = 'sent'")[0][0]
    assert sent == received  # every message the server took is recorded
    assert 4 <= received < len(ADDRESSES)
    assert f"Sent {received}, failed 0, bounced 0, pending {len(ADDRESSES) - received};" in out
    assert out.rstrip().endswith("run `bulletin send` again to continue.")
    assert "Interrupted: finishing the messages in flight" in err

    smtp_server.faults.data_delay = 0
    rerun = site.popen("send", "--now", NOW.isoformat())
    rerun.communicate(timeout=60)

    assert rerun.returncode == 0
    assert smtp_server.per_recipient() == {address: 1 for address in ADDRESSES}


def test_a_second_ctrl_c_exits_at_once(site: DigestSite, smtp_server: SmtpServer) -> None:
    process = started_send(site, smtp_server, delay=0.05)
    smtp_server.faults.data_delay = 20  # the messages now in flight would take 20 s

    time.sleep(0.3)
    process.send_signal(signal.SIGINT)
    time.sleep(0.3)
    process.send_signal(signal.SIGINT)
    started = time.monotonic()
    out, err = process.communicate(timeout=10)

    assert time.monotonic() - started < 2
    assert process.returncode == 130
    assert "Interrupted again: exiting now" in err
    assert "Traceback" not in out + err
    # What was recorded stays recorded; the rest goes on the next run.
    assert site.rows("PRAGMA integrity_check") == [("ok",)]

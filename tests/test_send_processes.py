"""`bulletin send` as real processes: killed with SIGKILL midway, started twice at once."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from .digest_site import NOW, DigestSite
from .smtp_server import SmtpServer

pytestmark = pytest.mark.both_backends

ADDRESSES = [f"reader{n:02d}@example.org" for n in range(1, 31)]
NOW_ARG = ("--now", NOW.isoformat())


def prepare(site: DigestSite, addresses: list[str] = ADDRESSES, connections: int = 2) -> None:
    site.configure(smtp={"connections": connections})
    site.post("one", "Первая", "2026-04-01 10:00")
    site.post("two", "Вторая", "2026-04-02 10:00")
    site.subscribe(*addresses)


def finish(process: subprocess.Popen[str], timeout: float = 60) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=timeout)
    return process.returncode, out, err


@pytest.mark.parametrize(("kill_after", "pipelining"), [(1, False), (12, False), (8, True)])
def test_sigkill_midway_then_rerun_leaves_exactly_one_copy_each(
    site: DigestSite, smtp_server: SmtpServer, kill_after: int, pipelining: bool
) -> None:
    connections = 2
    prepare(site, connections=connections)
    smtp_server.faults.pipelining = pipelining
    smtp_server.faults.data_delay = 0.05  # about 40 messages a second over two connections

    first = site.popen("send", *NOW_ARG)
    try:
        smtp_server.wait_for(kill_after)
    finally:
        os.kill(first.pid, signal.SIGKILL)
        first.wait(10)
    assert first.returncode == -signal.SIGKILL
    arrived = len(smtp_server.received)
    assert arrived < len(ADDRESSES), "the run finished before it could be killed"
    assert site.store_problems() == []
    assert site.rows("SELECT count(*) FROM digests") == [(1,)]

    smtp_server.faults.data_delay = 0.0
    code, out, err = finish(site.popen("send", *NOW_ARG))

    assert code == 0, (out, err)
    assert "Composed digest" not in out  # the killed run's digest was finished, not a new one
    counts = smtp_server.per_recipient()
    assert set(counts) == set(ADDRESSES)
    duplicates = sum(counts.values()) - len(ADDRESSES)
    assert duplicates <= connections, counts
    assert set(site.delivery_statuses().values()) == {"sent"}
    assert site.store_problems() == []


def test_repeated_kills_lose_nothing(site: DigestSite, smtp_server: SmtpServer) -> None:
    connections = 2
    prepare(site, connections=connections)
    smtp_server.faults.data_delay = 0.03
    kills = 0
    for target in (4, 10, 16):
        process = site.popen("send", *NOW_ARG)
        try:
            smtp_server.wait_for(target)
        finally:
            process.kill()
            process.wait(10)
        kills += 1
        assert site.store_problems() == []
    smtp_server.faults.data_delay = 0.0
    code, out, err = finish(site.popen("send", *NOW_ARG))

    assert code == 0, (out, err)
    counts = smtp_server.per_recipient()
    assert set(counts) == set(ADDRESSES)
    assert sum(counts.values()) - len(ADDRESSES) <= kills * connections
    assert site.rows("SELECT count(*) FROM digests") == [(1,)]


def test_two_concurrent_sends_send_each_message_once(site: DigestSite, smtp_server: SmtpServer) -> None:
    addresses = ADDRESSES[:20]
    prepare(site, addresses)
    smtp_server.faults.data_delay = 0.02

    processes = [site.popen("send", *NOW_ARG) for _ in range(2)]
    results = [finish(process) for process in processes]

    assert [code for code, _, _ in results] == [0, 0], results
    outputs = sorted(out for _, out, _ in results)
    composed = [out for out in outputs if "Composed digest 1 with 2 posts." in out]
    assert len(composed) == 1, outputs
    other = next(out for out in outputs if out not in composed)
    if site.store_url:
        # PostgreSQL: the second sender waits while the first composes, then shares the sending.
        assert other.startswith("Sent ") or other == "No new posts and nothing pending: nothing sent.\n", (
            other
        )
    else:
        assert other in (
            "Another bulletin send holds the lock; nothing to do in this run.\n",
            "No new posts and nothing pending: nothing sent.\n",
        )
    assert smtp_server.per_recipient() == {address: 1 for address in addresses}
    assert site.rows("SELECT count(*) FROM digests") == [(1,)]


@pytest.mark.sqlite_only("on PostgreSQL senders share a run by design (the run lock is shared)")
def test_send_while_another_run_holds_the_lock_exits_zero(
    site: DigestSite, smtp_server: SmtpServer, run_lock_holder: Callable[[Path], subprocess.Popen[str]]
) -> None:
    prepare(site, ADDRESSES[:3])
    holder = run_lock_holder(site.config_path)
    code, out, err = finish(site.popen("send", *NOW_ARG))
    holder.kill()
    holder.wait(10)

    assert (code, out) == (
        0,
        "Another bulletin send holds the lock; nothing to do in this run.\n",
    ), err
    assert smtp_server.received == []
    assert site.rows("SELECT count(*) FROM digests") == [(0,)]

    # The holder is gone: the next cron run does the work.
    code, out, err = finish(site.popen("send", *NOW_ARG))
    assert code == 0, (out, err)
    assert smtp_server.per_recipient() == {address: 1 for address in ADDRESSES[:3]}


def test_send_process_reports_progress_lines_when_not_a_terminal(
    site: DigestSite, smtp_server: SmtpServer
) -> None:
    prepare(site, ADDRESSES[:3])
    started = time.monotonic()

    code, out, err = finish(site.popen("send", *NOW_ARG))

    assert code == 0
    assert out.splitlines()[0] == "Composed digest 1 with 2 posts."
    assert out.splitlines()[-1].startswith("Sent 3, failed 0, bounced 0, pending 0; ")
    assert err.splitlines()[-1] == "sending: 3/3"
    assert "Traceback" not in err
    assert time.monotonic() - started < 30

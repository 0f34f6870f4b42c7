"""A full disk under the store (issue 16, item 1): never send what cannot be recorded.

The store's folder is a small tmpfs (mounted for the test; skipped where mounting is not
allowed) that fills up while `bulletin send` runs as a real process. The run must stop
taking new deliveries at the first refused write and end with its summary; no later run
may send while the disk is full; once space is back the next run finishes, and at most the
messages in flight at the first failure arrive twice. The portable variant fills no disk:
RLIMIT_FSIZE makes every write past a size fail as a full disk's would.
"""

from __future__ import annotations

import os
import re
import resource
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from bulletin.mail.jobs import compose
from bulletin.mail.sent_journal import BATCH
from bulletin.site.reading import load_site_posts
from bulletin.store import open_store
from bulletin.store.sqlite_guard import RESERVE_BYTES

from .digest_site import NOW, DigestSite
from .smtp_server import SmtpServer

ADDRESSES = [f"reader{n:03d}@example.org" for n in range(300)]
MANY = [f"reader{n:04d}@example.org" for n in range(2000)]


@pytest.fixture
def small_state(tmp_path: Path) -> Iterator[Path]:
    """tmp_path/site/state on a 6 MB tmpfs."""
    folder = tmp_path / "site" / "state"
    folder.mkdir(parents=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", str(folder)], capture_output=True, text=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs for the store (needs root): {mounted.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def composed_site(site: DigestSite, addresses: list[str] = ADDRESSES, **store: object) -> None:
    """300 subscribers and a stored digest with a pending delivery for each; nothing sent yet."""
    site.post("one", "Первая", "2026-04-01 10:00")
    site.subscribe(*addresses)
    site.configure(store=store, smtp={"connections": 2})
    config = site.config
    with open_store(config) as opened:
        compose(config, opened, load_site_posts(config), NOW)


def fill(folder: Path, leave: int) -> Path:
    """Take all of the folder's disk but ``leave`` bytes."""
    filler = folder / "filler"
    free = os.statvfs(folder).f_bavail * os.statvfs(folder).f_frsize
    with open(filler, "wb") as handle:
        handle.write(b"\0" * max(free - leave, 0))
    return filler


def run(site: DigestSite, **popen: object) -> tuple[int, str, str]:
    process = site.popen("send", "--now", NOW.isoformat(), **popen)
    out, err = process.communicate(timeout=120)
    return process.returncode, out, err


def sent(site: DigestSite) -> int:
    return int(site.rows("SELECT count(*) FROM deliveries WHERE status = 'sent'")[0][0])


def test_a_disk_filling_up_mid_run_stops_it_and_no_later_run_sends_until_space_is_back(
    site: DigestSite, smtp_server: SmtpServer, small_state: Path
) -> None:
    composed_site(site, min_free_mb=0.01)
    # The run sets 256 KB aside first; what is left holds the store's shared-memory index, its
    # write check and the sent journal, not the first batch of 'sent' rows (mail/sent_journal.py).
    filler = fill(small_state, leave=RESERVE_BYTES + 48 * 1024)

    code, out, err = run(site)

    assert code == 1
    assert "Traceback" not in out + err
    received = len(smtp_server.received)
    assert 0 < received < len(ADDRESSES), out + err
    assert f"pending {len(ADDRESSES) - sent(site)};" in out  # the usual summary, and it is true
    [error] = [line for line in err.splitlines() if line.startswith("Error:")]
    assert error.startswith(f"Error: delivery stopped: {small_state}: cannot write to the store:"), err
    in_flight = received - sent(site)
    assert in_flight <= 2 + 1  # the two connections, and the message whose record failed

    # Still full: a later run refuses before sending, in one line naming the folder.
    site.configure(store={"min_free_mb": 1})
    code, out, err = run(site)
    assert code == 1 and len(smtp_server.received) == received
    assert re.fullmatch(
        re.escape(f"Error: {small_state}: only ") + r"0\.[0-9] MB free; bulletin send needs at least 1 MB"
        r" there to record what it sends \(store\.min_free_mb\)",
        err.strip(),
    ), err

    filler.unlink()
    code, out, err = run(site)

    assert code == 0, out + err
    copies = smtp_server.per_recipient()
    assert set(copies) == set(ADDRESSES)  # nothing lost
    assert sum(copies.values()) - len(ADDRESSES) <= in_flight  # only the in-flight ones, once
    assert not (small_state / "bulletin.db.unrecorded").exists()
    assert {status for (status,) in site.rows("SELECT DISTINCT status FROM deliveries")} == {"sent"}


def test_the_run_refuses_to_start_below_the_margin(
    site: DigestSite, smtp_server: SmtpServer, small_state: Path
) -> None:
    composed_site(site, min_free_mb=50)  # more than the whole 6 MB disk

    code, out, err = run(site)

    assert code == 1 and smtp_server.received == []
    assert re.fullmatch(
        re.escape(f"Error: {small_state}: only ") + r"[56]\.[0-9] MB free; bulletin send needs at least 50 MB"
        r" there to record what it sends \(store\.min_free_mb\)\n",
        err,
    ), err


def limit_file_size(limit: int) -> None:
    """In the child: writes past ``limit`` bytes fail (EFBIG) instead of killing it (SIGXFSZ)."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))


def test_writes_refused_mid_run_without_a_full_disk_are_handled_the_same(
    site: DigestSite, smtp_server: SmtpServer
) -> None:
    composed_site(site, MANY)
    # The write-ahead log may grow by about 300 KB from here (the reserve the run sets aside
    # first is a file of its own, under the limit too): the 'sent' rows of some 1,000 messages
    # in batches (mail/sent_journal.py), 10 to 20 commits of one row each before.
    files = [site.store_path, Path(str(site.store_path) + "-wal")]
    limit = max(RESERVE_BYTES, *(path.stat().st_size for path in files if path.exists())) + 60 * 1024

    code, out, err = run(site, preexec_fn=lambda: limit_file_size(limit))

    assert code == 1 and "Traceback" not in out + err
    assert "Error: delivery stopped:" in err and "cannot write to the store" in err
    received = len(smtp_server.received)
    assert 0 < received < len(MANY)
    unrecorded = received - sent(site)
    # The batch the store refused, and the messages in flight: all listed beside the store.
    assert 1 <= unrecorded <= BATCH + 3
    # The list of what went unrecorded fits beside the store (a file of its own).
    marker = site.store_path.with_name("bulletin.db.unrecorded")
    assert len(marker.read_text().splitlines()) == unrecorded
    assert f"{unrecorded} accepted by the server while the store could not record them" in out

    code, out, err = run(site)
    assert code == 0, out + err
    copies = smtp_server.per_recipient()
    assert copies == {address: 1 for address in MANY}  # the listed ones were recorded, not sent again
    assert not marker.exists()

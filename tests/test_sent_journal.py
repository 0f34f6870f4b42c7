"""The sent journal (mail/sent_journal.py): each accepted message is noted beside the store at
once and written to the store a batch at a time; what a killed run noted is never sent again."""

from __future__ import annotations

import signal
from pathlib import Path

from bulletin.mail.jobs import compose
from bulletin.mail.sent_journal import BATCH, read_journal
from bulletin.site.reading import load_site_posts
from bulletin.store import open_store

from .digest_site import NOW, DigestSite
from .smtp_server import SmtpServer

ADDRESSES = [f"reader{n:03d}@example.org" for n in range(250)]


def composed(site: DigestSite, addresses: list[str] = ADDRESSES) -> None:
    """A stored digest with a pending delivery per subscriber; nothing sent yet."""
    site.post("one", "Первая", "2026-04-01 10:00")
    site.subscribe(*addresses)
    config = site.config
    with open_store(config) as store:
        compose(config, store, load_site_posts(config), NOW)


def journal_of(site: DigestSite) -> Path:
    return site.store_path.with_name(site.store_path.name + ".sent")


def ids_of(site: DigestSite, addresses: list[str]) -> list[int]:
    found = dict(site.rows("SELECT email, id FROM subscribers"))
    return [found[address] for address in addresses]


def test_a_finished_run_leaves_every_message_in_the_store_and_no_journal(
    site: DigestSite, smtp_server: SmtpServer
) -> None:
    composed(site)

    result = site.send()

    assert result.report.sent == len(ADDRESSES) > BATCH  # several batches and a last, partial one
    assert site.rows("SELECT status, count(*) FROM deliveries GROUP BY status") == [("sent", len(ADDRESSES))]
    assert not journal_of(site).exists()


def test_what_a_killed_run_noted_is_recorded_first_and_never_sent_again(
    site: DigestSite, smtp_server: SmtpServer
) -> None:
    composed(site)
    noted = ADDRESSES[:40]
    # What a run killed after the server took these 40 leaves: the lines, not the store rows;
    # the last line cut short by the kill.
    lines = "".join(f"1 {subscriber}\n" for subscriber in ids_of(site, noted))
    journal_of(site).write_text(lines + "1 12", encoding="ascii")

    process = site.popen("send", "--now", NOW.isoformat())
    out, err = process.communicate(timeout=120)

    assert process.returncode == 0, out + err
    assert f"Sent {len(ADDRESSES) - len(noted)}, failed 0" in out
    assert smtp_server.per_recipient() == {address: 1 for address in ADDRESSES[40:]}
    assert site.rows("SELECT count(*) FROM deliveries WHERE status = 'sent'") == [(len(ADDRESSES),)]
    assert not journal_of(site).exists()


def test_a_run_killed_mid_batch_has_noted_every_accepted_message(
    site: DigestSite, smtp_server: SmtpServer
) -> None:
    composed(site)
    site.configure(smtp={"connections": 2})
    smtp_server.faults.data_delay = 0.01
    process = site.popen("send", "--now", NOW.isoformat())
    smtp_server.wait_for(BATCH // 2)

    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=30)

    journal = {subscriber for digest, subscriber in read_journal(journal_of(site)) if digest == 1}
    stored = {
        subscriber
        for (subscriber,) in site.rows("SELECT subscriber_id FROM deliveries WHERE status = 'sent'")
    }
    received = ids_of(site, list(smtp_server.per_recipient()))
    assert len(received) >= BATCH // 2
    # Every message the server took is noted, but for the one per connection it was answering.
    assert len(set(received) - journal - stored) <= 2

    smtp_server.faults.data_delay = 0
    rerun = site.popen("send", "--now", NOW.isoformat())
    out, err = rerun.communicate(timeout=120)
    assert rerun.returncode == 0, out + err
    copies = smtp_server.per_recipient()
    assert set(copies) == set(ADDRESSES)
    assert sum(copies.values()) - len(ADDRESSES) <= 2

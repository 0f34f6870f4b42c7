"""The whole way round with real servers: a digest sent through Postfix to an address that does not
exist comes back as Postfix's own DSN, which `bulletin bounces fetch` reads over IMAP from Dovecot."""

from __future__ import annotations

import imaplib
import re
import smtplib
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bulletin.bounces.imap import encode_folder
from bulletin.cli import main

from . import bounce_corpus as corpus
from .digest_site import DigestSite
from .mail_servers import (
    DOMAIN,
    DOVECOT,
    POSTFIX,
    DovecotImap,
    PostfixRelay,
    missing,
    open_folder,
    running,
    wait_for_mail,
)
from .smtp_server import free_port
from .test_smtp_faults import Pki

PASSWORD = "imap-пароль-0123"
REAL, GHOST = f"real@{DOMAIN}", f"ghost@{DOMAIN}"  # ghost has no mailbox: Postfix bounces it
MAILBOXES = ("bounces", "real")


@pytest.fixture
def relay() -> Iterator[PostfixRelay]:
    reason = missing(POSTFIX, "postfix")
    if reason:
        pytest.skip(reason)
    with (
        open_folder("bulletin-postfix-") as root,
        running(PostfixRelay(root, free_port(), MAILBOXES)) as server,
    ):
        yield server


@pytest.fixture
def imap(relay: PostfixRelay) -> Iterator[DovecotImap]:
    reason = missing(DOVECOT, "dovecot-imapd")
    if reason:
        pytest.skip(reason)
    with open_folder("bulletin-dovecot-") as root:
        box = DovecotImap(root, free_port(), relay.maildir("bounces"), "bounces", PASSWORD)
        with running(box) as server:
            yield server


@pytest.fixture
def site(
    tmp_path: Path, secret: str, relay: PostfixRelay, imap: DovecotImap, monkeypatch: pytest.MonkeyPatch
) -> DigestSite:
    monkeypatch.setenv("BOUNCE_BOX_PASSWORD", PASSWORD)
    site = DigestSite(tmp_path / "site", None)
    site.configure(
        smtp={"host": "127.0.0.1", "port": relay.port, "security": "none", "timeout": 10},
        digest={"bounce_address": f"bounces@{DOMAIN}"},
        bounces={
            "imap": {
                "host": "127.0.0.1",
                "port": imap.port,
                "security": "none",
                "user": "bounces",
                "password_env": "BOUNCE_BOX_PASSWORD",
            }
        },
    )
    return site


def fetch(site: DigestSite) -> Result:
    return CliRunner().invoke(main, ["bounces", "fetch", "--config", str(site.config_path)])


def deliver(relay: PostfixRelay, data: bytes) -> None:
    """Mail to the bounce box through Postfix, as a feedback loop or a reader's autoresponder would."""
    with smtplib.SMTP("127.0.0.1", relay.port, timeout=10) as smtp:
        smtp.sendmail("someone@example.org", [f"bounces@{DOMAIN}"], data.replace(b"\n", b"\r\n"))


def test_a_send_to_an_address_that_does_not_exist_ends_with_the_subscriber_bounced(
    site: DigestSite, relay: PostfixRelay, imap: DovecotImap
) -> None:
    site.post("first", "Первая новость", "2026-04-01 10:00")
    site.subscribe(REAL, GHOST)

    result = site.send()

    # Postfix accepted both; the ghost's failure comes later, as mail.
    assert (result.report.sent, result.report.bounced) == (2, 0)
    assert len(wait_for_mail(relay.maildir("real"), 1)) == 1
    [dsn] = wait_for_mail(relay.maildir("bounces"), 1)
    assert (
        b"Status: 5.1.1" in dsn.read_bytes() and b"X-Postfix-Sender: rfc822; bounces+1-" in dsn.read_bytes()
    )

    first = fetch(site)
    again = fetch(site)

    assert first.exit_code == 0, first.output
    assert f"{GHOST}: hard bounce 5.1.1, active -> bounced" in first.output
    assert first.output.endswith("Read 1 mail (1 bounce); 1 subscriber changed.\n")
    assert again.output == "Read 0 mails; 0 subscribers changed.\n"  # flagged, never read twice
    assert (site.subscriber_status(GHOST), site.subscriber_status(REAL)) == ("bounced", "active")
    assert site.rows("SELECT kind, code, digest_id, source FROM delivery_events") == [
        ("hard_bounce", "5.1.1", 1, "dsn")
    ]
    with imaplib.IMAP4("127.0.0.1", imap.port) as box:
        box.authenticate("PLAIN", lambda _: f"\0bounces\0{PASSWORD}".encode())
        box.select("INBOX")
        _, flags = box.fetch("1", "(FLAGS)")
    assert b"\\Seen" in flags[0] and b"$BulletinDone" in flags[0]


def test_a_complaint_unsubscribes_and_an_out_of_office_changes_nothing(
    site: DigestSite, relay: PostfixRelay
) -> None:
    site.post("first", "Первая новость", "2026-04-01 10:00")
    site.subscribe(REAL)
    site.send()
    [delivered] = wait_for_mail(relay.maildir("real"), 1)
    sent = delivered.read_text()
    verp = sent.split("Return-Path: <", 1)[1].split(">", 1)[0]
    mid = "<" + sent.split("Message-ID: <", 1)[1].split(">", 1)[0] + ">"

    deliver(relay, corpus.out_of_office_exchange(verp))
    assert len(wait_for_mail(relay.maildir("bounces"), 1)) == 1
    ooo = fetch(site)
    assert "auto-reply (X-Auto-Response-Suppress: all (Exchange))" in ooo.output
    assert site.subscriber_status(REAL) == "active"

    deliver(relay, corpus.arf(verp, REAL, mid))
    assert len(wait_for_mail(relay.maildir("bounces"), 2)) == 2
    complaint = fetch(site)
    assert f"{REAL}: complaint abuse, active -> unsubscribed" in complaint.output, complaint.output
    assert site.subscriber_status(REAL) == "unsubscribed"


def test_a_wrong_password_is_one_line(
    site: DigestSite, monkeypatch: pytest.MonkeyPatch, imap: DovecotImap
) -> None:
    monkeypatch.setenv("BOUNCE_BOX_PASSWORD", "wrong")
    result = fetch(site)
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: bounces.imap: 127.0.0.1:{imap.port}: ")
    assert len(result.output.splitlines()) == 1 and "wrong" not in result.output


@pytest.mark.parametrize("security", ["tls", "starttls"])
def test_over_tls_the_certificate_is_checked_against_ca_file(
    tmp_path: Path, relay: PostfixRelay, site: DigestSite, security: str
) -> None:
    with open_folder("bulletin-dovecot-tls-") as root:
        pki = Pki(root / "pki")
        box = DovecotImap(
            root, free_port(), relay.maildir("bounces"), "bounces", PASSWORD, pki, security == "tls"
        )
        with running(box):
            imap = {"host": "127.0.0.1", "port": box.port, "security": security, "user": "bounces"}
            imap["password_env"] = "BOUNCE_BOX_PASSWORD"
            site.configure(bounces={"imap": {**imap, "ca_file": str(pki.ca_file)}})
            trusted = fetch(site)
            site.configure(bounces={"imap": {**imap, "ca_file": None}})
            untrusted = fetch(site)

    assert (trusted.exit_code, trusted.output) == (0, "Read 0 mails; 0 subscribers changed.\n")
    assert untrusted.exit_code == 1
    assert untrusted.output.startswith(
        f"Error: bounces.imap: 127.0.0.1:{box.port}: TLS certificate not trusted"
    )


def test_processed_mail_is_moved_to_processed_folder_named_in_any_script(
    site: DigestSite, relay: PostfixRelay, imap: DovecotImap
) -> None:
    folder = "Обработано & готово"
    deliver(relay, corpus.out_of_office_gmail(f"bounces@{DOMAIN}"))
    assert len(wait_for_mail(relay.maildir("bounces"), 1)) == 1
    with imaplib.IMAP4("127.0.0.1", imap.port) as box:
        box.authenticate("PLAIN", lambda _: f"\0bounces\0{PASSWORD}".encode())
        assert box.create(f'"{encode_folder(folder)}"')[0] == "OK"
    settings = site.sections["bounces"]["imap"]
    site.configure(bounces={"imap": {**settings, "processed_folder": folder}})

    assert fetch(site).output.endswith("Read 1 mail (1 auto-reply); 0 subscribers changed.\n")

    with imaplib.IMAP4("127.0.0.1", imap.port) as box:
        box.authenticate("PLAIN", lambda _: f"\0bounces\0{PASSWORD}".encode())
        inbox = box.select("INBOX")[1][0]
        moved = box.select(f'"{encode_folder(folder)}"')[1][0]
    assert (inbox, moved) == (b"0", b"1")


def utf7_reading(name: str) -> str:
    """IMAP's modified UTF-7 read with Python's own UTF-7 codec (RFC 3501 5.1.3 says how they differ)."""
    return re.sub(
        "&([^-]*)-",
        lambda m: "&" if not m[1] else ("+" + m[1].replace(",", "/") + "-").encode().decode("utf-7"),
        name,
    )


@pytest.mark.parametrize("name", ["INBOX", "Обработано & готово", "Өңделді/2026", "a&b", "𝄞 music", "~ok,"])
def test_folder_names_are_modified_utf7_as_the_utf7_codec_reads_them(name: str) -> None:
    encoded = encode_folder(name)
    assert encoded.isascii() and utf7_reading(encoded) == name

"""`bulletin send` against relays that throttle, hang up, fall silent, lie or fail TLS.

Every test checks the same promises: the run ends within a bounded time; every
delivery ends sent, pending with the reason or failed with the reason; nobody gets
a copy twice (a message in flight at a drop aside); the next run finishes the rest.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from .digest_site import NOW, DigestSite
from .raw_smtp import HANG_UP, SILENCE, RawServer, Script
from .smtp_server import RecordingHandler, SmtpServer, free_port

ADDRESSES = [f"reader{n:02d}@example.org" for n in range(1, 41)]
NOW_ARG = NOW.isoformat()
StartRaw = Callable[[Script], RawServer]


def prepared(site: DigestSite, count: int = 8, **smtp: object) -> list[str]:
    site.post("one", "Первая", "2026-04-01 10:00")
    site.post("two", "Вторая", "2026-04-02 10:00")
    addresses = ADDRESSES[:count]
    site.subscribe(*addresses)
    if smtp:
        site.configure(smtp=smtp)
    return addresses


def deliveries(site: DigestSite) -> dict[str, tuple[str, str | None]]:
    return {
        email: (status, error)
        for email, status, error in site.rows(
            "SELECT s.email, d.status, d.last_error FROM deliveries d"
            " JOIN subscribers s ON s.id = d.subscriber_id"
        )
    }


def assert_accounted_for(site: DigestSite) -> None:
    """Every delivery is sent, or pending / failed with the reason written down."""
    for email, (status, error) in deliveries(site).items():
        assert status in ("sent", "pending", "failed"), (email, status)
        if status != "sent":
            assert error, (email, status)
    assert site.rows("PRAGMA integrity_check") == [("ok",)]


def assert_left_pending(site: DigestSite) -> None:
    """Nothing was delivered or given up: every delivery waits, with its reason, for the next run."""
    assert_accounted_for(site)
    assert {status for status, _ in deliveries(site).values()} == {"pending"}


def timed_send(site: DigestSite, bound: float) -> tuple[int, str]:
    started = time.monotonic()
    result = site.cli("send", "--now", NOW_ARG)
    elapsed = time.monotonic() - started
    assert elapsed < bound, f"the run took {elapsed:.1f} s"
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def finish_on(site: DigestSite, server: SmtpServer, addresses: list[str]) -> None:
    """Point the site at a well-behaved server: the next run delivers the rest, once each."""
    site.configure(smtp={"host": server.host, "port": server.port, "security": "none"})
    code, output = timed_send(site, 30)
    assert code == 0, output
    assert set(status for status, _ in deliveries(site).values()) == {"sent"}
    assert set(server.per_recipient()) <= set(addresses)


# 421 then close ----------------------------------------------------------------------


def test_421_greeting_then_close_stops_the_run_with_the_reason(
    site: DigestSite, smtp_server: SmtpServer, raw_server: StartRaw
) -> None:
    raw = raw_server(Script(greeting="421 4.3.2 too busy, come back later" + HANG_UP))
    addresses = prepared(site, port=raw.port)

    code, output = timed_send(site, 10)

    assert code == 1
    assert "Error: delivery stopped: cannot connect to 127.0.0.1" in output
    assert "421" in output
    assert_left_pending(site)
    assert all("421" in (error or "") for _, error in deliveries(site).values())
    assert raw.mail_commands == 0
    finish_on(site, smtp_server, addresses)
    assert smtp_server.per_recipient() == {address: 1 for address in addresses}


@pytest.mark.parametrize("pipelining", [False, True], ids=["plain", "pipelining"])
def test_421_at_end_of_data_then_close_is_retried_on_a_new_connection(
    site: DigestSite, raw_server: StartRaw, pipelining: bool
) -> None:
    closing = {2, 5, 6}
    script = Script(
        end_of_data=lambda n: "421 4.3.2 shutting down" + HANG_UP if n in closing else "250 OK",
        pipelining=pipelining,
    )
    raw = raw_server(script)
    addresses = prepared(site, port=raw.port)

    code, output = timed_send(site, 10)

    assert code == 0, output
    assert raw.per_recipient() == {address: 1 for address in addresses}
    assert raw.connections > 2
    assert_accounted_for(site)


def test_421_to_mail_then_close(site: DigestSite, raw_server: StartRaw) -> None:
    raw = raw_server(Script(mail="421 4.7.0 too many connections" + HANG_UP))
    prepared(site, port=raw.port, connections=2)

    code, output = timed_send(site, 10)

    assert code == 1
    assert raw.messages == 0
    assert_accounted_for(site)
    errors = {error for _, error in deliveries(site).values()}
    assert any("421 4.7.0 too many connections" in (error or "") for error in errors), errors


# Dropped in the middle of DATA --------------------------------------------------------


@pytest.mark.parametrize("pipelining", [False, True], ids=["plain", "pipelining"])
def test_connection_dropped_while_the_body_is_sent_loses_nothing(
    site: DigestSite, raw_server: StartRaw, pipelining: bool
) -> None:
    raw = raw_server(Script(drop_in_body={1, 4, 5}, pipelining=pipelining))
    addresses = prepared(site, port=raw.port)

    code, output = timed_send(site, 10)

    assert code == 0, output
    # The server hung up before the end mark: none of those was delivered, so no copy twice.
    assert raw.per_recipient() == {address: 1 for address in addresses}
    assert_accounted_for(site)


def test_every_body_dropped_leaves_deliveries_pending_with_the_reason(
    site: DigestSite, smtp_server: SmtpServer, raw_server: StartRaw
) -> None:
    raw = raw_server(Script(drop_in_body=set(range(1, 1000))))
    addresses = prepared(site, count=40, port=raw.port, timeout=0.5)

    code, output = timed_send(site, 10)

    assert code == 1
    assert raw.per_recipient() == {}
    assert_left_pending(site)
    finish_on(site, smtp_server, addresses)
    assert smtp_server.per_recipient() == {address: 1 for address in addresses}


# A server that stops answering --------------------------------------------------------


@pytest.mark.parametrize(
    "where",
    ["greeting", "ehlo", "mail", "data", "end-of-data"],
)
def test_a_server_that_stops_answering_ends_the_run_in_bounded_time(
    site: DigestSite, smtp_server: SmtpServer, raw_server: StartRaw, where: str
) -> None:
    script = Script()
    if where == "greeting":
        script.greeting = SILENCE
    elif where == "ehlo":
        script.ehlo_reply = SILENCE
    elif where == "mail":
        script.mail = SILENCE
    elif where == "data":
        script.data = SILENCE
    else:
        script.end_of_data = lambda n: SILENCE
    raw = raw_server(script)
    timeout = 0.5
    # 40 subscribers: trying each one in turn against the silence would take minutes.
    # (The reply to the end of a message has its own wait, 10 minutes unless told.)
    addresses = prepared(site, count=40, port=raw.port, timeout=timeout, data_timeout=timeout, connections=2)

    code, output = timed_send(site, 12 * timeout + 3)

    assert code == 1
    assert "Error: delivery stopped:" in output
    assert raw.per_recipient() == {}
    assert_left_pending(site)
    finish_on(site, smtp_server, addresses)
    assert smtp_server.per_recipient() == {address: 1 for address in addresses}


def test_a_slow_server_within_the_timeout_is_waited_for(site: DigestSite, smtp_server: SmtpServer) -> None:
    addresses = prepared(site, count=4, timeout=2, connections=1)
    smtp_server.faults.data_delay = 0.3

    code, output = timed_send(site, 10)

    assert code == 0, output
    assert smtp_server.per_recipient() == {address: 1 for address in addresses}


# Throttling ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "reply"),
    [
        ("mail", "454 Throttling failure: Maximum sending rate exceeded."),
        ("mail", "451 4.7.1 Please try again later"),
        ("rcpt", "452 4.5.3 Too many recipients"),
        ("rcpt", "454 4.7.0 Throttling failure: Daily message quota exceeded."),
        ("data", "451 4.3.0 Temporary local problem"),
        ("data", "454 Throttling failure: Maximum sending rate exceeded."),
    ],
)
def test_throttling_replies_are_transient_and_the_next_run_sends(
    site: DigestSite, smtp_server: SmtpServer, command: str, reply: str
) -> None:
    addresses = prepared(site, count=4, connections=1, max_attempts=5)
    # Enough refusals to use up every try of the first subscriber in this run.
    replies = [reply] * 4
    if command == "mail":
        smtp_server.faults.mail_replies = replies
    elif command == "rcpt":
        smtp_server.faults.rcpt_replies = replies
    else:
        smtp_server.faults.data_replies = replies

    code, output = timed_send(site, 10)

    assert code == 1, output
    first = deliveries(site)
    assert_accounted_for(site)
    assert "failed" not in {status for status, _ in first.values()}
    pending = {email: error for email, (status, error) in first.items() if status == "pending"}
    assert pending and all(error == reply for error in pending.values()), pending

    code, output = timed_send(site, 10)

    assert code == 0, output
    assert smtp_server.per_recipient() == {address: 1 for address in addresses}
    assert {status for status, _ in deliveries(site).values()} == {"sent"}


def test_a_server_accepting_one_message_in_ten_is_finished_over_several_runs(
    site: DigestSite, smtp_server: SmtpServer
) -> None:
    addresses = prepared(site, count=30, connections=2, max_attempts=1000)
    smtp_server.faults.accept_one_in = 10
    smtp_server.faults.throttle_reply = "454 Throttling failure: Maximum sending rate exceeded."

    runs = 0
    started = time.monotonic()
    while True:
        runs += 1
        assert runs <= 30, "the runs never finished"
        code, output = timed_send(site, 20)
        assert_accounted_for(site)
        statuses = {status for status, _ in deliveries(site).values()}
        assert "failed" not in statuses
        if code == 0:
            break
        assert statuses == {"sent", "pending"} or statuses == {"pending"}, output
    assert runs > 1
    assert time.monotonic() - started < 60
    assert smtp_server.per_recipient() == {address: 1 for address in addresses}
    assert {status for status, _ in deliveries(site).values()} == {"sent"}


# Garbage -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "script",
    [
        Script(greeting="HELLO???"),
        Script(ehlo_reply="HELLO???"),
        Script(mail="what is this"),
        Script(mail="25"),
        Script(mail="999 what"),
        Script(data="HELLO???"),
        Script(end_of_data=lambda n: "2500 OK"),
    ],
    ids=["greeting", "ehlo", "mail", "short-code", "code-out-of-range", "data", "end-of-data"],
)
def test_garbage_replies_leave_everything_pending_with_the_reason(
    site: DigestSite, smtp_server: SmtpServer, raw_server: StartRaw, script: Script
) -> None:
    raw = raw_server(script)
    addresses = prepared(site, count=40, port=raw.port, timeout=1)

    code, output = timed_send(site, 10)

    assert code == 1
    assert raw.per_recipient() == {}
    assert_left_pending(site)
    finish_on(site, smtp_server, addresses)
    assert smtp_server.per_recipient() == {address: 1 for address in addresses}


def test_a_garbage_reply_to_one_message_retries_only_that_message(
    site: DigestSite, raw_server: StartRaw
) -> None:
    raw = raw_server(Script(end_of_data=lambda n: "HELLO???" if n == 3 else "250 OK"))
    addresses = prepared(site, port=raw.port)

    code, output = timed_send(site, 10)

    assert code == 0, output
    assert raw.per_recipient() == {address: 1 for address in addresses}


def test_a_reply_too_many_puts_the_connection_out_of_step_and_it_is_dropped(
    site: DigestSite, raw_server: StartRaw
) -> None:
    raw = raw_server(Script(end_of_data=lambda n: "250 OK\r\n250 OK again" if n == 2 else "250 OK"))
    addresses = prepared(site, port=raw.port, connections=1)

    code, output = timed_send(site, 10)

    assert code == 0, output
    assert raw.per_recipient() == {address: 1 for address in addresses}
    assert raw.connections >= 2


# TLS -----------------------------------------------------------------------------------


def test_starttls_offered_but_the_handshake_fails_sends_nothing_in_clear(
    site: DigestSite, smtp_server: SmtpServer, raw_server: StartRaw
) -> None:
    script = Script()
    script.ehlo.append("STARTTLS")
    raw = raw_server(script)
    addresses = prepared(site, count=20, port=raw.port, security="starttls", timeout=1)

    code, output = timed_send(site, 10)

    assert code == 1
    assert "Error: delivery stopped:" in output
    assert (raw.mail_commands, raw.messages) == (0, 0)
    assert_left_pending(site)
    finish_on(site, smtp_server, addresses)


@pytest.mark.parametrize(
    "script",
    [Script(), Script(starttls="454 4.7.0 TLS not available due to local problem")],
    ids=["not-offered", "refused"],
)
def test_starttls_required_never_falls_back_to_plain_text(
    site: DigestSite, raw_server: StartRaw, script: Script
) -> None:
    if script.starttls.startswith("454"):
        script.ehlo.append("STARTTLS")
    raw = raw_server(script)
    prepared(site, count=20, port=raw.port, security="starttls", timeout=1)

    code, output = timed_send(site, 10)

    assert code == 1
    assert "Error: delivery stopped:" in output
    assert (raw.mail_commands, raw.messages) == (0, 0)
    assert_accounted_for(site)


class Pki:
    """A private CA and a certificate it signed for 127.0.0.1 (or another name)."""

    def __init__(self, folder: Path, name: str = "127.0.0.1") -> None:
        now = dt.datetime.now(dt.UTC)
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "bulletin test CA")])
        ca = (
            x509.CertificateBuilder()
            .subject_name(ca_name)
            .issuer_name(ca_name)
            .public_key(ca_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256())
        )
        key = ec.generate_private_key(ec.SECP256R1())
        try:
            alt: x509.GeneralName = x509.IPAddress(ipaddress.ip_address(name))
        except ValueError:
            alt = x509.DNSName(name)
        leaf = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
            .issuer_name(ca_name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([alt]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                critical=False,
            )
            .sign(ca_key, hashes.SHA256())
        )
        folder.mkdir(parents=True, exist_ok=True)
        self.ca_file = folder / "ca.pem"
        self.ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
        self.cert_file = folder / "cert.pem"
        self.cert_file.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
        self.key_file = folder / "key.pem"
        self.key_file.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert_file, self.key_file)
        return context


class _ImplicitTlsController(Controller):
    def _trigger_server(self) -> None:
        # The stock readiness probe speaks plain text to a TLS port; a TLS client probe instead.
        import socket

        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        with socket.create_connection((self.hostname, self.port), 1.0) as raw:
            with context.wrap_socket(raw) as sock:
                sock.recv(1024)


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[Callable[[str, str], tuple[SmtpServer, Pki]]]:
    """An aiosmtpd server speaking TLS ("tls") or offering STARTTLS ("starttls")."""
    controllers: list[Controller] = []

    def start(security: str, name: str = "127.0.0.1") -> tuple[SmtpServer, Pki]:
        pki = Pki(tmp_path / f"pki-{len(controllers)}", name)
        handler = RecordingHandler()
        port = free_port()
        controller: Controller
        if security == "tls":
            controller = _ImplicitTlsController(
                handler, hostname="127.0.0.1", port=port, ssl_context=pki.server_context()
            )
        else:
            controller = Controller(
                handler,
                hostname="127.0.0.1",
                port=port,
                tls_context=pki.server_context(),
                require_starttls=True,
            )
        controller.start()
        controllers.append(controller)
        return SmtpServer(controller, handler, port), pki

    yield start
    for controller in controllers:
        controller.stop()


@pytest.mark.parametrize("security", ["tls", "starttls"])
def test_a_certificate_from_an_unknown_ca_is_refused_unless_ca_file_names_it(
    site: DigestSite, tls_server: Callable[..., tuple[SmtpServer, Pki]], security: str
) -> None:
    server, pki = tls_server(security)
    addresses = prepared(site, count=10, port=server.port, security=security, timeout=2)

    code, output = timed_send(site, 10)

    assert code == 1
    assert "Error: delivery stopped: TLS certificate of 127.0.0.1 not trusted" in output
    assert server.received == []
    assert_left_pending(site)
    assert all("not trusted" in (error or "") for _, error in deliveries(site).values())

    site.configure(smtp={"ca_file": str(pki.ca_file)})
    code, output = timed_send(site, 10)

    assert code == 0, output
    assert server.per_recipient() == {address: 1 for address in addresses}


@pytest.mark.parametrize("security", ["tls", "starttls"])
def test_a_certificate_for_another_name_is_refused_even_with_its_ca(
    site: DigestSite, tls_server: Callable[..., tuple[SmtpServer, Pki]], security: str
) -> None:
    server, pki = tls_server(security, "mail.other.example")
    prepared(site, count=3, port=server.port, security=security, ca_file=str(pki.ca_file))

    code, output = timed_send(site, 10)

    assert code == 1
    assert "not trusted" in output
    assert server.received == []
    assert_accounted_for(site)


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

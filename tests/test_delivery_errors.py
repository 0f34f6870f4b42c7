"""What an SMTP session raises is the built-in it is: a dropped or refused connection is a
ConnectionError, no answer in time a TimeoutError; and one place picks SMTP or the outbox."""

from __future__ import annotations

import asyncio
import dataclasses
import socket
from collections.abc import Callable
from pathlib import Path

import pytest

from bulletin.config import SmtpConfig
from bulletin.mail.delivery_errors import (
    ConnectionDropped,
    ConnectionFailed,
    ConnectionTrouble,
    ConnectTimedOut,
    ReplyTimedOut,
    TransientError,
)
from bulletin.mail.mailer import Job
from bulletin.mail.sessions import OutboxSession, open_sessions
from bulletin.mail.smtp_session import SmtpSession

from .raw_smtp import HANG_UP, SILENCE, RawServer, Script

StartRaw = Callable[[Script], RawServer]
JOB = Job(7, 42, "reader@example.org", "Читатель", 0)
MESSAGE = "Subject: Привет\r\n\r\nСәлем, әлем\r\n".encode()


def smtp_config(tmp_path: Path, port: int, host: str | None = "127.0.0.1") -> SmtpConfig:
    return SmtpConfig(
        host=host,
        port=port,
        security="none",
        username=None,
        password_env="BULLETIN_TEST_NO_PASSWORD",
        timeout=0.5,
        connections=3,
        rate_per_second=0.0,
        max_attempts=5,
        retry_delay=0.0,
        outbox=tmp_path / "outbox",
        ca_file=None,
    )


def send_once(config: SmtpConfig) -> BaseException:
    """The exception one send raises (the test fails if the message goes)."""

    async def attempt() -> BaseException:
        session = SmtpSession(config)
        try:
            await session.send("news@clinic.example", JOB, MESSAGE)
        except Exception as exc:
            return exc
        finally:
            await session.close()
        pytest.fail("the message was accepted")

    return asyncio.run(attempt())


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_nothing_listening_is_a_connection_error(tmp_path: Path) -> None:
    port = closed_port()
    error = send_once(smtp_config(tmp_path, port))
    assert type(error) is ConnectionFailed
    assert isinstance(error, ConnectionError) and not isinstance(error, TimeoutError)
    assert str(error).startswith(f"cannot connect to 127.0.0.1:{port}: ")


def test_no_greeting_is_a_connect_timeout(tmp_path: Path, raw_server: StartRaw) -> None:
    server = raw_server(Script(greeting=SILENCE))
    error = send_once(smtp_config(tmp_path, server.port))
    assert type(error) is ConnectTimedOut
    assert isinstance(error, ConnectionFailed) and isinstance(error, TimeoutError)


@pytest.mark.parametrize(
    ("mail_reply", "kind", "builtin"),
    [
        (SILENCE, ReplyTimedOut, TimeoutError),
        (HANG_UP, ConnectionDropped, ConnectionError),
        ("this is not SMTP", ConnectionTrouble, None),
    ],
    ids=["silent", "hangs-up", "garbage"],
)
def test_trouble_mid_conversation_is_transient_and_what_it_is(
    tmp_path: Path, raw_server: StartRaw, mail_reply: str, kind: type, builtin: type | None
) -> None:
    server = raw_server(Script(mail=mail_reply))
    error = send_once(smtp_config(tmp_path, server.port))
    assert type(error) is kind
    assert isinstance(error, TransientError)
    for other in (TimeoutError, ConnectionError):
        assert isinstance(error, other) == (other is builtin), (error, other)


def test_without_a_host_sessions_write_the_outbox(tmp_path: Path) -> None:
    config = smtp_config(tmp_path, 25, host=None)
    sessions = open_sessions(config)
    assert sessions.connections == 1
    session = sessions.open()
    assert isinstance(session, OutboxSession)
    asyncio.run(session.send("news@clinic.example", JOB, MESSAGE))
    assert (tmp_path / "outbox" / "digest-0007" / "00000042.eml").read_bytes() == MESSAGE

    named = open_sessions(config, lambda job: f"tests/{job.email}.eml").open()
    asyncio.run(named.send("news@clinic.example", JOB, MESSAGE))
    assert (tmp_path / "outbox" / "tests" / "reader@example.org.eml").read_bytes() == MESSAGE


def test_with_a_host_sessions_speak_smtp_over_the_configured_connections(tmp_path: Path) -> None:
    config = dataclasses.replace(smtp_config(tmp_path, 2525), connections=6)
    sessions = open_sessions(config)
    assert sessions.connections == 6
    assert isinstance(sessions.open(), SmtpSession)
    assert not (tmp_path / "outbox").exists()

"""A real SMTP server for the digest tests: aiosmtpd on 127.0.0.1, recording, with faults.

Each test gets its own server on a free port. The handler records every accepted
message (envelope and bytes) and can be told to misbehave: refuse the first N RCPT
or DATA commands with a 4xx, reject given addresses with 550 5.1.1, drop the
connection at the Kth DATA, or answer DATA slowly.
"""

from __future__ import annotations

import asyncio
import collections
import email
import email.policy
import socket
import threading
import time
from dataclasses import dataclass, field
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


@dataclass(frozen=True)
class Received:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes  # as received after DATA, CRLF line ends, dot-stuffing undone

    def message(self) -> EmailMessage:
        parsed = email.message_from_bytes(self.data, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class Faults:
    """What the server does wrong; a test sets these before sending."""

    rcpt_tempfail: int = 0  # answer the first N RCPT commands with 451
    data_tempfail: int = 0  # answer the first N DATA commands with 451
    no_such_user: set[str] = field(default_factory=set)  # RCPT answered 550 5.1.1
    drop_at_data: set[int] = field(
        default_factory=set
    )  # close the connection at these DATA numbers (1-based)
    drop_after_accept: set[int] = field(default_factory=set)  # record, then close before the 250
    data_reply: dict[str, str] = field(default_factory=dict)  # DATA for this recipient gets this reply
    data_delay: float = 0.0  # seconds to wait before answering each DATA
    stall_at_data: dict[int, float] = field(default_factory=dict)  # DATA number -> extra seconds of silence
    data_replies: list[str] = field(default_factory=list)  # replies for the first DATA commands, in order
    close_after: set[int] = field(default_factory=set)  # answer 250 to these DATA numbers, then hang up
    pipelining: bool = False  # offer PIPELINING (RFC 2920) in the EHLO reply
    mail_replies: list[str] = field(default_factory=list)  # replies for the first MAIL commands, in order
    rcpt_replies: list[str] = field(default_factory=list)  # replies for the first RCPT commands, in order
    accept_one_in: int = 0  # accept only every Nth DATA; the others get `throttle_reply`
    throttle_reply: str = "451 4.7.1 rate limited, try again later"


class RecordingHandler:
    def __init__(self) -> None:
        self.faults = Faults()
        self.received: list[Received] = []
        self.mail_commands = 0
        self.rcpt_commands = 0
        self.data_commands = 0
        self.connections = 0
        self._lock = threading.Lock()

    async def handle_EHLO(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        hostname: str,
        responses: list[str],
    ) -> list[str]:
        with self._lock:
            self.connections += 1
        session.host_name = hostname
        if self.faults.pipelining:
            # aiosmtpd reads pipelined commands one by one from its buffer; it only never says so.
            responses.insert(1, "250-PIPELINING")
        return responses

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        with self._lock:
            self.mail_commands += 1
            number = self.mail_commands
        if number <= len(self.faults.mail_replies):
            return self.faults.mail_replies[number - 1]
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        with self._lock:
            self.rcpt_commands += 1
            number = self.rcpt_commands
        if number <= len(self.faults.rcpt_replies):
            return self.faults.rcpt_replies[number - 1]
        if number <= self.faults.rcpt_tempfail:
            return "451 4.3.0 try later"
        if address.lower() in self.faults.no_such_user:
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        with self._lock:
            self.data_commands += 1
            number = self.data_commands
        if self.faults.data_delay:
            await asyncio.sleep(self.faults.data_delay)
        if number in self.faults.stall_at_data:
            await asyncio.sleep(self.faults.stall_at_data[number])
            assert server.transport is not None
            if server.transport.is_closing():  # the client gave up waiting: nothing was delivered
                return "421 4.4.2 too late"
        if number in self.faults.drop_at_data:
            assert server.transport is not None
            server.transport.abort()
            return "421 4.4.2 gone"
        if number <= self.faults.data_tempfail:
            return "451 4.3.0 try later"
        for address in envelope.rcpt_tos:
            if address.lower() in self.faults.data_reply:
                return self.faults.data_reply[address.lower()]
        if number <= len(self.faults.data_replies):
            return self.faults.data_replies[number - 1]
        if self.faults.accept_one_in and number % self.faults.accept_one_in:
            return self.faults.throttle_reply
        content = envelope.original_content or b""
        assert isinstance(content, bytes)
        with self._lock:
            self.received.append(Received(str(envelope.mail_from), tuple(envelope.rcpt_tos), content))
        if number in self.faults.drop_after_accept:
            assert server.transport is not None
            server.transport.abort()
            return "421 4.4.2 gone"
        if number in self.faults.close_after:
            assert server.transport is not None
            asyncio.get_running_loop().call_later(0.02, server.transport.close)
        return "250 OK queued"


class SmtpServer:
    """The running server as a test sees it."""

    def __init__(self, controller: Controller, handler: RecordingHandler, port: int) -> None:
        self.controller = controller
        self.handler = handler
        self.host = "127.0.0.1"
        self.port = port

    @property
    def faults(self) -> Faults:
        return self.handler.faults

    @property
    def received(self) -> list[Received]:
        with self.handler._lock:
            return list(self.handler.received)

    def per_recipient(self) -> collections.Counter[str]:
        return collections.Counter(rcpt.lower() for item in self.received for rcpt in item.rcpt_tos)

    def messages_for(self, address: str) -> list[EmailMessage]:
        return [item.message() for item in self.received if address in item.rcpt_tos]

    def stop(self) -> None:
        self.controller.stop()

    def clear(self) -> None:
        with self.handler._lock:
            self.handler.received.clear()

    def wait_for(self, count: int, timeout: float = 20.0) -> None:
        """Block until at least ``count`` messages have been accepted."""
        deadline = time.monotonic() + timeout
        while len(self.received) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"only {len(self.received)} of {count} messages arrived in {timeout} s")
            time.sleep(0.01)


def free_port() -> int:
    # Controller(port=0) does not report the port it got in every aiosmtpd version.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_smtp_server() -> SmtpServer:
    """A recording server on a free port; call ``stop()`` when done."""
    handler = RecordingHandler()
    for _ in range(5):
        port = free_port()
        controller = Controller(handler, hostname="127.0.0.1", port=port, ready_timeout=10)
        try:
            controller.start()
        except OSError:  # the port was taken between the probe and the bind
            continue
        return SmtpServer(controller, handler, port)
    raise RuntimeError("no free port for the SMTP server")

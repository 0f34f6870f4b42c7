"""One persistent SMTP connection: aiosmtplib opens it (TLS, EHLO, AUTH), then a small
pipelining writer sends many ready-made messages on it."""

from __future__ import annotations

import asyncio
import collections
import logging
import re
import socket
import ssl
from typing import cast

import aiosmtplib

from ..config import SmtpConfig
from ..errors import ConfigError
from .mailer import (
    BouncedError,
    ConnectionFailed,
    ConnectionTrouble,
    Job,
    PermanentError,
    RunAborted,
    TransientError,
)

log = logging.getLogger(__name__)

# "No such user": the address itself is bad, so the subscriber is marked bounced.
_NO_SUCH_USER_CODES = {550, 551, 553}
_NO_SUCH_USER_STATUS = re.compile(r"\b5\.1\.[0-9]\b")
# An enhanced status code (RFC 3463) in the reply text says why: only 5.1.x is about
# the address itself; 5.7.1 "relaying denied" and other policy refusals are not.
_ENHANCED_STATUS = re.compile(r"\b[245]\.[0-9]{1,3}\.[0-9]{1,3}\b")


class _Replies(asyncio.Protocol):
    """Reads the replies of pipelined commands on a connection aiosmtplib opened.

    aiosmtplib's own protocol expects one reply per write (it drops what arrives
    while no command waits), and arms a timer per command; at thousands of
    messages a second both cost more than the conversation. Once the session is
    set up, this protocol takes over the transport: replies are queued as they
    arrive and one watchdog per connection enforces ``timeout``.
    """

    def __init__(self, transport: asyncio.Transport, timeout: float) -> None:
        self.loop = asyncio.get_running_loop()
        self.transport = transport
        self.timeout = timeout
        self.buffer = bytearray()
        self.replies: collections.deque[tuple[int, str]] = collections.deque()
        self.waiter: asyncio.Future[None] | None = None
        self.wanted = 0
        self.waiting_since: float | None = None
        self.error: aiosmtplib.SMTPException | None = None
        self.watchdog = self.loop.call_later(self._check_period(), self._check)
        transport.set_protocol(self)

    def _check_period(self) -> float:
        return max(self.timeout / 4, 0.05)

    def _check(self) -> None:
        if self.waiting_since is not None and self.loop.time() - self.waiting_since >= self.timeout:
            self._fail(aiosmtplib.SMTPReadTimeoutError("Timed out waiting for server response"))
            self.transport.abort()
            return
        self.watchdog = self.loop.call_later(self._check_period(), self._check)

    def _fail(self, error: aiosmtplib.SMTPException) -> None:
        if self.error is None:
            self.error = error
        self.watchdog.cancel()
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(self.error)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            try:
                reply = self._parse()
            except aiosmtplib.SMTPResponseException as exc:
                self._fail(exc)
                self.transport.abort()
                return
            if reply is None:
                break
            self.replies.append(reply)
        if self.waiter is not None and len(self.replies) >= self.wanted and not self.waiter.done():
            self.waiter.set_result(None)

    def _parse(self) -> tuple[int, str] | None:
        """One complete (possibly multi-line) reply off the buffer, or None."""
        lines = []
        offset = 0
        while True:
            end = self.buffer.find(b"\n", offset)
            if end == -1:
                if len(self.buffer) > _MAX_REPLY:
                    raise aiosmtplib.SMTPResponseException(-1, "Response too long")
                return None
            line = bytes(self.buffer[offset:end])
            offset = end + 1
            lines.append(line)
            if line[3:4] != b"-":
                break
        del self.buffer[:offset]
        for line in lines:
            # Three digits from 200 to 599, then a space, a hyphen or the line end:
            # anything else is not SMTP, and a reply read from it could mean anything.
            if not (_REPLY_LINE.match(line) and line[:3] == lines[0][:3]):
                raise aiosmtplib.SMTPResponseException(
                    -1, "Malformed SMTP response line: " + line.decode("utf-8", "replace").strip()
                )
        code = int(lines[0][:3])
        message = "\n".join(line[4:].strip().decode("utf-8", "surrogateescape") for line in lines)
        return code, message

    def eof_received(self) -> bool:
        self._fail(aiosmtplib.SMTPServerDisconnected("Unexpected EOF received"))
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        error = aiosmtplib.SMTPServerDisconnected("Connection lost")
        error.__cause__ = exc
        self._fail(error)

    def write(self, data: bytes) -> None:
        if self.error is not None:
            raise self.error
        if self.transport.is_closing():
            raise aiosmtplib.SMTPServerDisconnected("Connection lost")
        self.transport.write(data)

    async def read(self, count: int) -> list[tuple[int, str]]:
        """The next ``count`` replies, waiting for them as long as ``timeout`` allows."""
        while len(self.replies) < count:
            if self.error is not None:
                raise self.error
            self.wanted = count
            self.waiter = self.loop.create_future()
            self.waiting_since = self.loop.time()
            try:
                await self.waiter
            finally:
                self.waiter = None
                self.waiting_since = None
        return [self.replies.popleft() for _ in range(count)]

    def close(self) -> None:
        self.watchdog.cancel()
        self.transport.close()


def check_login_settings(config: SmtpConfig) -> None:
    """A user name without a password would send unauthenticated; say so before anything."""
    if config.host and config.username and not config.password():
        raise ConfigError(f"smtp.username is set but the environment variable {config.password_env} is empty")


class SmtpSession:
    """One persistent SMTP connection that sends many messages and reconnects on a drop.

    aiosmtplib opens the connection (TLS, STARTTLS, certificate checks, EHLO,
    AUTH); the transactions themselves are written here from the ready bytes:
    MAIL, RCPT and DATA in one write when the server offers PIPELINING
    (RFC 2920), then the message and its end mark in another.
    """

    def __init__(self, config: SmtpConfig) -> None:
        self.config = config
        self.client: aiosmtplib.SMTP | None = None
        self.wire: _Replies | None = None
        self.pipelining = False
        self.size = False
        self.smtputf8 = False

    def _new_client(self) -> aiosmtplib.SMTP:
        cfg = self.config
        assert cfg.host is not None
        password = cfg.password()
        return aiosmtplib.SMTP(
            hostname=cfg.host,
            port=cfg.port,
            username=cfg.username if cfg.username and password else None,
            password=password if cfg.username else None,
            timeout=cfg.timeout,
            use_tls=cfg.security == "tls",
            start_tls=True if cfg.security == "starttls" else False,
            # Certificates are always verified; a private CA is named, never switched off.
            validate_certs=True,
            cert_bundle=str(cfg.ca_file) if cfg.ca_file else None,
            # gethostname, not getfqdn: no DNS lookup before the first EHLO.
            local_hostname=socket.gethostname() or "localhost",
        )

    async def _connect(self) -> _Replies:
        wire = self.wire
        if wire is not None and wire.error is None and not wire.transport.is_closing():
            return wire
        await self.close()
        client = self._new_client()
        # Never the password: only where, how and as whom.
        log.debug(
            "connecting to %s:%s (security %s, user %s)",
            self.config.host,
            self.config.port,
            self.config.security,
            self.config.username or "-",
        )
        try:
            await client.connect()
            if client.is_ehlo_or_helo_needed:
                try:
                    await client.ehlo()
                except aiosmtplib.SMTPHeloError:
                    await client.helo()
        except aiosmtplib.SMTPAuthenticationError as exc:
            client.close()
            raise RunAborted(f"SMTP login refused: {exc.code} {exc.message}") from None
        except aiosmtplib.SMTPNotSupported as exc:
            client.close()
            raise RunAborted(f"SMTP server {self.config.host}: {exc}") from None
        except ssl.SSLCertVerificationError as exc:
            client.close()
            raise RunAborted(
                f"TLS certificate of {self.config.host} not trusted: {exc.verify_message}"
            ) from None
        except (TimeoutError, aiosmtplib.SMTPException, OSError) as exc:
            client.close()
            if self.config.security == "starttls" and "STARTTLS extension not" in str(exc):
                # Never a plain-text fallback: the config asked for STARTTLS.
                raise RunAborted(
                    f"SMTP server {self.config.host} does not offer STARTTLS (smtp.security: starttls)"
                ) from None
            cause = exc.__cause__ or exc.__context__
            if isinstance(cause, ssl.SSLCertVerificationError):
                raise RunAborted(
                    f"TLS certificate of {self.config.host} not trusted: {cause.verify_message}"
                ) from None
            raise ConnectionFailed(
                f"cannot connect to {self.config.host}:{self.config.port}: {describe(exc)}"
            ) from None
        assert client.transport is not None
        self.client = client
        self.pipelining = client.supports_extension("pipelining")
        self.size = client.supports_extension("size")
        self.smtputf8 = client.supports_extension("smtputf8")
        self.wire = _Replies(cast(asyncio.Transport, client.transport), self.config.timeout)
        return self.wire

    async def send(self, sender: str, job: Job, data: bytes) -> None:
        recipient = job.email
        wire = await self._connect()
        utf8 = not (recipient.isascii() and sender.isascii())
        if utf8 and not self.smtputf8:
            raise PermanentError("internationalised address; the server does not offer SMTPUTF8")
        if _UNSAFE_ADDRESS.search(recipient) or _UNSAFE_ADDRESS.search(sender):
            raise PermanentError(f"address {recipient!r} holds a character SMTP cannot carry")
        data = smtp_ready(data)
        encoding = "utf-8" if utf8 else "ascii"
        mail = b"MAIL FROM:<" + sender.encode(encoding) + b">"
        if self.size:
            mail += b" SIZE=%d" % len(data)
        if utf8:
            mail += b" SMTPUTF8"
        mail += b"\r\n"
        rcpt = b"RCPT TO:<" + recipient.encode(encoding) + b">\r\n"
        try:
            refused = await self._envelope(wire, mail, rcpt, sender, recipient)
            if refused is None:
                wire.write(data + b".\r\n")
                [(code, message)] = await wire.read(1)
                if wire.replies:
                    # More replies than commands: the conversation is out of step, and
                    # the next transaction would read this one's answers. Start afresh.
                    await self.close()
                if code == 250:
                    return
                refused = aiosmtplib.SMTPDataError(code, message)
        except (aiosmtplib.SMTPException, OSError) as exc:
            await self.close()
            raise ConnectionTrouble(describe(exc)) from None
        await self._reset(refused)
        raise classify(refused)

    async def _envelope(
        self, wire: _Replies, mail: bytes, rcpt: bytes, sender: str, recipient: str
    ) -> aiosmtplib.SMTPResponseException | None:
        """MAIL, RCPT and DATA; None when the server waits for the message, else its refusal."""
        if self.pipelining:
            wire.write(mail + rcpt + b"DATA\r\n")
            replies = await wire.read(3)
            (mail_code, mail_text), (rcpt_code, rcpt_text), (data_code, data_text) = replies
        else:
            wire.write(mail)
            [(mail_code, mail_text)] = await wire.read(1)
            if mail_code != 250:
                return aiosmtplib.SMTPSenderRefused(mail_code, mail_text, sender)
            wire.write(rcpt)
            [(rcpt_code, rcpt_text)] = await wire.read(1)
            if rcpt_code not in (250, 251):
                return aiosmtplib.SMTPRecipientRefused(rcpt_code, rcpt_text, recipient)
            wire.write(b"DATA\r\n")
            [(data_code, data_text)] = await wire.read(1)
        refused: aiosmtplib.SMTPResponseException | None = None
        if mail_code != 250:
            refused = aiosmtplib.SMTPSenderRefused(mail_code, mail_text, sender)
        elif rcpt_code not in (250, 251):
            refused = aiosmtplib.SMTPRecipientRefused(rcpt_code, rcpt_text, recipient)
        elif data_code != 354:
            refused = aiosmtplib.SMTPDataError(data_code, data_text)
        if refused is not None and data_code == 354:
            # A server that took DATA after refusing the envelope gets an empty message
            # (it has no recipient to deliver it to) so the conversation stays in step.
            wire.write(b".\r\n")
            await wire.read(1)
        return refused

    async def _reset(self, refused: aiosmtplib.SMTPResponseException) -> None:
        """After a refusal: RSET, or hang up when the server is closing (421) or out of step."""
        if refused.code == 421 or self.wire is None:
            await self.close()
            return
        try:
            self.wire.write(b"RSET\r\n")
            [(code, _)] = await self.wire.read(1)
        except (aiosmtplib.SMTPException, OSError):
            code = 0
        if code != 250:
            await self.close()

    async def close(self) -> None:
        client, self.client = self.client, None
        wire, self.wire = self.wire, None
        if wire is not None:
            if wire.error is None and not wire.transport.is_closing():
                try:
                    wire.write(b"QUIT\r\n")
                    await asyncio.wait_for(wire.read(1), timeout=min(self.config.timeout, 5))
                except (TimeoutError, aiosmtplib.SMTPException, OSError):
                    pass
            wire.close()
        if client is not None:
            client.close()


# Characters that would end or split an SMTP command line.
_UNSAFE_ADDRESS = re.compile(r"[\x00-\x1f\x7f<>]")
_LINE_START_DOT = re.compile(rb"(?m)^\.")
_LINE_ENDS = re.compile(rb"\r\n|\r|\n")
_MAX_REPLY = 32 * 1024
_REPLY_LINE = re.compile(rb"[2-5][0-9][0-9](?:[ \-\r]|$)")


def smtp_ready(data: bytes) -> bytes:
    """``data`` as DATA carries it: ending in CRLF, no line starting with a dot.

    Session.send takes messages with CRLF line ends (messages.personalise builds
    them so: base64 bodies, headers with CR/LF removed from every value). What is
    always checked is the part that matters for safety: a dot after any line
    break would end the message early and let the rest be read as commands. A
    message with such a dot gets its line ends normalised and the dots doubled.
    """
    if _dot_after_line_break(data):
        data = _LINE_START_DOT.sub(b"..", _LINE_ENDS.sub(b"\r\n", data))
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    return data


def _dot_after_line_break(data: bytes) -> bool:
    # Single-byte scans (memchr) over a message with few dots, as base64 ones are:
    # ~8 us for 21 KB, where searching for b"\n." takes several times that.
    if data.count(b".") > 64:
        return data.startswith(b".") or b"\n." in data or b"\r." in data
    at = data.find(b".")
    while at != -1:
        if at == 0 or data[at - 1] in (10, 13):
            return True
        at = data.find(b".", at + 1)
    return False


def describe(exc: BaseException) -> str:
    code = getattr(exc, "code", None)
    message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    return f"{code} {message}" if code else f"{type(exc).__name__}: {message}"


def is_no_such_user(code: int, message: str) -> bool:
    """A refusal that condemns the address: 5.1.x, or a bare 550/551/553 with no enhanced code."""
    if _NO_SUCH_USER_STATUS.search(message):
        return True
    return code in _NO_SUCH_USER_CODES and not _ENHANCED_STATUS.search(message)


def classify(exc: aiosmtplib.SMTPResponseException) -> Exception:
    reason = f"{exc.code} {exc.message}"
    if 400 <= exc.code < 500:
        return TransientError(reason)
    if isinstance(exc, aiosmtplib.SMTPSenderRefused) and exc.code >= 500:
        # The sender is the same for every message (530 "authentication required",
        # a From the relay will not take): failing each delivery in turn would fail
        # the whole list. Stop instead, and leave them pending.
        return RunAborted(f"the SMTP server refuses the sender {exc.sender}: {reason}")
    if isinstance(exc, aiosmtplib.SMTPRecipientRefused) and is_no_such_user(exc.code, exc.message or ""):
        return BouncedError(reason)
    if exc.code >= 500:
        return PermanentError(reason)
    return TransientError(reason)

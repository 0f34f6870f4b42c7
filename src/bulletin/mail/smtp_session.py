"""One persistent SMTP connection: aiosmtplib opens it (TLS, EHLO, AUTH), then a small
pipelining writer sends many ready-made messages on it."""

from __future__ import annotations

import asyncio
import logging
import re
import socket
import ssl
from typing import cast

import aiosmtplib
from aiosmtplib import SMTPStatus

from ..config import SmtpConfig
from .delivery_errors import (
    BouncedError,
    ConnectionDropped,
    ConnectionFailed,
    ConnectionTrouble,
    ConnectTimedOut,
    DeliveryUncertain,
    PermanentError,
    ReplyTimedOut,
    RunAborted,
    TransientError,
)
from .mailer import Job
from .smtp_wire import Replies, smtp_ready

log = logging.getLogger(__name__)

# "No such user": the address itself is bad, so the subscriber is marked bounced.
_NO_SUCH_USER_CODES = {
    SMTPStatus.mailbox_does_not_exist,  # 550
    SMTPStatus.user_not_local,  # 551
    SMTPStatus.mailbox_name_invalid,  # 553
}
# Replies to RCPT that accept the recipient: 251 forwards it elsewhere.
_RECIPIENT_TAKEN = (SMTPStatus.completed, SMTPStatus.will_forward)
_NO_SUCH_USER_STATUS = re.compile(r"\b5\.1\.[0-9]\b")
# An enhanced status code (RFC 3463) in the reply text says why: only 5.1.x is about
# the address itself; 5.7.1 "relaying denied" and other policy refusals are not.
_ENHANCED_STATUS = re.compile(r"\b[245]\.[0-9]{1,3}\.[0-9]{1,3}\b")


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
        self.wire: Replies | None = None
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

    async def _connect(self) -> Replies:
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
        except (TimeoutError, aiosmtplib.SMTPException, OSError) as exc:
            client.close()
            raise self._connect_failure(exc) from None
        assert client.transport is not None
        self.client = client
        self.pipelining = client.supports_extension("pipelining")
        self.size = client.supports_extension("size")
        self.smtputf8 = client.supports_extension("smtputf8")
        transport = cast(asyncio.Transport, client.transport)
        self.wire = Replies(transport, self.config.timeout, self.config.data_timeout)
        return self.wire

    def _connect_failure(self, exc: Exception) -> Exception:
        """Why the connection could not be set up: the run stops (RunAborted) or tries again."""
        host = self.config.host
        if isinstance(exc, aiosmtplib.SMTPAuthenticationError):
            return RunAborted(f"SMTP login refused: {exc.code} {exc.message}")
        if isinstance(exc, aiosmtplib.SMTPNotSupported):
            return RunAborted(f"SMTP server {host}: {exc}")
        if self.config.security == "starttls" and "STARTTLS extension not" in str(exc):
            # Never a plain-text fallback: the config asked for STARTTLS.
            return RunAborted(f"SMTP server {host} does not offer STARTTLS (smtp.security: starttls)")
        untrusted = exc if isinstance(exc, ssl.SSLCertVerificationError) else exc.__cause__ or exc.__context__
        if isinstance(untrusted, ssl.SSLCertVerificationError):
            return RunAborted(f"TLS certificate of {host} not trusted: {untrusted.verify_message}")
        failed = ConnectTimedOut if isinstance(exc, TimeoutError) else ConnectionFailed
        return failed(f"cannot connect to {host}:{self.config.port}: {describe(exc)}")

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
        except (aiosmtplib.SMTPException, OSError) as exc:
            await self.close()
            raise connection_trouble(exc) from None
        if refused is None:
            refused = await self._message(wire, data)
            if refused is None:
                return
        await self._reset(refused)
        raise classify(refused)

    async def _message(self, wire: Replies, data: bytes) -> aiosmtplib.SMTPResponseException | None:
        """The message and its end mark; None when accepted, else the refusal.

        Once the end mark is out, a failure leaves the message's fate unknown: the
        server may have taken it and then hung up or fallen silent (DeliveryUncertain).
        """
        try:
            wire.write(data + b".\r\n")
        except (aiosmtplib.SMTPException, OSError) as exc:
            await self.close()
            raise connection_trouble(exc) from None
        try:
            [(code, message)] = await wire.read(1, self.config.data_timeout)
        except (aiosmtplib.SMTPException, OSError) as exc:
            await self.close()
            raise DeliveryUncertain(f"no reply after the message was sent: {describe(exc)}") from None
        if wire.replies:
            # More replies than commands: the conversation is out of step, and
            # the next transaction would read this one's answers. Start afresh.
            await self.close()
        if code == SMTPStatus.completed:
            return None
        return aiosmtplib.SMTPDataError(code, message)

    async def _envelope(
        self, wire: Replies, mail: bytes, rcpt: bytes, sender: str, recipient: str
    ) -> aiosmtplib.SMTPResponseException | None:
        """MAIL, RCPT and DATA; None when the server waits for the message, else its refusal."""
        if self.pipelining:
            wire.write(mail + rcpt + b"DATA\r\n")
            replies = await wire.read(3)
            (mail_code, mail_text), (rcpt_code, rcpt_text), (data_code, data_text) = replies
        else:
            wire.write(mail)
            [(mail_code, mail_text)] = await wire.read(1)
            if mail_code != SMTPStatus.completed:
                return aiosmtplib.SMTPSenderRefused(mail_code, mail_text, sender)
            wire.write(rcpt)
            [(rcpt_code, rcpt_text)] = await wire.read(1)
            if rcpt_code not in _RECIPIENT_TAKEN:
                return aiosmtplib.SMTPRecipientRefused(rcpt_code, rcpt_text, recipient)
            wire.write(b"DATA\r\n")
            [(data_code, data_text)] = await wire.read(1)
        refused: aiosmtplib.SMTPResponseException | None = None
        if mail_code != SMTPStatus.completed:
            refused = aiosmtplib.SMTPSenderRefused(mail_code, mail_text, sender)
        elif rcpt_code not in _RECIPIENT_TAKEN:
            refused = aiosmtplib.SMTPRecipientRefused(rcpt_code, rcpt_text, recipient)
        elif data_code != SMTPStatus.start_input:
            refused = aiosmtplib.SMTPDataError(data_code, data_text)
        if refused is not None and data_code == SMTPStatus.start_input:
            # A server that took DATA after refusing the envelope gets an empty message
            # (it has no recipient to deliver it to) so the conversation stays in step.
            wire.write(b".\r\n")
            await wire.read(1)
        return refused

    async def _reset(self, refused: aiosmtplib.SMTPResponseException) -> None:
        """After a refusal: RSET, or hang up when the server is closing (421) or out of step."""
        if refused.code == SMTPStatus.domain_unavailable or self.wire is None:
            await self.close()
            return
        try:
            self.wire.write(b"RSET\r\n")
            [(code, _)] = await self.wire.read(1)
        except (aiosmtplib.SMTPException, OSError):
            code = 0
        if code != SMTPStatus.completed:
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


def describe(exc: BaseException) -> str:
    code = getattr(exc, "code", None)
    message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    return f"{code} {message}" if code else f"{type(exc).__name__}: {message}"


def connection_trouble(exc: aiosmtplib.SMTPException | OSError) -> ConnectionTrouble:
    """A failure mid-conversation as the built-in it is: a timeout, a dropped connection, or neither."""
    if isinstance(exc, TimeoutError):
        return ReplyTimedOut(describe(exc))
    if isinstance(exc, OSError):  # aiosmtplib's SMTPServerDisconnected is a ConnectionError too
        return ConnectionDropped(describe(exc))
    return ConnectionTrouble(describe(exc))  # a reply that is not SMTP


def is_no_such_user(code: int, message: str) -> bool:
    """A refusal that condemns the address: 5.1.x, or a bare 550/551/553 with no enhanced code."""
    if _NO_SUCH_USER_STATUS.search(message):
        return True
    return code in _NO_SUCH_USER_CODES and not _ENHANCED_STATUS.search(message)


def classify(exc: aiosmtplib.SMTPResponseException) -> Exception:
    reason = f"{exc.code} {exc.message}"
    if _is_transient(exc.code):
        return TransientError(reason)
    if isinstance(exc, aiosmtplib.SMTPSenderRefused) and _is_permanent(exc.code):
        # The sender is the same for every message (530 "authentication required",
        # a From the relay will not take): failing each delivery in turn would fail
        # the whole list. Stop instead, and leave them pending.
        return RunAborted(f"the SMTP server refuses the sender {exc.sender}: {reason}")
    if isinstance(exc, aiosmtplib.SMTPRecipientRefused) and is_no_such_user(exc.code, exc.message or ""):
        return BouncedError(reason)
    if _is_permanent(exc.code):
        return PermanentError(reason)
    return TransientError(reason)


def _is_transient(code: int) -> bool:
    """4xx: the server may take it later (RFC 5321 4.2.1)."""
    return 400 <= code < 500


def _is_permanent(code: int) -> bool:
    """5xx: the same command would be refused again."""
    return code >= 500

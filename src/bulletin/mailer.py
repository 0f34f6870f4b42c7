"""Delivery: a pool of persistent aiosmtplib connections (or an outbox folder), retries, rate limit."""

from __future__ import annotations

import asyncio
import re
import socket
import ssl
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Protocol

import aiosmtplib

from .config import SmtpConfig
from .files import write_file_atomically

# "No such user": the address itself is bad, so the subscriber is marked bounced.
_NO_SUCH_USER_CODES = {550, 551, 553}
_NO_SUCH_USER_STATUS = re.compile(r"\b5\.1\.[0-9]\b")
# How often one message is tried within one run before it waits for the next run.
TRIES_PER_RUN = 3
# Consecutive failures to connect before the run gives up and leaves the rest pending.
CONNECT_TRIES = 3
MAX_BACKOFF = 60.0


class Outcome(Enum):
    SENT = "sent"
    RETRY = "retry"  # a transient failure: still pending
    FAILED = "failed"
    BOUNCED = "bounced"


@dataclass(frozen=True)
class Job:
    digest_id: int
    subscriber_id: int
    email: str
    name: str | None
    attempts: int  # attempts made in earlier runs


class TransientError(Exception):
    """Worth trying again: a 4xx reply, a dropped connection, a timeout."""


class PermanentError(Exception):
    """A 5xx reply for this message: trying again would fail the same way."""


class BouncedError(PermanentError):
    """The server says the address does not exist."""


class RunAborted(Exception):
    """Nothing can be delivered this run: server unreachable, login or TLS refused."""


class Session(Protocol):
    async def send(self, sender: str, job: Job, data: bytes) -> None: ...

    async def close(self) -> None: ...


class OutboxSession:
    """Writes each message as an .eml file instead of speaking SMTP (smtp.host: null)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    async def send(self, sender: str, job: Job, data: bytes) -> None:
        name = f"digest-{job.digest_id:04d}/{job.subscriber_id:08d}.eml"
        write_file_atomically(self.folder / name, data)

    async def close(self) -> None:
        return None


class SmtpSession:
    """One persistent SMTP connection that sends many messages and reconnects on a drop."""

    def __init__(self, config: SmtpConfig) -> None:
        self.config = config
        self.client: aiosmtplib.SMTP | None = None

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

    async def _connect(self) -> aiosmtplib.SMTP:
        if self.client is not None and self.client.is_connected:
            return self.client
        client = self._new_client()
        try:
            await client.connect()
        except aiosmtplib.SMTPAuthenticationError as exc:
            raise RunAborted(f"SMTP login refused: {exc.code} {exc.message}") from None
        except aiosmtplib.SMTPNotSupported as exc:
            raise RunAborted(f"SMTP server {self.config.host}: {exc}") from None
        except ssl.SSLCertVerificationError as exc:
            raise RunAborted(f"TLS certificate of {self.config.host} not trusted: {exc.verify_message}") from None
        except (aiosmtplib.SMTPException, OSError, asyncio.TimeoutError) as exc:
            cause = exc.__cause__ or exc.__context__
            if isinstance(cause, ssl.SSLCertVerificationError):
                raise RunAborted(
                    f"TLS certificate of {self.config.host} not trusted: {cause.verify_message}"
                ) from None
            raise ConnectionFailed(f"cannot connect to {self.config.host}:{self.config.port}: {describe(exc)}") from None
        self.client = client
        return client

    async def send(self, sender: str, job: Job, data: bytes) -> None:
        recipient = job.email
        client = await self._connect()
        options: list[str] = []
        if not recipient.isascii():
            if not client.supports_extension("smtputf8"):
                raise PermanentError("internationalised address, and the server does not offer SMTPUTF8")
            options.append("SMTPUTF8")
        try:
            await client.sendmail(sender, [recipient], data, mail_options=options)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            raise classify(exc.recipients[0]) from None
        except aiosmtplib.SMTPResponseException as exc:
            if exc.code == 421 or not client.is_connected:
                await self.close()
            raise classify(exc) from None
        except (aiosmtplib.SMTPException, OSError, asyncio.TimeoutError) as exc:
            await self.close()
            raise TransientError(describe(exc)) from None

    async def close(self) -> None:
        client, self.client = self.client, None
        if client is None or not client.is_connected:
            return
        try:
            await asyncio.wait_for(client.quit(), timeout=min(self.config.timeout, 5))
        except (aiosmtplib.SMTPException, OSError, asyncio.TimeoutError):
            client.close()


class ConnectionFailed(Exception):
    """The connection could not be opened (no message was sent)."""


def describe(exc: BaseException) -> str:
    code = getattr(exc, "code", None)
    message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    return f"{code} {message}" if code else f"{type(exc).__name__}: {message}"


def classify(exc: aiosmtplib.SMTPResponseException) -> Exception:
    reason = f"{exc.code} {exc.message}"
    if 400 <= exc.code < 500:
        return TransientError(reason)
    if isinstance(exc, aiosmtplib.SMTPRecipientRefused) and (
        exc.code in _NO_SUCH_USER_CODES or _NO_SUCH_USER_STATUS.search(exc.message or "")
    ):
        return BouncedError(reason)
    if exc.code >= 500:
        return PermanentError(reason)
    return TransientError(reason)


class RateLimiter:
    """Spaces sends at most ``rate`` per second across all connections."""

    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self.next_slot = 0.0

    async def wait(self) -> None:
        if not self.interval:
            return
        now = time.monotonic()
        slot = max(now, self.next_slot)
        self.next_slot = slot + self.interval
        if slot > now:
            await asyncio.sleep(slot - now)


Recorder = Callable[[Job, Outcome, str | None], None]


@dataclass
class DeliveryReport:
    sent: int = 0
    failed: int = 0
    bounced: int = 0
    retry: int = 0  # still pending after this run
    aborted: str | None = None


async def deliver(
    jobs: Iterable[Job],
    message_for: Callable[[Job], bytes],
    sender: str,
    session_factory: Callable[[], Session],
    record: Recorder,
    *,
    connections: int,
    rate_per_second: float,
    max_attempts: int,
    retry_delay: float,
) -> DeliveryReport:
    """Send every job over ``connections`` parallel sessions and record each outcome.

    ``record`` is called once per attempt, right after the server's answer, so the
    store always knows what was accepted. One slow or failing recipient holds up
    only its own connection.
    """
    report = DeliveryReport()
    limiter = RateLimiter(rate_per_second)
    queue: asyncio.Queue[Job | None] = asyncio.Queue(maxsize=connections * 4)
    aborted = asyncio.Event()

    def note(job: Job, outcome: Outcome, error: str | None) -> None:
        record(job, outcome, error)
        if outcome is Outcome.SENT:
            report.sent += 1
        elif outcome is Outcome.FAILED:
            report.failed += 1
        elif outcome is Outcome.BOUNCED:
            report.bounced += 1

    async def process(session: Session, job: Job) -> None:
        data = message_for(job)
        tries = 0
        connect_failures = 0
        while not aborted.is_set():
            await limiter.wait()
            try:
                await session.send(sender, job, data)
            except ConnectionFailed as exc:
                connect_failures += 1
                if connect_failures >= CONNECT_TRIES:
                    abort(str(exc))
                    return
                await asyncio.sleep(min(retry_delay * 2 ** (connect_failures - 1), MAX_BACKOFF))
                continue
            except RunAborted as exc:
                abort(str(exc))
                return
            except BouncedError as exc:
                note(job, Outcome.BOUNCED, str(exc))
                return
            except PermanentError as exc:
                note(job, Outcome.FAILED, str(exc))
                return
            except TransientError as exc:
                tries += 1
                if job.attempts + tries >= max_attempts:
                    note(job, Outcome.FAILED, f"gave up after {job.attempts + tries} attempts: {exc}")
                    return
                note(job, Outcome.RETRY, str(exc))
                if tries >= TRIES_PER_RUN:
                    report.retry += 1
                    return
                await asyncio.sleep(min(retry_delay * 2 ** (tries - 1), MAX_BACKOFF))
                continue
            note(job, Outcome.SENT, None)
            return

    def abort(reason: str) -> None:
        if not aborted.is_set():
            report.aborted = reason
            aborted.set()

    async def worker() -> None:
        session = session_factory()
        try:
            while True:
                job = await queue.get()
                if job is None or aborted.is_set():
                    return
                await process(session, job)
        finally:
            await session.close()

    async def produce() -> None:
        for job in jobs:
            if aborted.is_set():
                break
            await queue.put(job)
        for _ in range(connections):
            await queue.put(None)

    workers = [asyncio.create_task(worker()) for _ in range(connections)]
    producer = asyncio.create_task(produce())
    try:
        await asyncio.gather(*workers)
    finally:
        for task in (*workers, producer):
            task.cancel()
        await asyncio.gather(*workers, producer, return_exceptions=True)
    return report

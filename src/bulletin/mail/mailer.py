"""Delivery: a pool of sessions (SMTP connections or an outbox folder), retries, rate limit.

The SMTP session itself is in smtp_session.py."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Protocol

from ..files import write_file_atomically

log = logging.getLogger(__name__)

# How often one message is tried within one run before it waits for the next run.
TRIES_PER_RUN = 3
# Consecutive failures to connect before the run gives up and leaves the rest pending.
CONNECT_TRIES = 3
# Connection failures in a row (timeouts, drops, garbage), counted across the whole run,
# per connection, before the run gives up: a server that has fallen silent would
# otherwise cost every remaining message its tries, each one a full smtp.timeout.
TROUBLE_PER_CONNECTION = 3
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


class ConnectionTrouble(TransientError):
    """The connection failed mid-conversation: no reply in time, hung up, or not SMTP."""


class PermanentError(Exception):
    """A 5xx reply for this message: trying again would fail the same way."""


class BouncedError(PermanentError):
    """The server says the address does not exist."""


class RunAborted(Exception):
    """Nothing can be delivered this run: server unreachable, login or TLS refused."""


class ConnectionFailed(Exception):
    """The connection could not be opened (no message was sent)."""


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
            log.debug("digest %s to %s: sent", job.digest_id, job.email)
            report.sent += 1
            return
        log.info("digest %s to %s: %s (%s)", job.digest_id, job.email, outcome.value, error)
        if outcome is Outcome.FAILED:
            report.failed += 1
        elif outcome is Outcome.BOUNCED:
            report.bounced += 1

    troubles = 0  # connection failures in a row across the run; any server answer resets it

    def trouble(failed: bool, reason: str = "") -> None:
        """Count a connection failure (or reset the count); abort the run after too many."""
        nonlocal troubles
        troubles = troubles + 1 if failed else 0
        if troubles >= TROUBLE_PER_CONNECTION * connections:
            abort(f"{troubles} connection failures in a row, the last: {reason}")

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
                trouble(True, str(exc))
                await asyncio.sleep(min(retry_delay * 2 ** (connect_failures - 1), MAX_BACKOFF))
                continue
            except RunAborted as exc:
                abort(str(exc))
                return
            except BouncedError as exc:
                trouble(False)
                note(job, Outcome.BOUNCED, str(exc))
                return
            except PermanentError as exc:
                trouble(False)
                note(job, Outcome.FAILED, str(exc))
                return
            except TransientError as exc:
                trouble(isinstance(exc, ConnectionTrouble), str(exc))
                tries += 1
                if job.attempts + tries >= max_attempts:
                    reason = f"gave up after {job.attempts + tries} attempts: {exc}"
                    note(job, Outcome.FAILED, reason)
                    return
                note(job, Outcome.RETRY, str(exc))
                if tries >= TRIES_PER_RUN or aborted.is_set():
                    report.retry += 1
                    return
                await asyncio.sleep(min(retry_delay * 2 ** (tries - 1), MAX_BACKOFF))
                continue
            trouble(False)
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

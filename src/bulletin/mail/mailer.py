"""Delivery: a pool of sessions (SMTP connections or an outbox folder), retries, rate limit.

sessions.py decides which sessions a run gets; the SMTP session itself is in smtp_session.py."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import Enum
from typing import Protocol

from .delivery_errors import (
    BouncedError,
    ConnectionFailed,
    ConnectionTrouble,
    PermanentError,
    RunAborted,
    TransientError,
)

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


class Session(Protocol):
    async def send(self, sender: str, job: Job, data: bytes) -> None: ...

    async def close(self) -> None: ...


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


@dataclass(frozen=True)
class Sessions:
    """Where a run's messages go (sessions.open_sessions decides): how to open one, how many at once."""

    open: Callable[[], Session]
    connections: int


class Delivery:
    """One delivery run: its report, its rate limiter and its count of connection failures.

    ``run`` sends every job over ``sessions.connections`` parallel sessions; ``record``
    is called once per attempt, right after the server's answer, so the store always
    knows what was accepted. One slow or failing recipient holds up only its own
    connection.
    """

    def __init__(
        self,
        message_for: Callable[[Job], bytes],
        sender: str,
        sessions: Sessions,
        record: Recorder,
        *,
        rate_per_second: float,
        max_attempts: int,
        retry_delay: float,
    ) -> None:
        self.message_for = message_for
        self.sender = sender
        self.sessions = sessions
        self.record = record
        self.max_attempts = max_attempts
        self.retry_delay = retry_delay
        self.report = DeliveryReport()
        self.limiter = RateLimiter(rate_per_second)
        self.aborted = asyncio.Event()
        self.troubles = 0  # connection failures in a row across the run; any server answer resets it

    async def run(self, jobs: Iterable[Job]) -> DeliveryReport:
        connections = self.sessions.connections
        queue: asyncio.Queue[Job | None] = asyncio.Queue(maxsize=connections * 4)
        workers = [asyncio.create_task(self._work(queue)) for _ in range(connections)]
        producer = asyncio.create_task(self._produce(jobs, queue))
        try:
            await asyncio.gather(*workers)
        finally:
            for task in (*workers, producer):
                task.cancel()
            await asyncio.gather(*workers, producer, return_exceptions=True)
        return self.report

    async def _produce(self, jobs: Iterable[Job], queue: asyncio.Queue[Job | None]) -> None:
        for job in jobs:
            if self.aborted.is_set():
                break
            await queue.put(job)
        for _ in range(self.sessions.connections):
            await queue.put(None)

    async def _work(self, queue: asyncio.Queue[Job | None]) -> None:
        """One connection: take jobs off the queue until it says stop or the run is aborted."""
        session = self.sessions.open()
        try:
            while True:
                job = await queue.get()
                if job is None or self.aborted.is_set():
                    return
                await self._process(session, job)
        finally:
            await session.close()

    async def _process(self, session: Session, job: Job) -> None:
        """Try ``job`` until it is sent, refused for good, or has had its tries for this run."""
        data = self.message_for(job)
        tries = 0
        connect_failures = 0
        while not self.aborted.is_set():
            await self.limiter.wait()
            try:
                await session.send(self.sender, job, data)
            except ConnectionFailed as exc:
                connect_failures += 1
                if connect_failures >= CONNECT_TRIES:
                    self._abort(str(exc))
                    return
                self._count_trouble(True, str(exc))
                await self._back_off(connect_failures)
                continue
            except RunAborted as exc:
                self._abort(str(exc))
                return
            except PermanentError as exc:
                self._count_trouble(False)
                self._note(
                    job, Outcome.BOUNCED if isinstance(exc, BouncedError) else Outcome.FAILED, str(exc)
                )
                return
            except TransientError as exc:
                self._count_trouble(isinstance(exc, ConnectionTrouble), str(exc))
                tries += 1
                if await self._try_again(job, tries, exc):
                    continue
                return
            self._count_trouble(False)
            self._note(job, Outcome.SENT, None)
            return

    async def _try_again(self, job: Job, tries: int, exc: TransientError) -> bool:
        """After a transient failure: record it, and wait for the next try if there is one."""
        attempts = job.attempts + tries
        if attempts >= self.max_attempts:
            self._note(job, Outcome.FAILED, f"gave up after {attempts} attempts: {exc}")
            return False
        self._note(job, Outcome.RETRY, str(exc))
        if tries >= TRIES_PER_RUN or self.aborted.is_set():
            self.report.retry += 1
            return False
        await self._back_off(tries)
        return True

    async def _back_off(self, failures: int) -> None:
        await asyncio.sleep(min(self.retry_delay * 2 ** (failures - 1), MAX_BACKOFF))

    def _note(self, job: Job, outcome: Outcome, error: str | None) -> None:
        self.record(job, outcome, error)
        if outcome is Outcome.SENT:
            log.debug("digest %s to %s: sent", job.digest_id, job.email)
            self.report.sent += 1
            return
        log.info("digest %s to %s: %s (%s)", job.digest_id, job.email, outcome.value, error)
        if outcome is Outcome.FAILED:
            self.report.failed += 1
        elif outcome is Outcome.BOUNCED:
            self.report.bounced += 1

    def _count_trouble(self, failed: bool, reason: str = "") -> None:
        """Count a connection failure (or reset the count); abort the run after too many."""
        self.troubles = self.troubles + 1 if failed else 0
        if self.troubles >= TROUBLE_PER_CONNECTION * self.sessions.connections:
            self._abort(f"{self.troubles} connection failures in a row, the last: {reason}")

    def _abort(self, reason: str) -> None:
        if not self.aborted.is_set():
            self.report.aborted = reason
            self.aborted.set()

"""Delivery: a pool of sessions (SMTP connections or an outbox folder), retries, rate limit.

sessions.py decides which sessions a run gets; the SMTP session itself is in smtp_session.py."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import Enum
from typing import Protocol

from .delivery_errors import (
    BouncedError,
    CannotRecord,
    ConnectionFailed,
    ConnectionTrouble,
    DeliveryUncertain,
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
    RETRY = "retry"  # a connection failure: still pending; counts toward smtp.max_attempts
    DEFERRED = "deferred"  # a 4xx reply: still pending, tried in later runs until smtp.give_up_after
    UNCERTAIN = "uncertain"  # no reply after the whole message: still pending, tried once more
    UNCERTAIN_AGAIN = "uncertain again"  # and again: failed, never sent a third time
    FAILED = "failed"
    BOUNCED = "bounced"


# Outcomes that leave the delivery pending.
STILL_PENDING = (Outcome.RETRY, Outcome.DEFERRED, Outcome.UNCERTAIN)


@dataclass(frozen=True)
class Job:
    digest_id: int
    subscriber_id: int
    email: str
    name: str | None
    attempts: int  # attempts made in earlier runs that count toward smtp.max_attempts
    uncertain: int = 0  # earlier tries after which the message may have arrived
    failing_since: dt.datetime | None = None  # the first of an unbroken run of 4xx replies
    token_nonce: str | None = None  # the subscriber's, for the unsubscribe link's token
    rendering: int | None = None  # the digest rendering the message is made from (None: the main one)


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
    uncertain: int = 0  # messages after whose end the server hung up or fell silent
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
        sender: str | Callable[[Job], str],  # the envelope sender, or one per job (VERP)
        sessions: Sessions,
        record: Recorder,
        *,
        rate_per_second: float,
        max_attempts: int,
        retry_delay: float,
        give_up_after: float | None = None,
        limiter: RateLimiter | None = None,
    ) -> None:
        self.message_for = message_for
        self.sender = sender
        self.sessions = sessions
        self.record = record
        self.max_attempts = max_attempts
        self.retry_delay = retry_delay
        # None: 4xx replies count toward max_attempts like everything else (one-off sends).
        self.give_up_after = give_up_after
        self.report = DeliveryReport()
        self.limiter = limiter or RateLimiter(rate_per_second)
        self.aborted = asyncio.Event()
        self.troubles = 0  # connection failures in a row across the run; any server answer resets it
        self.send_again: list[Job] = []  # uncertain this run: tried once more after the others

    async def run(self, jobs: Iterable[Job]) -> DeliveryReport:
        """Send every job; then, once, those whose fate was uncertain (if the run goes on)."""
        await self._round(jobs)
        again, self.send_again = self.send_again, []
        if again and not self.aborted.is_set():
            await self._round(again)
        elif again:
            self.report.retry += len(again)  # still pending, each with its one more try
        return self.report

    async def _round(self, jobs: Iterable[Job]) -> None:
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
        sender = self.sender(job) if callable(self.sender) else self.sender
        tries = troubles = connect_failures = 0
        while not self.aborted.is_set():
            await self.limiter.wait()
            try:
                await session.send(sender, job, data)
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
            except DeliveryUncertain as exc:
                self._count_trouble(True, str(exc))
                self._uncertain(job, exc)
                return
            except TransientError as exc:
                counted = isinstance(exc, ConnectionTrouble) or self.give_up_after is None
                self._count_trouble(isinstance(exc, ConnectionTrouble), str(exc))
                tries += 1
                troubles += counted
                if await self._try_again(job, tries, job.attempts + troubles if counted else None, exc):
                    continue
                return
            self._count_trouble(False)
            self._note(job, Outcome.SENT, None)
            return

    def _uncertain(self, job: Job, exc: DeliveryUncertain) -> None:
        """The message went out and no reply came: send it once more, never a third time."""
        self.report.uncertain += 1
        if job.uncertain:
            self._note(
                job, Outcome.UNCERTAIN_AGAIN, f"uncertain twice, not sent again (it may have arrived): {exc}"
            )
            return
        self._note(job, Outcome.UNCERTAIN, f"uncertain, to be sent once more: {exc}")
        # Last in the run: a relay that drops every connection after the message stops the
        # run (too many failures in a row) before any message goes a second time.
        self.send_again.append(dataclasses.replace(job, uncertain=job.uncertain + 1))

    async def _try_again(self, job: Job, tries: int, counted: int | None, exc: TransientError) -> bool:
        """After a transient failure: record it, and wait for the next try if there is one.

        ``counted`` is the attempts toward max_attempts so far; None for a 4xx reply,
        which is given up only once its delivery has been refused for give_up_after.
        """
        if counted is not None and counted >= self.max_attempts:
            self._note(job, Outcome.FAILED, f"gave up after {counted} attempts: {exc}")
            return False
        if counted is None and self.give_up_after is not None and job.failing_since is not None:
            failing = (dt.datetime.now(dt.UTC) - job.failing_since).total_seconds()
            if failing >= self.give_up_after:
                self._note(
                    job, Outcome.FAILED, f"gave up after {_duration(failing)} of temporary failures: {exc}"
                )
                return False
        self._note(job, Outcome.RETRY if counted is not None else Outcome.DEFERRED, str(exc))
        if tries >= TRIES_PER_RUN or self.aborted.is_set():
            self.report.retry += 1
            return False
        await self._back_off(tries)
        return True

    async def _back_off(self, failures: int) -> None:
        await asyncio.sleep(min(self.retry_delay * 2 ** (failures - 1), MAX_BACKOFF))

    def _note(self, job: Job, outcome: Outcome, error: str | None) -> None:
        try:
            self.record(job, outcome, error)
        except CannotRecord as exc:
            self.stop(str(exc))  # those in flight still finish and are counted
        if outcome is Outcome.SENT:
            log.debug("digest %s to %s: sent", job.digest_id, job.email)
            self.report.sent += 1
            return
        log.info("digest %s to %s: %s (%s)", job.digest_id, job.email, outcome.value, error)
        if outcome in (Outcome.FAILED, Outcome.UNCERTAIN_AGAIN):
            self.report.failed += 1
        elif outcome is Outcome.BOUNCED:
            self.report.bounced += 1

    def _count_trouble(self, failed: bool, reason: str = "") -> None:
        """Count a connection failure (or reset the count); abort the run after too many."""
        self.troubles = self.troubles + 1 if failed else 0
        if self.troubles >= TROUBLE_PER_CONNECTION * self.sessions.connections:
            self._abort(f"{self.troubles} connection failures in a row, the last: {reason}")

    def stop(self, reason: str) -> None:
        """Take no new deliveries; those in flight finish. ``reason`` ends up in the report."""
        self._abort(reason)

    def _abort(self, reason: str) -> None:
        if not self.aborted.is_set():
            self.report.aborted = reason
            self.aborted.set()


def _duration(seconds: float) -> str:
    """'3 days', '5 hours', '12 minutes' or '40 seconds': how long a delivery was refused."""
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1)):
        if seconds >= size or unit == "second":
            count = round(seconds / size)
            return f"{count} {unit}{'' if count == 1 else 's'}"
    raise AssertionError("unreachable")

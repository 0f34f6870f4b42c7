"""What processes sharing a PostgreSQL store coordinate through it: locks, the rate budget, the limits.

Session advisory locks end with their session, so a sender killed with SIGKILL
frees them as soon as the server notices the connection gone: no stale lock.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import random
from collections.abc import Iterator, Sequence

from .base import LockHeld
from .pg_connection import COMPOSE_LOCK, LOCK_SPACE, RUN_LOCK, Connections, connect, reported, scalar
from .pg_subscribers import SUBSCRIBER_COLUMNS, subscribers_from_rows
from .records import Subscriber

CONFIRMATION_LEASE = 60  # seconds a web process holds the confirmation mails it took off the queue
FORGET_EVENTS_EVERY = 100  # about one limit check in this many also deletes every expired event


class PgSharing:
    """The coordination methods of ``PostgresStore`` (which sets ``connections``)."""

    connections: Connections
    _confirmations_held: set[int]  # taken off the queue by this process, not yet sent

    @contextlib.contextmanager
    def run_lock(self) -> Iterator[object]:
        """A shared session advisory lock: senders run side by side (each claims its own
        deliveries); only one taking it exclusively (none does today) would keep them out."""
        with self._session_lock(RUN_LOCK, shared=True, wait=False):
            yield self

    @contextlib.contextmanager
    def compose_lock(self) -> Iterator[object]:
        """An exclusive session advisory lock, waited for: one sender composes at a time, so
        the others find the digest already stored and compose nothing."""
        with self._session_lock(COMPOSE_LOCK, shared=False, wait=True):
            yield self

    @contextlib.contextmanager
    def _session_lock(self, which: int, *, shared: bool, wait: bool) -> Iterator[None]:
        kind = "_shared" if shared else ""
        with connect(self.connections.conninfo, self.connections.location, autocommit=True) as session:
            if wait:
                session.execute(f"SELECT pg_advisory_lock{kind}(%s, %s)", (LOCK_SPACE, which))
            elif not scalar(session, f"SELECT pg_try_advisory_lock{kind}(%s, %s)", (LOCK_SPACE, which)):
                raise LockHeld(self.connections.location)
            # Closing the session (below, or the process dying) releases the lock.
            yield

    @reported
    def send_slot(self, interval: float) -> float | None:
        """Seconds to wait before sending one message, so every sender of this store together
        sends one per ``interval`` seconds: the next free moment is kept in the store."""
        with self.connections.transaction() as db:
            wait = scalar(
                db,
                "INSERT INTO send_budget AS b (name, next_slot)"
                " VALUES ('smtp', clock_timestamp() + make_interval(secs => %(interval)s))"
                " ON CONFLICT (name) DO UPDATE SET next_slot ="
                " greatest(b.next_slot, clock_timestamp()) + make_interval(secs => %(interval)s)"
                " RETURNING extract(epoch FROM next_slot - clock_timestamp()) - %(interval)s",
                {"interval": interval},
            )
        return max(float(wait), 0.0)

    @reported
    def allow_event(self, key: str, limit: int, window: float) -> bool:
        """True (and the event noted) when ``key`` had fewer than ``limit`` events in the last
        ``window`` seconds, counted over every process sharing the store."""
        # Keys are client addresses: the store keeps only a hash of each.
        hashed = hashlib.sha256(key.encode()).hexdigest()
        with self.connections.transaction() as db:
            # One check per key at a time: two processes must not both see limit - 1.
            db.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (hashed,))
            since = "now() - make_interval(secs => %s)"
            if random.randrange(FORGET_EVENTS_EVERY) == 0:  # noqa: S311 - housekeeping, not a secret
                db.execute(f"DELETE FROM rate_events WHERE at <= {since}", (window,))
            count = scalar(
                db, f"SELECT count(*) FROM rate_events WHERE key = %s AND at > {since}", (hashed, window)
            )
            if count >= limit:
                return False
            db.execute("DELETE FROM rate_events WHERE key = %s AND at <= " + since, (hashed, window))
            db.execute("INSERT INTO rate_events VALUES (%s, now())", (hashed,))
        return True

    # The confirmation queue: several web processes take turns at it ------------

    @reported
    def queued_confirmations(self, limit: int = 100) -> list[Subscriber]:
        """Queued confirmation mails, oldest first, each held for CONFIRMATION_LEASE seconds so
        another web process does not send it too (a process that dies lets the lease run out)."""
        with self.connections.transaction() as db:
            rows = db.execute(
                "WITH queued AS (SELECT id FROM subscribers WHERE confirm_queued_at IS NOT NULL"
                " AND (confirm_claimed_until IS NULL OR confirm_claimed_until < now())"
                " ORDER BY confirm_queued_at, id LIMIT %s FOR UPDATE SKIP LOCKED)"
                " UPDATE subscribers s SET confirm_claimed_until = now() + make_interval(secs => %s)"
                " FROM queued WHERE s.id = queued.id"
                f" RETURNING {SUBSCRIBER_COLUMNS}, s.confirm_queued_at",
                (limit, CONFIRMATION_LEASE),
            ).fetchall()
            rows.sort(key=lambda row: (row.confirm_queued_at, row.id))
            people = subscribers_from_rows(db, rows)
        self._confirmations_held.update(row.id for row in rows)
        return people

    @reported
    def confirmation_sent(self, subscriber_id: int) -> None:
        with self.connections.transaction() as db:
            db.execute(
                "UPDATE subscribers SET confirm_queued_at = NULL, confirm_claimed_until = NULL WHERE id = %s",
                (subscriber_id,),
            )
        self._confirmations_held.discard(subscriber_id)

    def release_confirmations(self) -> None:
        """Put back on the queue what this process took and did not send (it is shutting down),
        so another process sends it now rather than after the lease."""
        if not self._confirmations_held:
            return
        with contextlib.suppress(Exception), self.connections.transaction() as db:
            db.execute(
                "UPDATE subscribers SET confirm_claimed_until = NULL WHERE id = ANY(%s)",
                (sorted(self._confirmations_held),),
            )
        self._confirmations_held.clear()

    # Recording: a server has no local disk to fill -------------------------------

    @reported
    def check_recording(self) -> int:
        """Make sure a write commits (the server is there and accepts writes). Returns 0: what a
        killed run noted and did not record is in its sent journal, which the caller replays."""
        with self.connections.transaction() as db:
            db.execute(
                "INSERT INTO meta VALUES ('last_write_check', %s)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (dt.datetime.now(dt.UTC).isoformat(timespec="microseconds"),),
            )
        return 0

    def keep_unrecorded(self, sent: Sequence[tuple[int, int]]) -> bool:
        """Try once more to record ``sent`` as sent; False when the server still refuses (the
        run's sent journal keeps them for the next run on this host)."""
        try:
            self.mark_sent_many(sent, dt.datetime.now(dt.UTC))
        except Exception:  # the server is gone: the journal file keeps them
            return False
        return True

    def mark_sent_many(self, sent: Sequence[tuple[int, int]], now: dt.datetime) -> None:
        raise NotImplementedError  # PgDeliveries'

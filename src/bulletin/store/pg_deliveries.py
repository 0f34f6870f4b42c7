"""The PostgreSQL store's delivery rows, claimed in batches under a lease so several senders share a digest.

A sender claims a batch of pending rows with ``SELECT ... FOR UPDATE SKIP LOCKED``,
writing its name and a lease (``claimed_by``, ``claimed_until``): other senders skip
those rows while the lease runs. Each row is committed as 'sent' the moment the
server accepts its message, as in SQLite. A sender killed mid-batch leaves its lease
to run out; then another takes the rows over, so nobody is skipped and only the
messages in flight at the kill can go twice. A row tried and left pending is handed
back (``claimed_by`` NULL, ``claimed_until`` the moment): a run that started after
that moment may try it again, one running meanwhile leaves it to the next run.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import socket
import time
from collections.abc import Iterator, Sequence
from typing import Any

from .pg_connection import Connections, reported, scalar
from .pg_subscribers import subscribers_from_rows
from .records import Delivery, DeliveryCounts, FailedAttempt, Subscriber

CLAIM_BATCH = 200  # rows a sender claims at once: small, so senders share the tail of a digest
WAIT_FOR_LEASES = 0.5  # seconds between looks at rows other senders still hold
CLAIM_IN_PROGRESS = 0.05  # seconds before looking again at rows another sender is claiming

_CLAIM = """
WITH free AS (
    SELECT digest_id, subscriber_id FROM deliveries
    WHERE digest_id = %(digest)s AND status = 'pending' AND subscriber_id > %(after)s
      AND (%(due)s::timestamptz IS NULL OR retry_at IS NULL OR retry_at <= %(due)s)
      AND claimed_by IS DISTINCT FROM %(me)s
      AND (claimed_until IS NULL
           OR (claimed_by IS NOT NULL AND claimed_until < now())
           OR (claimed_by IS NULL AND claimed_until < %(started)s))
    ORDER BY subscriber_id LIMIT %(batch)s FOR UPDATE SKIP LOCKED
), claimed AS (
    UPDATE deliveries d SET claimed_by = %(me)s, claimed_until = now() + make_interval(secs => %(lease)s)
    FROM free WHERE d.digest_id = free.digest_id AND d.subscriber_id = free.subscriber_id
    RETURNING d.subscriber_id, d.attempts, d.troubles, d.uncertain, d.failing_since, d.rendering
)
SELECT c.attempts, c.troubles, c.uncertain, c.failing_since, c.rendering,
       s.id, s.email, s.name, s.status, s.created_at, s.token_nonce, s.language
FROM claimed c JOIN subscribers s ON s.id = c.subscriber_id ORDER BY s.id
"""

# Never claimed, pending, due: after a claim found nothing, these are being claimed by another.
_NEVER_CLAIMED = """
SELECT count(*) FROM deliveries
WHERE digest_id = %(digest)s AND status = 'pending' AND claimed_until IS NULL
  AND (%(due)s::timestamptz IS NULL OR retry_at IS NULL OR retry_at <= %(due)s)
"""
# Of these digests' pending rows: how many other senders hold under a live lease, how many a new
# claim may take (never claimed, or a lease that ran out), and seconds to the first lease's end.
_HELD = """
SELECT count(*) FILTER (WHERE claimed_by IS NOT NULL AND claimed_until >= now()) AS live,
       count(*) FILTER (WHERE claimed_until IS NULL OR (claimed_by IS NOT NULL AND claimed_until < now()))
           AS claimable,
       coalesce(extract(epoch FROM min(claimed_until)
           FILTER (WHERE claimed_by IS NOT NULL AND claimed_until >= now()) - now()), 0) AS wait
FROM deliveries WHERE digest_id = ANY(%s) AND status = 'pending'
"""


_MARK_SENT = (
    "UPDATE deliveries SET status = 'sent', sent_at = %s, attempts = attempts + 1,"
    " last_error = NULL, retry_at = NULL, claimed_by = NULL, claimed_until = NULL"
    " WHERE digest_id = %s AND subscriber_id = %s AND status = 'pending'"
)


class Lease:
    """Renews a sender's claims a third of the way through the lease, so rows it still holds
    (claimed, or in flight) are never taken over while it lives."""

    def __init__(self, rows: PgDeliveries, digest_id: int, me: str) -> None:
        self.rows, self.digest_id, self.me = rows, digest_id, me
        self.renewed = time.monotonic()

    def keep(self) -> None:
        if time.monotonic() - self.renewed > self.rows.lease / 3:
            self.rows.renew(self.digest_id, self.me)
            self.renewed = time.monotonic()


def sender_name() -> str:
    """Who claims: the host and process, and a random part so a reused pid is someone else."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


class PgDeliveries:
    """The delivery methods of ``PostgresStore`` (which sets ``connections`` and ``lease``)."""

    connections: Connections
    lease: float

    def pending_deliveries(
        self, digest_id: int, batch: int = 500, due_at: dt.datetime | None = None
    ) -> Iterator[Delivery]:
        """Claim the digest's pending rows a batch at a time and hand them out, until none is free.

        Rows another sender holds under a live lease are left to it: waiting for them here
        would stop this run's own messages in flight (the caller's event loop pulls from this
        iterator), and the other may be waiting for those. Once the run is over and its
        outcomes recorded, ``wait_for_other_senders`` waits for them instead."""
        me = sender_name()
        params: dict[str, Any] = {"digest": digest_id, "due": due_at, "me": me, "lease": self.lease}
        params["batch"] = min(batch, CLAIM_BATCH)
        params["started"] = self._now()
        after = 0
        lease = Lease(self, digest_id, me)
        while True:
            rows = self._claim({**params, "after": after})
            if not rows and after:
                after = 0  # once more from the start: leases that ran out behind us
                continue
            if not rows:
                if not self._being_claimed(params):
                    return
                time.sleep(CLAIM_IN_PROGRESS)  # another sender's claim commits in a moment
                continue
            for row, subscriber in rows:
                lease.keep()
                yield Delivery(
                    digest_id,
                    subscriber,
                    int(row.attempts),
                    int(row.troubles),
                    int(row.uncertain),
                    row.failing_since,
                    row.rendering,
                )
            after = rows[-1][1].id

    @reported
    def _now(self) -> dt.datetime:
        with self.connections.transaction() as db:
            moment: dt.datetime = scalar(db, "SELECT now()")
            return moment

    @reported
    def _claim(self, params: dict[str, Any]) -> list[tuple[Any, Subscriber]]:
        with self.connections.transaction() as db:
            rows = db.execute(_CLAIM, params).fetchall()
            return list(zip(rows, subscribers_from_rows(db, rows), strict=True))

    @reported
    def _being_claimed(self, params: dict[str, Any]) -> bool:
        """Rows never claimed that the last claim passed over: another sender's claim of them has
        not committed yet (SKIP LOCKED skips them)."""
        with self.connections.transaction() as db:
            return bool(scalar(db, _NEVER_CLAIMED, params))

    @reported
    def wait_for_other_senders(self, digest_ids: Sequence[int]) -> bool:
        """Block while other senders hold deliveries of these digests under a live lease; True
        when rows are left that a run may claim now (a lease ran out: its sender died)."""
        while True:
            with self.connections.transaction() as db:
                left = db.execute(_HELD, (list(digest_ids),)).fetchone()
            assert left is not None
            live, claimable, wait = left
            if not live:
                return bool(claimable)
            time.sleep(min(max(float(wait), 0.0) + 0.05, WAIT_FOR_LEASES))

    @reported
    def renew(self, digest_id: int, me: str) -> None:
        with self.connections.transaction() as db:
            db.execute(
                "UPDATE deliveries SET claimed_until = now() + make_interval(secs => %s)"
                " WHERE digest_id = %s AND claimed_by = %s AND status = 'pending'",
                (self.lease, digest_id, me),
            )

    @reported
    def count_due(self, digest_id: int, due_at: dt.datetime) -> int:
        with self.connections.transaction() as db:
            return int(
                scalar(
                    db,
                    "SELECT count(*) FROM deliveries WHERE digest_id = %s AND status = 'pending'"
                    " AND (retry_at IS NULL OR retry_at <= %s)",
                    (digest_id, due_at),
                )
            )

    @reported
    def mark_sent(self, digest_id: int, subscriber_id: int, now: dt.datetime) -> None:
        with self.connections.transaction() as db:
            db.execute(_MARK_SENT, (now, digest_id, subscriber_id))

    @reported
    def mark_sent_many(self, sent: Sequence[tuple[int, int]], now: dt.datetime) -> None:
        with self.connections.transaction() as db, db.cursor() as cursor:
            cursor.executemany(_MARK_SENT, [(now, digest, subscriber) for digest, subscriber in sent])

    def mark_attempt_failed(
        self, digest_id: int, subscriber_id: int, error: str, *, final: bool, bounced: bool = False
    ) -> None:
        self.record_failure(digest_id, subscriber_id, FailedAttempt(error, final, bounced))

    @reported
    def record_failure(
        self, digest_id: int, subscriber_id: int, attempt: FailedAttempt, now: dt.datetime | None = None
    ) -> None:
        status = "failed" if attempt.final or attempt.bounced else "pending"
        stamp = now or dt.datetime.now(dt.UTC)
        with self.connections.transaction() as db:
            # Handed back: claimed_by NULL, claimed_until the moment (see the module's docstring).
            db.execute(
                "UPDATE deliveries SET status = %(status)s, attempts = attempts + 1, last_error = %(error)s,"
                " troubles = troubles + %(counted)s, uncertain = uncertain + %(uncertain)s,"
                " failing_since = CASE WHEN %(counting)s THEN failing_since"
                " ELSE coalesce(failing_since, %(now)s) END,"
                " retry_at = %(retry)s, claimed_by = NULL, claimed_until = now()"
                " WHERE digest_id = %(digest)s AND subscriber_id = %(subscriber)s AND status = 'pending'",
                {
                    "status": status,
                    "error": attempt.error[:500],
                    "counted": int(attempt.counted),
                    "uncertain": int(attempt.uncertain),
                    "counting": attempt.counted,
                    "now": stamp,
                    "retry": attempt.retry_at,
                    "digest": digest_id,
                    "subscriber": subscriber_id,
                },
            )
            if attempt.bounced:
                db.execute(
                    "UPDATE subscribers SET status = 'bounced', updated_at = %s WHERE id = %s",
                    (stamp, subscriber_id),
                )
                # The address does not exist: other digests still queued for it must not be tried.
                db.execute(
                    "UPDATE deliveries SET status = 'cancelled', last_error = 'subscriber bounced'"
                    " WHERE subscriber_id = %s AND status = 'pending'",
                    (subscriber_id,),
                )

    @reported
    def note_pending_reason(self, digest_ids: Sequence[int], reason: str) -> None:
        with self.connections.transaction() as db:
            db.execute(
                "UPDATE deliveries SET last_error = %s"
                " WHERE digest_id = ANY(%s) AND status = 'pending' AND last_error IS NULL",
                (reason[:500], list(digest_ids)),
            )

    @reported
    def requeue_failed(self, digest_id: int) -> int:
        # Not those whose message may have arrived already: resending would only add copies.
        with self.connections.transaction() as db:
            return db.execute(
                "UPDATE deliveries SET status = 'pending', attempts = 0, troubles = 0, failing_since = NULL,"
                " retry_at = NULL, claimed_by = NULL, claimed_until = NULL"
                " WHERE digest_id = %s AND status = 'failed' AND uncertain = 0"
                " AND subscriber_id IN (SELECT id FROM subscribers WHERE status = 'active')",
                (digest_id,),
            ).rowcount

    @reported
    def count_pending(self) -> int:
        with self.connections.transaction() as db:
            return int(scalar(db, "SELECT count(*) FROM deliveries WHERE status = 'pending'"))

    @reported
    def delivery_counts(self, digest_id: int) -> DeliveryCounts:
        with self.connections.transaction() as db:
            rows = db.execute(
                "SELECT status, count(*) FROM deliveries WHERE digest_id = %s GROUP BY status", (digest_id,)
            ).fetchall()
            uncertain = scalar(
                db, "SELECT count(*) FROM deliveries WHERE digest_id = %s AND uncertain > 0", (digest_id,)
            )
        return DeliveryCounts(**{row[0]: int(row[1]) for row in rows}, uncertain=int(uncertain))

    @reported
    def delivery_errors(self, digest_id: int, limit: int = 20) -> list[tuple[str, str, str]]:
        with self.connections.transaction() as db:
            rows = db.execute(
                "SELECT s.email, d.status, d.last_error FROM deliveries d JOIN subscribers s"
                " ON s.id = d.subscriber_id WHERE d.digest_id = %s AND d.last_error IS NOT NULL"
                " AND d.status <> 'sent' ORDER BY s.id LIMIT %s",
                (digest_id, limit),
            ).fetchall()
        return [(row[0], row[1], row[2]) for row in rows]

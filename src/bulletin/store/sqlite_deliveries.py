"""The SQLite store's delivery rows: one per (digest, subscriber), the whole truth about a message.

A row becomes 'sent' in the batch after the server accepted its message (the run's
sent journal notes it at once), so a run killed at any point resumes where it stopped.
A failed try leaves the row pending with its reason, or failed for good; see
``base.Store`` for the guarantees.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

from .records import Delivery, DeliveryCounts, FailedAttempt
from .sqlite_connection import iso, serialised
from .sqlite_preferences import subscribers_from_rows

_MARK_SENT = (
    "UPDATE deliveries SET status = 'sent', sent_at = ?, attempts = attempts + 1, last_error = NULL,"
    " retry_at = NULL WHERE digest_id = ? AND subscriber_id = ? AND status = 'pending'"
)


def mark_all_sent(db: sqlite3.Connection, sent: Sequence[tuple[int, int]], now: dt.datetime) -> None:
    """Mark these (digest, subscriber) deliveries sent, inside the caller's transaction."""
    stamp = iso(now)
    db.executemany(_MARK_SENT, [(stamp, digest, subscriber) for digest, subscriber in sent])


class DeliveryRows:
    """The delivery methods of ``SqliteStore`` (which sets ``db`` and ``_lock``)."""

    db: sqlite3.Connection
    path: Path
    _lock: threading.RLock

    def transaction(self) -> contextlib.AbstractContextManager[None]:
        raise NotImplementedError  # SqliteStore's

    def pending_deliveries(
        self, digest_id: int, batch: int = 500, due_at: dt.datetime | None = None
    ) -> Iterator[Delivery]:
        after = 0
        due = iso(due_at) if due_at else None
        while True:
            with self._lock:
                rows = self.db.execute(
                    "SELECT d.attempts, d.troubles, d.uncertain, d.failing_since, d.rendering, s.*"
                    " FROM deliveries d"
                    " JOIN subscribers s ON s.id = d.subscriber_id"
                    " WHERE d.digest_id = ? AND d.status = 'pending' AND d.subscriber_id > ?"
                    " AND (? IS NULL OR d.retry_at IS NULL OR d.retry_at <= ?)"
                    " ORDER BY d.subscriber_id LIMIT ?",
                    (digest_id, after, due, due, batch),
                ).fetchall()
                people = subscribers_from_rows(self.db, rows)
            if not rows:
                return
            for row, subscriber in zip(rows, people, strict=True):
                since = row["failing_since"]
                yield Delivery(
                    digest_id,
                    subscriber,
                    int(row["attempts"]),
                    int(row["troubles"]),
                    int(row["uncertain"]),
                    dt.datetime.fromisoformat(since) if since else None,
                    row["rendering"],
                )
            after = rows[-1]["id"]

    @serialised
    def count_due(self, digest_id: int, due_at: dt.datetime) -> int:
        row = self.db.execute(
            "SELECT count(*) FROM deliveries WHERE digest_id = ? AND status = 'pending'"
            " AND (retry_at IS NULL OR retry_at <= ?)",
            (digest_id, iso(due_at)),
        ).fetchone()
        return int(row[0])

    @serialised
    def mark_sent(self, digest_id: int, subscriber_id: int, now: dt.datetime) -> None:
        self.db.execute(_MARK_SENT, (iso(now), digest_id, subscriber_id))

    @serialised
    def mark_sent_many(self, sent: Sequence[tuple[int, int]], now: dt.datetime) -> None:
        with self.transaction():
            mark_all_sent(self.db, sent, now)

    @serialised
    def mark_attempt_failed(
        self, digest_id: int, subscriber_id: int, error: str, *, final: bool, bounced: bool = False
    ) -> None:
        self.record_failure(digest_id, subscriber_id, FailedAttempt(error, final, bounced))

    @serialised
    def record_failure(
        self, digest_id: int, subscriber_id: int, attempt: FailedAttempt, now: dt.datetime | None = None
    ) -> None:
        status = "failed" if attempt.final or attempt.bounced else "pending"
        stamp = iso(now or dt.datetime.now(dt.UTC))
        with self.transaction():
            self.db.execute(
                "UPDATE deliveries SET status = ?, attempts = attempts + 1, last_error = ?,"
                " troubles = troubles + ?, uncertain = uncertain + ?,"
                " failing_since = CASE WHEN ? THEN failing_since ELSE coalesce(failing_since, ?) END,"
                " retry_at = ? WHERE digest_id = ? AND subscriber_id = ? AND status = 'pending'",
                (
                    status,
                    attempt.error[:500],
                    int(attempt.counted),
                    int(attempt.uncertain),
                    attempt.counted,
                    stamp,
                    iso(attempt.retry_at) if attempt.retry_at else None,
                    digest_id,
                    subscriber_id,
                ),
            )
            if attempt.bounced:
                self._bounce(subscriber_id, stamp)

    def _bounce(self, subscriber_id: int, stamp: str) -> None:
        self.db.execute(
            "UPDATE subscribers SET status = 'bounced', updated_at = ? WHERE id = ?", (stamp, subscriber_id)
        )
        # The address does not exist: other digests still queued for it must not be tried.
        self.db.execute(
            "UPDATE deliveries SET status = 'cancelled', last_error = 'subscriber bounced'"
            " WHERE subscriber_id = ? AND status = 'pending'",
            (subscriber_id,),
        )

    @serialised
    def note_pending_reason(self, digest_ids: Sequence[int], reason: str) -> None:
        self.db.executemany(
            "UPDATE deliveries SET last_error = ?"
            " WHERE digest_id = ? AND status = 'pending' AND last_error IS NULL",
            [(reason[:500], digest_id) for digest_id in digest_ids],
        )

    @serialised
    def requeue_failed(self, digest_id: int) -> int:
        # Not those whose message may have arrived already: each was sent twice at most, and
        # resending would only add copies.
        cursor = self.db.execute(
            "UPDATE deliveries SET status = 'pending', attempts = 0, troubles = 0, failing_since = NULL,"
            " retry_at = NULL WHERE digest_id = ? AND status = 'failed' AND uncertain = 0"
            " AND subscriber_id IN (SELECT id FROM subscribers WHERE status = 'active')",
            (digest_id,),
        )
        return cursor.rowcount

    @serialised
    def count_pending(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM deliveries WHERE status = 'pending'").fetchone()[0])

    @serialised
    def delivery_counts(self, digest_id: int) -> DeliveryCounts:
        rows = self.db.execute(
            "SELECT status, count(*) FROM deliveries WHERE digest_id = ? GROUP BY status", (digest_id,)
        )
        counts = {row[0]: row[1] for row in rows}
        [(uncertain,)] = self.db.execute(
            "SELECT count(*) FROM deliveries WHERE digest_id = ? AND uncertain > 0", (digest_id,)
        )
        return DeliveryCounts(**counts, uncertain=int(uncertain))

    @serialised
    def delivery_errors(self, digest_id: int, limit: int = 20) -> list[tuple[str, str, str]]:
        rows = self.db.execute(
            "SELECT s.email, d.status, d.last_error FROM deliveries d JOIN subscribers s"
            " ON s.id = d.subscriber_id WHERE d.digest_id = ? AND d.last_error IS NOT NULL"
            " AND d.status != 'sent' ORDER BY s.id LIMIT ?",
            (digest_id, limit),
        )
        return [(row[0], row[1], row[2]) for row in rows]

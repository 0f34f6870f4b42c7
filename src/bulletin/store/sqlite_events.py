"""The SQLite store's bounce and complaint events (issue 14): each stored once, read back per subscriber."""

from __future__ import annotations

import contextlib
import datetime as dt
import sqlite3
import threading
from pathlib import Path

from .records import EventCounts, StoredEvent
from .sqlite_connection import iso, serialised

# What each new status may replace: a bounce never overrides an unsubscription, and a
# complaint (never mail again) overrides everything but an unsubscription already made.
_REPLACES = {
    "bounced": ("active", "pending"),
    "unsubscribed": ("active", "pending", "bounced"),
}


def _event_from_row(row: sqlite3.Row) -> StoredEvent:
    return StoredEvent(
        kind=row["kind"],
        source=row["source"],
        key=row["key"],
        occurred_at=dt.datetime.fromisoformat(row["occurred_at"]),
        recorded_at=dt.datetime.fromisoformat(row["recorded_at"]),
        subscriber_id=row["subscriber_id"],
        digest_id=row["digest_id"],
        recipient=row["recipient"],
        code=row["code"],
        detail=row["detail"],
    )


class EventRows:
    """The event methods of ``SqliteStore`` (which sets ``db``, ``path`` and ``_lock``)."""

    db: sqlite3.Connection
    path: Path
    _lock: threading.RLock

    def transaction(self) -> contextlib.AbstractContextManager[None]:
        raise NotImplementedError  # SqliteStore's

    @serialised
    def record_delivery_event(self, event: StoredEvent, status: str | None = None) -> bool:
        with self.transaction():
            cursor = self.db.execute(
                "INSERT OR IGNORE INTO delivery_events (source, key, kind, subscriber_id, digest_id,"
                " recipient, code, occurred_at, recorded_at, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    event.source,
                    event.key,
                    event.kind,
                    event.subscriber_id,
                    event.digest_id,
                    event.recipient,
                    event.code,
                    iso(event.occurred_at),
                    iso(event.recorded_at),
                    event.detail[:2000],
                ),
            )
            if cursor.rowcount != 1:
                return False  # stored before: nothing changes a second time
            if status is not None and event.subscriber_id is not None:
                self._leave(event.subscriber_id, status, event)
        return True

    def _leave(self, subscriber_id: int, status: str, event: StoredEvent) -> None:
        """The subscriber leaves the list; what was still queued for them is cancelled."""
        allowed = _REPLACES[status]
        cursor = self.db.execute(
            f"UPDATE subscribers SET status = ?, updated_at = ? WHERE id = ?"
            f" AND status IN ({','.join('?' * len(allowed))})",
            (status, iso(event.recorded_at), subscriber_id, *allowed),
        )
        if cursor.rowcount:
            self.db.execute(
                "UPDATE deliveries SET status = 'cancelled', last_error = ?"
                " WHERE subscriber_id = ? AND status = 'pending'",
                (f"subscriber {status} ({event.kind.replace('_', ' ')})", subscriber_id),
            )

    @serialised
    def count_delivery_events(self, subscriber_id: int, kind: str, since: dt.datetime) -> int:
        row = self.db.execute(
            "SELECT count(*) FROM delivery_events WHERE subscriber_id = ? AND kind = ? AND occurred_at >= ?",
            (subscriber_id, kind, iso(since)),
        ).fetchone()
        return int(row[0])

    @serialised
    def delivery_events(self, subscriber_id: int, limit: int = 50) -> list[StoredEvent]:
        rows = self.db.execute(
            "SELECT * FROM delivery_events WHERE subscriber_id = ?"
            " ORDER BY occurred_at DESC, id DESC LIMIT ?",
            (subscriber_id, limit),
        )
        return [_event_from_row(row) for row in rows]

    @serialised
    def unmatched_delivery_events(self, limit: int = 50) -> list[StoredEvent]:
        rows = self.db.execute(
            "SELECT * FROM delivery_events WHERE subscriber_id IS NULL"
            " ORDER BY occurred_at DESC, id DESC LIMIT ?",
            (limit,),
        )
        return [_event_from_row(row) for row in rows]

    @serialised
    def event_counts(self, digest_id: int) -> EventCounts:
        # Subscribers, not events: three soft bounces about one message are one soft-bounced message.
        rows = self.db.execute(
            "SELECT kind, count(DISTINCT coalesce(subscriber_id, recipient, key)) FROM delivery_events"
            " WHERE digest_id = ? GROUP BY kind",
            (digest_id,),
        )
        counts = {row[0]: int(row[1]) for row in rows}
        return EventCounts(
            hard_bounces=counts.get("hard_bounce", 0),
            soft_bounces=counts.get("soft_bounce", 0),
            complaints=counts.get("complaint", 0),
        )

"""The PostgreSQL store's bounce and complaint events (issue 14): each stored once, read back per subscriber.

What ``sqlite_events`` does for SQLite, in PostgreSQL's SQL: an event is refused when its
(source, key) is stored already, and a bounce or complaint changes the subscriber's
status (cancelling what was still queued for them) in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from .pg_connection import Connections, reported, scalar
from .records import EventCounts, StoredEvent

# What each new status may replace: a bounce never overrides an unsubscription, and a
# complaint (never mail again) overrides everything but an unsubscription already made.
_REPLACES = {
    "bounced": ["active", "pending"],
    "unsubscribed": ["active", "pending", "bounced"],
}
_COLUMNS = "kind, source, key, occurred_at, recorded_at, subscriber_id, digest_id, recipient, code, detail"


def _event_from_row(row: Any) -> StoredEvent:
    return StoredEvent(
        row.kind,
        row.source,
        row.key,
        row.occurred_at,
        row.recorded_at,
        row.subscriber_id,
        row.digest_id,
        row.recipient,
        row.code,
        row.detail,
    )


class PgEvents:
    """The event methods of ``PostgresStore`` (which sets ``connections``)."""

    connections: Connections

    @reported
    def record_delivery_event(self, event: StoredEvent, status: str | None = None) -> bool:
        with self.connections.transaction() as db:
            cursor = db.execute(
                f"INSERT INTO delivery_events ({_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
                " ON CONFLICT (source, key) DO NOTHING",
                (
                    event.kind,
                    event.source,
                    event.key,
                    event.occurred_at,
                    event.recorded_at,
                    event.subscriber_id,
                    event.digest_id,
                    event.recipient,
                    event.code,
                    event.detail[:2000],
                ),
            )
            if cursor.rowcount != 1:
                return False  # stored before: nothing changes a second time
            if status is not None and event.subscriber_id is not None:
                _leave(db, event.subscriber_id, status, event)
        return True

    @reported
    def count_delivery_events(self, subscriber_id: int, kind: str, since: dt.datetime) -> int:
        with self.connections.transaction() as db:
            return int(
                scalar(
                    db,
                    "SELECT count(*) FROM delivery_events WHERE subscriber_id = %s AND kind = %s"
                    " AND occurred_at >= %s",
                    (subscriber_id, kind, since),
                )
            )

    @reported
    def delivery_events(self, subscriber_id: int, limit: int = 50) -> list[StoredEvent]:
        with self.connections.transaction() as db:
            rows = db.execute(
                f"SELECT {_COLUMNS} FROM delivery_events WHERE subscriber_id = %s"
                " ORDER BY occurred_at DESC, id DESC LIMIT %s",
                (subscriber_id, limit),
            ).fetchall()
        return [_event_from_row(row) for row in rows]

    @reported
    def unmatched_delivery_events(self, limit: int = 50) -> list[StoredEvent]:
        with self.connections.transaction() as db:
            rows = db.execute(
                f"SELECT {_COLUMNS} FROM delivery_events WHERE subscriber_id IS NULL"
                " ORDER BY occurred_at DESC, id DESC LIMIT %s",
                (limit,),
            ).fetchall()
        return [_event_from_row(row) for row in rows]

    @reported
    def event_counts(self, digest_id: int) -> EventCounts:
        # Subscribers, not events: three soft bounces about one message are one soft-bounced message.
        with self.connections.transaction() as db:
            rows = db.execute(
                "SELECT kind, count(DISTINCT coalesce(subscriber_id::text, recipient, key))"
                " FROM delivery_events WHERE digest_id = %s GROUP BY kind",
                (digest_id,),
            ).fetchall()
        counts = {row[0]: int(row[1]) for row in rows}
        return EventCounts(
            hard_bounces=counts.get("hard_bounce", 0),
            soft_bounces=counts.get("soft_bounce", 0),
            complaints=counts.get("complaint", 0),
        )


def _leave(db: Any, subscriber_id: int, status: str, event: StoredEvent) -> None:
    """The subscriber leaves the list; what was still queued for them is cancelled."""
    cursor = db.execute(
        "UPDATE subscribers SET status = %s, updated_at = %s WHERE id = %s AND status = ANY(%s)",
        (status, event.recorded_at, subscriber_id, _REPLACES[status]),
    )
    if cursor.rowcount:
        db.execute(
            "UPDATE deliveries SET status = 'cancelled', last_error = %s"
            " WHERE subscriber_id = %s AND status = 'pending'",
            (f"subscriber {status} ({event.kind.replace('_', ' ')})", subscriber_id),
        )

"""The SQLite store's record of subscriber statuses over time, kept by triggers.

Every status a subscriber takes is written by the database itself, on the insert and
on each update that changes it, so no write path (today's, or one added later) can
forget it. `bulletin report` draws subscribers by status over time from it.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
from collections.abc import Iterator

from .records import StatusChange


def create_history(db: sqlite3.Connection) -> None:
    """The history table, its triggers, and what can be told of the time before them.

    The triggers take the row's own created_at/updated_at, which every statement that
    sets a status also sets, so the history holds the time the store was given. A
    migration that rebuilds the subscribers table must create the triggers again.
    """
    db.execute(
        """CREATE TABLE subscriber_history (
            subscriber_id INTEGER NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
            status TEXT NOT NULL,
            changed_at TEXT NOT NULL
        )"""
    )
    db.execute("CREATE INDEX subscriber_history_by_subscriber ON subscriber_history (subscriber_id)")
    db.execute(
        "CREATE TRIGGER subscriber_history_insert AFTER INSERT ON subscribers BEGIN"
        " INSERT INTO subscriber_history VALUES (NEW.id, NEW.status, NEW.created_at); END"
    )
    db.execute(
        "CREATE TRIGGER subscriber_history_update AFTER UPDATE OF status ON subscribers"
        " WHEN NEW.status IS NOT OLD.status BEGIN"
        " INSERT INTO subscriber_history VALUES (NEW.id, NEW.status, NEW.updated_at); END"
    )
    # Before this migration only the first and the last moment are known: a subscriber
    # who left was active from created_at until updated_at; a pending one never was.
    db.execute(
        "INSERT INTO subscriber_history SELECT id,"
        " CASE WHEN status = 'pending' THEN 'pending' ELSE 'active' END, created_at FROM subscribers"
    )
    db.execute(
        "INSERT INTO subscriber_history SELECT id, status, updated_at FROM subscribers"
        " WHERE status IN ('unsubscribed', 'bounced')"
    )


class HistoryRows:
    """The history method of ``SqliteStore`` (which sets ``db`` and ``_lock``)."""

    db: sqlite3.Connection
    _lock: threading.RLock

    def status_changes(self, batch: int = 2000) -> Iterator[StatusChange]:
        after = 0
        while True:
            with self._lock:
                rows = self.db.execute(
                    "SELECT rowid, subscriber_id, status, changed_at FROM subscriber_history"
                    " WHERE rowid > ? ORDER BY rowid LIMIT ?",
                    (after, batch),
                ).fetchall()
            if not rows:
                return
            for row in rows:
                yield StatusChange(row[1], row[2], dt.datetime.fromisoformat(row[3]))
            after = rows[-1][0]

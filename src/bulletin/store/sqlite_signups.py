"""The SQLite store's sign-up path: pending rows, their confirmation slots and mail queue."""

from __future__ import annotations

import contextlib
import datetime as dt
import sqlite3
import threading
from pathlib import Path

from .records import Subscriber, Topic
from .sqlite_connection import iso, serialised
from .sqlite_preferences import subscribers_from_rows, write_topics_of_pending

# A new, unsubscribed or bounced address becomes 'pending'; an active or pending one stays.
_REQUEST_SUBSCRIPTION = (
    "INSERT INTO subscribers (email, name, status, created_at, updated_at)"
    " VALUES (?, ?, 'pending', ?, ?) ON CONFLICT (email) DO UPDATE SET"
    " status = 'pending', updated_at = excluded.updated_at WHERE status IN ('unsubscribed', 'bounced')"
)


class SignupRows:
    """The sign-up methods of ``SqliteStore`` (which sets ``db`` and ``_lock``)."""

    db: sqlite3.Connection
    path: Path
    _lock: threading.RLock

    def transaction(self) -> contextlib.AbstractContextManager[None]:
        raise NotImplementedError  # SqliteStore's

    def subscriber(self, *, email: str | None = None, id: int | None = None) -> Subscriber | None:
        raise NotImplementedError  # SqliteStore's

    def request_subscription(
        self,
        email: str,
        name: str | None,
        now: dt.datetime,
        *,
        language: str | None = None,
        topics: frozenset[Topic] = frozenset(),
    ) -> Subscriber:
        with self.transaction():
            self._request(email, name, iso(now), language, topics)
        subscriber = self.subscriber(email=email)
        assert subscriber is not None
        return subscriber

    def _request(
        self, email: str, name: str | None, stamp: str, language: str | None, topics: frozenset[Topic]
    ) -> None:
        """A sign-up's row: pending as _REQUEST_SUBSCRIPTION says, with the choices made on
        the form while it is pending (an active subscriber's stay as they are)."""
        self.db.execute(_REQUEST_SUBSCRIPTION, (email, name, stamp, stamp))
        self.db.execute(
            "UPDATE subscribers SET language = ? WHERE email = ? AND status = 'pending'", (language, email)
        )
        write_topics_of_pending(self.db, email, topics)

    @serialised
    def confirm_subscriber(self, subscriber_id: int) -> bool:
        # Only 'pending' may be confirmed: an old confirmation link must not bring
        # back someone who has since unsubscribed or bounced.
        cursor = self.db.execute(
            "UPDATE subscribers SET status = 'active', updated_at = ? WHERE id = ? AND status = 'pending'",
            (iso(dt.datetime.now(dt.UTC)), subscriber_id),
        )
        return cursor.rowcount == 1

    @serialised
    def claim_confirmation_slot(self, subscriber_id: int, now: dt.datetime, interval: dt.timedelta) -> bool:
        cursor = self.db.execute(
            "UPDATE subscribers SET confirm_sent_at = ? WHERE id = ?"
            " AND (confirm_sent_at IS NULL OR confirm_sent_at <= ?)",
            (iso(now), subscriber_id, iso(now - interval)),
        )
        return cursor.rowcount == 1

    def sign_up(
        self,
        email: str,
        name: str | None,
        now: dt.datetime,
        interval: dt.timedelta,
        *,
        language: str | None = None,
        topics: frozenset[Topic] = frozenset(),
    ) -> None:
        stamp = iso(now)
        with self.transaction():
            # The same statements for every address, whatever it finds.
            self._request(email, name, stamp, language, topics)
            self.db.execute(
                "UPDATE subscribers SET confirm_sent_at = ?, confirm_queued_at = ?"
                " WHERE email = ? AND status = 'pending'"
                " AND (confirm_sent_at IS NULL OR confirm_sent_at <= ?)",
                (stamp, stamp, email, iso(now - interval)),
            )

    @serialised
    def queued_confirmations(self, limit: int = 100) -> list[Subscriber]:
        rows = self.db.execute(
            "SELECT * FROM subscribers WHERE confirm_queued_at IS NOT NULL"
            " ORDER BY confirm_queued_at, id LIMIT ?",
            (limit,),
        ).fetchall()
        return subscribers_from_rows(self.db, rows)

    @serialised
    def confirmation_sent(self, subscriber_id: int) -> None:
        self.db.execute("UPDATE subscribers SET confirm_queued_at = NULL WHERE id = ?", (subscriber_id,))

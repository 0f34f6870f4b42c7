"""The SQLite store: the only module that speaks SQL.

Subscribers, digests, the posts each digest holds and one delivery row per
(digest, subscriber). The delivery row is the whole truth about a message: it is
committed as 'sent' the moment the server accepts the message, so a run killed at
any point resumes exactly where it stopped.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import StoreError, SubscriberError

SUBSCRIBER_STATUSES = ("pending", "active", "unsubscribed", "bounced")
DELIVERY_STATUSES = ("pending", "sent", "failed", "cancelled")

# Named migrations, applied in order and recorded in the `migrations` table.
MIGRATIONS: list[tuple[str, str]] = [
    (
        "0001_initial",
        """
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE subscribers (
            id INTEGER PRIMARY KEY,
            email TEXT NOT NULL UNIQUE,
            name TEXT,
            status TEXT NOT NULL CHECK (status IN ('pending','active','unsubscribed','bounced')),
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE TABLE digests (
            id INTEGER PRIMARY KEY,
            created_at TEXT NOT NULL,
            nonce TEXT NOT NULL,
            rendered TEXT NOT NULL
        );
        CREATE TABLE digest_posts (
            route TEXT PRIMARY KEY,
            digest_id INTEGER NOT NULL REFERENCES digests(id),
            title TEXT NOT NULL,
            url TEXT NOT NULL,
            published_at TEXT NOT NULL
        );
        CREATE TABLE deliveries (
            digest_id INTEGER NOT NULL REFERENCES digests(id),
            subscriber_id INTEGER NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
            status TEXT NOT NULL CHECK (status IN ('pending','sent','failed','cancelled')),
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            sent_at TEXT,
            PRIMARY KEY (digest_id, subscriber_id)
        ) WITHOUT ROWID;
        CREATE INDEX deliveries_pending ON deliveries (status, digest_id, subscriber_id);
        """,
    ),
    (
        "0002_confirmation",
        # When the last confirmation mail went to the address, to limit them.
        "ALTER TABLE subscribers ADD COLUMN confirm_sent_at TEXT;",
    ),
]


@dataclass(frozen=True)
class Subscriber:
    id: int
    email: str
    name: str | None
    status: str
    created_at: str


@dataclass(frozen=True)
class DigestRecord:
    number: int
    created_at: dt.datetime
    nonce: str
    rendered: dict[str, Any]  # subject/text/html variants with per-subscriber placeholders


@dataclass(frozen=True)
class DigestPost:
    route: str
    title: str
    url: str
    published_at: dt.datetime


@dataclass(frozen=True)
class Delivery:
    digest_id: int
    subscriber: Subscriber
    attempts: int


@dataclass(frozen=True)
class DeliveryCounts:
    pending: int = 0
    sent: int = 0
    failed: int = 0
    cancelled: int = 0


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds")


def _parse(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


class Store:
    """A connection to the store; use as a context manager or call close()."""

    def __init__(self, path: Path, *, create: bool = True) -> None:
        self.path = path
        if not create and not path.exists():
            raise StoreError(f"{path}: store does not exist yet")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # isolation_level=None: transactions are explicit (BEGIN IMMEDIATE), so
            # every single-row update below is its own committed transaction.
            # check_same_thread=False: the web app's worker thread may differ from the
            # one that opened it; requests still use it one at a time.
            self.db = sqlite3.connect(path, isolation_level=None, timeout=30, check_same_thread=False)
            self.db.row_factory = sqlite3.Row
            self.db.execute("PRAGMA journal_mode=WAL")
            # NORMAL in WAL mode survives a killed process (only a power cut can
            # lose the last commits), at a fraction of FULL's cost per commit.
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.execute("PRAGMA foreign_keys=ON")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{path}: cannot open store: {exc}") from None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.db.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """BEGIN IMMEDIATE ... COMMIT, rolled back on any error so the connection is
        never left inside a half-done transaction (the web app keeps one for its life)."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def _migrate(self) -> None:
        with self.transaction():
            self.db.execute(
                "CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)"
            )
            applied = {row[0] for row in self.db.execute("SELECT name FROM migrations")}
            now = _iso(dt.datetime.now(dt.UTC))
            for name, script in MIGRATIONS:
                if name in applied:
                    continue
                for statement in script.split(";"):
                    if statement.strip():
                        self.db.execute(statement)
                self.db.execute("INSERT INTO migrations VALUES (?, ?)", (name, now))
            self.db.execute("INSERT OR IGNORE INTO meta VALUES ('created_at', ?)", (now,))

    def meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return str(row[0]) if row else None

    def set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def created_at(self) -> dt.datetime:
        row = self.db.execute("SELECT value FROM meta WHERE key = 'created_at'").fetchone()
        return _parse(row[0])

    def integrity_check(self) -> str:
        return str(self.db.execute("PRAGMA integrity_check").fetchone()[0])

    # Subscribers -------------------------------------------------------------

    def add_subscriber(self, email: str, name: str | None, status: str = "active") -> bool:
        """Insert a subscriber; False when the address is already there (nothing changes)."""
        now = _iso(dt.datetime.now(dt.UTC))
        cursor = self.db.execute(
            "INSERT OR IGNORE INTO subscribers (email, name, status, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (email, name, status, now, now),
        )
        return cursor.rowcount == 1

    def subscriber(self, *, email: str | None = None, id: int | None = None) -> Subscriber | None:
        if email is not None:
            row = self.db.execute("SELECT * FROM subscribers WHERE email = ?", (email,)).fetchone()
        else:
            row = self.db.execute("SELECT * FROM subscribers WHERE id = ?", (id,)).fetchone()
        return _subscriber(row) if row else None

    def subscribers(self, status: str | None = None) -> Iterator[Subscriber]:
        if status is not None and status not in SUBSCRIBER_STATUSES:
            raise SubscriberError(f"unknown status {status!r}: use one of {', '.join(SUBSCRIBER_STATUSES)}")
        sql = "SELECT * FROM subscribers"
        params: tuple[Any, ...] = ()
        if status:
            sql += " WHERE status = ?"
            params = (status,)
        for row in self.db.execute(sql + " ORDER BY id", params):
            yield _subscriber(row)

    def count_subscribers(self, status: str = "active") -> int:
        return int(
            self.db.execute("SELECT count(*) FROM subscribers WHERE status = ?", (status,)).fetchone()[0]
        )

    def set_subscriber_status(self, subscriber_id: int, status: str) -> None:
        now = _iso(dt.datetime.now(dt.UTC))
        with self.transaction():
            self.db.execute(
                "UPDATE subscribers SET status = ?, updated_at = ? WHERE id = ?", (status, now, subscriber_id)
            )
            if status != "active":
                # Anything still queued for this subscriber must not go out.
                self.db.execute(
                    "UPDATE deliveries SET status = 'cancelled', last_error = ?"
                    " WHERE subscriber_id = ? AND status = 'pending'",
                    (f"subscriber {status}", subscriber_id),
                )

    def request_subscription(self, email: str, name: str | None, now: dt.datetime) -> Subscriber:
        """The subscriber for a web sign-up: 'pending' until confirmed.

        A new address is added as pending; one that unsubscribed or bounced becomes
        pending again, so only a fresh confirmation brings it back. An active or
        pending address stays as it is.
        """
        stamp = _iso(now)
        self.db.execute(
            "INSERT INTO subscribers (email, name, status, created_at, updated_at)"
            " VALUES (?, ?, 'pending', ?, ?) ON CONFLICT (email) DO UPDATE SET"
            " status = 'pending', updated_at = excluded.updated_at"
            " WHERE status IN ('unsubscribed', 'bounced')",
            (email, name, stamp, stamp),
        )
        subscriber = self.subscriber(email=email)
        assert subscriber is not None
        return subscriber

    def confirm_subscriber(self, subscriber_id: int) -> bool:
        """Activate a pending subscriber; False for any other status (nothing changes).

        Only 'pending' may be confirmed: an old confirmation link must not bring
        back someone who has since unsubscribed or bounced.
        """
        cursor = self.db.execute(
            "UPDATE subscribers SET status = 'active', updated_at = ? WHERE id = ? AND status = 'pending'",
            (_iso(dt.datetime.now(dt.UTC)), subscriber_id),
        )
        return cursor.rowcount == 1

    def claim_confirmation_slot(self, subscriber_id: int, now: dt.datetime, interval: dt.timedelta) -> bool:
        """True (and the time noted) when no confirmation mail went out within ``interval``."""
        cursor = self.db.execute(
            "UPDATE subscribers SET confirm_sent_at = ? WHERE id = ?"
            " AND (confirm_sent_at IS NULL OR confirm_sent_at <= ?)",
            (_iso(now), subscriber_id, _iso(now - interval)),
        )
        return cursor.rowcount == 1

    def remove_subscriber(self, email: str) -> bool:
        cursor = self.db.execute("DELETE FROM subscribers WHERE email = ?", (email,))
        return cursor.rowcount == 1

    # Digests -----------------------------------------------------------------

    def digested_routes(self) -> set[str]:
        return {row[0] for row in self.db.execute("SELECT route FROM digest_posts")}

    def create_digest(
        self,
        posts: Sequence[DigestPost],
        rendered: dict[str, Any],
        nonce: str,
        now: dt.datetime,
        meta: dict[str, str] | None = None,
    ) -> int | None:
        """Store a digest, its posts and a pending delivery per active subscriber, atomically.

        Returns the digest number, or None when another process stored one of these
        posts first (the caller then composes again from what is left).
        """
        with self.transaction():
            taken = self.db.execute(
                f"SELECT 1 FROM digest_posts WHERE route IN ({','.join('?' * len(posts))}) LIMIT 1",
                [post.route for post in posts],
            ).fetchone()
            if taken:
                return None  # the transaction ends with nothing written
            cursor = self.db.execute(
                "INSERT INTO digests (created_at, nonce, rendered) VALUES (?, ?, ?)",
                (_iso(now), nonce, json.dumps(rendered, ensure_ascii=False)),
            )
            number = int(cursor.lastrowid or 0)
            self.db.executemany(
                "INSERT INTO digest_posts VALUES (?, ?, ?, ?, ?)",
                [(p.route, number, p.title, p.url, _iso(p.published_at)) for p in posts],
            )
            self.db.execute(
                "INSERT INTO deliveries (digest_id, subscriber_id, status)"
                " SELECT ?, id, 'pending' FROM subscribers WHERE status = 'active'",
                (number,),
            )
            for key, value in (meta or {}).items():
                self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))
        return number

    def next_digest_number(self) -> int:
        row = self.db.execute("SELECT coalesce(max(id), 0) + 1 FROM digests").fetchone()
        return int(row[0])

    def digest(self, number: int) -> DigestRecord | None:
        row = self.db.execute("SELECT * FROM digests WHERE id = ?", (number,)).fetchone()
        return _digest(row) if row else None

    def digest_posts(self, number: int) -> list[DigestPost]:
        rows = self.db.execute(
            "SELECT * FROM digest_posts WHERE digest_id = ? ORDER BY published_at, route", (number,)
        )
        return [DigestPost(r["route"], r["title"], r["url"], _parse(r["published_at"])) for r in rows]

    def recent_digests(self, limit: int = 10) -> list[DigestRecord]:
        rows = self.db.execute("SELECT * FROM digests ORDER BY id DESC LIMIT ?", (limit,))
        return [_digest(row) for row in rows]

    def digests_with_pending(self) -> list[DigestRecord]:
        rows = self.db.execute(
            "SELECT * FROM digests WHERE id IN"
            " (SELECT DISTINCT digest_id FROM deliveries WHERE status = 'pending') ORDER BY id"
        )
        return [_digest(row) for row in rows]

    # Deliveries --------------------------------------------------------------

    def pending_deliveries(self, digest_id: int, batch: int = 500) -> Iterator[Delivery]:
        """Stream the pending deliveries of a digest in pages, so memory stays flat."""
        after = 0
        while True:
            rows = self.db.execute(
                "SELECT d.attempts, s.* FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id"
                " WHERE d.digest_id = ? AND d.status = 'pending' AND d.subscriber_id > ?"
                " ORDER BY d.subscriber_id LIMIT ?",
                (digest_id, after, batch),
            ).fetchall()
            if not rows:
                return
            for row in rows:
                yield Delivery(digest_id, _subscriber(row), int(row["attempts"]))
            after = rows[-1]["id"]

    def mark_sent(self, digest_id: int, subscriber_id: int, now: dt.datetime) -> None:
        self.db.execute(
            "UPDATE deliveries SET status = 'sent', sent_at = ?, attempts = attempts + 1, last_error = NULL"
            " WHERE digest_id = ? AND subscriber_id = ? AND status = 'pending'",
            (_iso(now), digest_id, subscriber_id),
        )

    def mark_attempt_failed(
        self, digest_id: int, subscriber_id: int, error: str, *, final: bool, bounced: bool = False
    ) -> None:
        """Record a failed attempt: still pending (to retry), or failed for good."""
        status = "failed" if final or bounced else "pending"
        with self.transaction():
            self.db.execute(
                "UPDATE deliveries SET status = ?, attempts = attempts + 1, last_error = ?"
                " WHERE digest_id = ? AND subscriber_id = ? AND status = 'pending'",
                (status, error[:500], digest_id, subscriber_id),
            )
            if bounced:
                self.db.execute(
                    "UPDATE subscribers SET status = 'bounced', updated_at = ? WHERE id = ?",
                    (_iso(dt.datetime.now(dt.UTC)), subscriber_id),
                )
                # The address does not exist: other digests still queued for it must not be tried.
                self.db.execute(
                    "UPDATE deliveries SET status = 'cancelled', last_error = 'subscriber bounced'"
                    " WHERE subscriber_id = ? AND status = 'pending'",
                    (subscriber_id,),
                )

    def note_pending_reason(self, digest_ids: Sequence[int], reason: str) -> None:
        """Write why deliveries are still pending where no attempt has said so yet."""
        self.db.executemany(
            "UPDATE deliveries SET last_error = ?"
            " WHERE digest_id = ? AND status = 'pending' AND last_error IS NULL",
            [(reason[:500], digest_id) for digest_id in digest_ids],
        )

    def requeue_failed(self, digest_id: int) -> int:
        """Make a digest's failed deliveries pending again, with fresh attempts (active subscribers only)."""
        cursor = self.db.execute(
            "UPDATE deliveries SET status = 'pending', attempts = 0"
            " WHERE digest_id = ? AND status = 'failed'"
            " AND subscriber_id IN (SELECT id FROM subscribers WHERE status = 'active')",
            (digest_id,),
        )
        return cursor.rowcount

    def count_pending(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM deliveries WHERE status = 'pending'").fetchone()[0])

    def delivery_counts(self, digest_id: int) -> DeliveryCounts:
        rows = self.db.execute(
            "SELECT status, count(*) FROM deliveries WHERE digest_id = ? GROUP BY status", (digest_id,)
        )
        return DeliveryCounts(**{row[0]: row[1] for row in rows})

    def delivery_errors(self, digest_id: int, limit: int = 20) -> list[tuple[str, str, str]]:
        rows = self.db.execute(
            "SELECT s.email, d.status, d.last_error FROM deliveries d JOIN subscribers s"
            " ON s.id = d.subscriber_id WHERE d.digest_id = ? AND d.last_error IS NOT NULL"
            " AND d.status != 'sent' ORDER BY s.id LIMIT ?",
            (digest_id, limit),
        )
        return [(row[0], row[1], row[2]) for row in rows]


def _subscriber(row: sqlite3.Row) -> Subscriber:
    return Subscriber(row["id"], row["email"], row["name"], row["status"], row["created_at"])


def _digest(row: sqlite3.Row) -> DigestRecord:
    return DigestRecord(row["id"], _parse(row["created_at"]), row["nonce"], json.loads(row["rendered"]))

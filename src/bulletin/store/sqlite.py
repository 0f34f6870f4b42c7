"""The SQLite store: the only module that speaks SQL.

Subscribers, digests, the posts each digest holds and one delivery row per
(digest, subscriber). The delivery row is the whole truth about a message: it is
committed as 'sent' in the batch after the server accepted it (noted at once in the
run's sent journal), so a run killed at any point resumes exactly where it stopped.
See ``base.Store`` for the guarantees.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

from ..errors import StoreError, SubscriberError
from ..limits import SlidingWindowLimiter
from .lock import RunLock
from .records import (
    SUBSCRIBER_STATUSES,
    DigestPost,
    DigestRecord,
    DigestRendering,
    DigestSplit,
    DigestSummary,
    NewSubscriber,
    RenderedDigest,
    Subscriber,
    Topic,
)
from .sqlite_backup import backup_database, check_database
from .sqlite_connection import connect, iso, serialised
from .sqlite_deliveries import DeliveryRows
from .sqlite_digest_index import summaries, write_index_row
from .sqlite_events import EventRows
from .sqlite_guard import RecordingGuard
from .sqlite_history import HistoryRows
from .sqlite_preferences import subscribers_from_rows, write_topics
from .sqlite_renderings import read_renderings, write_deliveries
from .sqlite_signups import SignupRows

# SQLite integers are signed 64-bit: a larger number can name no row.
_LARGEST_ID = 2**63 - 1


def _parse(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


class SqliteStore(DeliveryRows, EventRows, RecordingGuard, HistoryRows, SignupRows):
    """The store in one SQLite file; use as a context manager or call close()."""

    kind = "sqlite"

    def __init__(self, path: Path, *, create: bool = True) -> None:
        self.path = path
        self._lock = threading.RLock()
        self.db = connect(path, create=create)
        self._limits: dict[tuple[int, float], SlidingWindowLimiter] = {}

    @property
    def location(self) -> str:
        return str(self.path)

    def __enter__(self) -> SqliteStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @serialised
    def close(self) -> None:
        self.db.close()

    def run_lock(self) -> RunLock:
        """flock(2) on ``<store file>.lock``: the name every bulletin version has used, so an
        older run still holding it keeps a newer one out."""
        return RunLock(self.path.with_name(self.path.name + ".lock"))

    def compose_lock(self) -> contextlib.nullcontext[None]:
        return contextlib.nullcontext()  # the run lock already keeps every other run out

    def wait_for_other_senders(self, digest_ids: Sequence[int]) -> bool:
        return False  # the run lock let no other sender in

    def send_slot(self, interval: float) -> None:
        return None  # one run at a time: its own limiter is the whole budget

    @serialised
    def allow_event(self, key: str, limit: int, window: float) -> bool:
        # In this process's memory: a SQLite store has one web process.
        limiter = self._limits.setdefault((limit, window), SlidingWindowLimiter(limit, window))
        return limiter.allow(key)

    @serialised
    def ping(self) -> None:
        self.db.execute("SELECT 1").fetchone()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """BEGIN IMMEDIATE ... COMMIT, rolled back on any error so the connection is
        never left inside a half-done transaction (the web app keeps one for its life).
        Inside one already (this thread's: the lock is held for a transaction's whole
        length), the work joins it."""
        with self._lock:
            if self.db.in_transaction:
                yield
                return
            self.db.execute("BEGIN IMMEDIATE")
            try:
                yield
                self.db.execute("COMMIT")  # a full disk may refuse the commit itself
            except BaseException:
                if self.db.in_transaction:
                    self.db.execute("ROLLBACK")
                raise

    @serialised
    def meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return str(row[0]) if row else None

    @serialised
    def set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    @serialised
    def created_at(self) -> dt.datetime:
        row = self.db.execute("SELECT value FROM meta WHERE key = 'created_at'").fetchone()
        return _parse(row[0])

    @serialised
    def integrity_check(self) -> str:
        return str(self.db.execute("PRAGMA integrity_check").fetchone()[0])

    @serialised
    def check(self) -> list[str]:
        return check_database(self.db)

    @serialised
    def backup(self, target: Path, sent: Sequence[tuple[int, int]] = ()) -> None:
        backup_database(self.db, self.path, target, sent)

    # Subscribers -------------------------------------------------------------

    def add_subscriber(
        self,
        email: str,
        name: str | None,
        status: str = "active",
        *,
        language: str | None = None,
        topics: frozenset[Topic] = frozenset(),
    ) -> bool:
        with self.transaction():
            return self._insert(NewSubscriber(email, name, language, topics), status)

    def add_subscribers(self, people: Sequence[tuple[str, str | None] | NewSubscriber]) -> list[bool]:
        with self.transaction():
            return [self._insert(NewSubscriber(*person)) for person in people]

    def _insert(self, person: NewSubscriber, status: str = "active") -> bool:
        """Insert a subscriber with their topics, inside the caller's transaction."""
        now = iso(dt.datetime.now(dt.UTC))
        cursor = self.db.execute(
            "INSERT OR IGNORE INTO subscribers (email, name, status, created_at, updated_at, language)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (person.email, person.name, status, now, now, person.language),
        )
        added = cursor.rowcount == 1
        if added and person.topics:
            write_topics(self.db, int(cursor.lastrowid or 0), person.topics)
        return added

    @serialised
    def subscriber(self, *, email: str | None = None, id: int | None = None) -> Subscriber | None:
        if email is not None:
            row = self.db.execute("SELECT * FROM subscribers WHERE email = ?", (email,)).fetchone()
        else:
            row = self.db.execute("SELECT * FROM subscribers WHERE id = ?", (id,)).fetchone()
        return subscribers_from_rows(self.db, [row])[0] if row else None

    def set_subscriber_preferences(
        self, subscriber_id: int, language: str | None, topics: frozenset[Topic]
    ) -> None:
        with self.transaction():
            self.db.execute(
                "UPDATE subscribers SET language = ?, updated_at = ? WHERE id = ?",
                (language, iso(dt.datetime.now(dt.UTC)), subscriber_id),
            )
            write_topics(self.db, subscriber_id, topics)

    def subscribers(self, status: str | None = None, batch: int = 500) -> Iterator[Subscriber]:
        if status is not None and status not in SUBSCRIBER_STATUSES:
            raise SubscriberError(f"unknown status {status!r}: use one of {', '.join(SUBSCRIBER_STATUSES)}")
        # Pages by id, each read holding the lock, so no cursor stays open between calls.
        where = "id > ?" + (" AND status = ?" if status else "")
        after = 0
        while True:
            with self._lock:
                rows = self.db.execute(
                    f"SELECT * FROM subscribers WHERE {where} ORDER BY id LIMIT ?",
                    (after, status, batch) if status else (after, batch),
                ).fetchall()
                people = subscribers_from_rows(self.db, rows)
            if not rows:
                return
            yield from people
            after = rows[-1]["id"]

    @serialised
    def count_subscribers(self, status: str = "active") -> int:
        return int(
            self.db.execute("SELECT count(*) FROM subscribers WHERE status = ?", (status,)).fetchone()[0]
        )

    @serialised
    def set_subscriber_status(self, subscriber_id: int, status: str) -> None:
        now = iso(dt.datetime.now(dt.UTC))
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

    @serialised
    def remove_subscriber(self, email: str) -> bool:
        cursor = self.db.execute("DELETE FROM subscribers WHERE email = ?", (email,))
        return cursor.rowcount == 1

    # Digests -----------------------------------------------------------------

    @serialised
    def digested_routes(self) -> set[str]:
        return {row[0] for row in self.db.execute("SELECT route FROM digest_posts")}

    @serialised
    def create_digest(
        self,
        posts: Sequence[DigestPost],
        rendered: RenderedDigest,
        nonce: str,
        now: dt.datetime,
        meta: dict[str, str] | None = None,
        split: DigestSplit | None = None,
    ) -> int | None:
        with self.transaction():
            taken = self.db.execute(
                f"SELECT 1 FROM digest_posts WHERE route IN ({','.join('?' * len(posts))}) LIMIT 1",
                [post.route for post in posts],
            ).fetchone()
            if taken:
                return None  # the transaction ends with nothing written
            cursor = self.db.execute(
                "INSERT INTO digests (created_at, nonce, rendered) VALUES (?, ?, ?)",
                (iso(now), nonce, json.dumps(rendered.as_json(), ensure_ascii=False)),
            )
            number = int(cursor.lastrowid or 0)
            write_index_row(self.db, number, iso(now), posts)
            self.db.executemany(
                "INSERT INTO digest_posts (route, digest_id, title, url, published_at, language)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                [(p.route, number, p.title, p.url, iso(p.published_at), p.language) for p in posts],
            )
            write_deliveries(self.db, number, split)
            for key, value in (meta or {}).items():
                self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))
        return number

    @serialised
    def next_digest_number(self) -> int:
        row = self.db.execute("SELECT coalesce(max(id), 0) + 1 FROM digests").fetchone()
        return int(row[0])

    @serialised
    def digest(self, number: int) -> DigestRecord | None:
        if not -_LARGEST_ID <= number <= _LARGEST_ID:
            return None  # SQLite would refuse to compare it at all
        row = self.db.execute("SELECT * FROM digests WHERE id = ?", (number,)).fetchone()
        return self._digest(row) if row else None

    @serialised
    def digest_posts(self, number: int) -> list[DigestPost]:
        rows = self.db.execute(
            "SELECT * FROM digest_posts WHERE digest_id = ? ORDER BY published_at, route", (number,)
        )
        return [
            DigestPost(r["route"], r["title"], r["url"], _parse(r["published_at"]), r["language"])
            for r in rows
        ]

    @serialised
    def digest_renderings(self, number: int) -> list[DigestRendering]:
        return read_renderings(self.db, number, self.location)

    @serialised
    def recent_digests(self, limit: int = 10) -> list[DigestRecord]:
        rows = self.db.execute("SELECT * FROM digests ORDER BY id DESC LIMIT ?", (limit,))
        return [self._digest(row) for row in rows]

    @serialised
    def digests_with_pending(self) -> list[DigestRecord]:
        rows = self.db.execute(
            "SELECT * FROM digests WHERE id IN"
            " (SELECT DISTINCT digest_id FROM deliveries WHERE status = 'pending') ORDER BY id"
        )
        return [self._digest(row) for row in rows]

    @serialised
    def digest_count(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM digest_index").fetchone()[0])

    @serialised
    def digest_summaries(self, limit: int, offset: int = 0) -> list[DigestSummary]:
        return summaries(self.db, limit, offset)

    def _digest(self, row: sqlite3.Row) -> DigestRecord:
        try:
            rendered = RenderedDigest.from_json(json.loads(row["rendered"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise StoreError(f"{self.path}: digest {row['id']} is damaged: {exc!r}") from None
        return DigestRecord(row["id"], _parse(row["created_at"]), row["nonce"], rendered)

"""The PostgreSQL store: what ``sqlite.py`` keeps in a file, on a server several processes share.

Subscribers, digests and their posts here; deliveries (with the leases several
senders claim them under) in ``pg_deliveries``; the locks, the shared rate budget and
the sign-up limits in ``pg_sharing``. See ``base.Store`` for the guarantees.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from ..errors import StoreError, SubscriberError
from .pg_connection import Connections, connect, reported, scalar, server_conninfo
from .pg_deliveries import PgDeliveries, subscriber_from_row
from .pg_migrations import migrate
from .pg_sharing import PgSharing
from .records import (
    SUBSCRIBER_STATUSES,
    DigestPost,
    DigestRecord,
    DigestSummary,
    PostLink,
    RenderedDigest,
    Subscriber,
)

_LARGEST_ID = 2**63 - 1  # bigint
_SUBSCRIBER_COLUMNS = "id, email, name, status, created_at, token_nonce"
# A new, unsubscribed or bounced address becomes 'pending'; an active or pending one stays.
_REQUEST_SUBSCRIPTION = (
    "INSERT INTO subscribers AS s (email, name, status, created_at, updated_at)"
    " VALUES (%(email)s, %(name)s, 'pending', %(now)s, %(now)s) ON CONFLICT (email) DO UPDATE SET"
    " status = 'pending', updated_at = excluded.updated_at WHERE s.status IN ('unsubscribed', 'bounced')"
)


class PostgresStore(PgDeliveries, PgSharing):
    """The store in a PostgreSQL database; use as a context manager or call close()."""

    kind = "postgresql"

    def __init__(self, url: str, password_env: str | None = None, *, lease: float = 120.0) -> None:
        self.url = url
        self.lease = lease
        conninfo = server_conninfo(url, password_env)
        with connect(conninfo, url, autocommit=True) as conn:
            try:
                migrate(conn, dt.datetime.now(dt.UTC))
            except Exception as exc:
                raise StoreError(f"{url}: cannot open store: {str(exc).strip()}") from None
        self.connections = Connections(conninfo, url)
        self.connections.open()
        self._confirmations_held = set()

    @property
    def location(self) -> str:
        return self.url

    def __enter__(self) -> PostgresStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.release_confirmations()
        self.connections.close()

    @reported
    def ping(self) -> None:
        with self.connections.transaction() as db:
            db.execute("SELECT 1").fetchone()

    def free_space(self) -> int | None:
        return None  # the server's disk is the server's to watch

    @reported
    def check(self) -> list[str]:
        """Rows naming rows that are not there (the constraints make it empty unless disabled)."""
        with self.connections.transaction() as db:
            orphans = scalar(
                db,
                "SELECT count(*) FROM deliveries d WHERE NOT EXISTS"
                " (SELECT 1 FROM subscribers s WHERE s.id = d.subscriber_id)",
            )
            unindexed = scalar(
                db,
                "SELECT count(*) FROM digests g WHERE NOT EXISTS"
                " (SELECT 1 FROM digest_index i WHERE i.digest_id = g.id)",
            )
        problems = [f"{orphans} deliveries name missing subscribers"] if orphans else []
        return problems + ([f"{unindexed} digests missing from the archive index"] if unindexed else [])

    def backup(self, target: Path) -> None:
        # A server database is backed up with the server's tools, which keep it consistent
        # while senders write; a file copy from here would be neither complete nor restorable.
        raise StoreError(
            f"{self.location}: back up a PostgreSQL store with pg_dump (or the server's own backups),"
            " not bulletin store backup"
        )

    # Store-wide values ---------------------------------------------------------

    @reported
    def meta(self, key: str) -> str | None:
        with self.connections.transaction() as db:
            row = db.execute("SELECT value FROM meta WHERE key = %s", (key,)).fetchone()
        return str(row.value) if row else None

    @reported
    def set_meta(self, key: str, value: str) -> None:
        with self.connections.transaction() as db:
            _set_meta(db, key, value)

    def created_at(self) -> dt.datetime:
        value = self.meta("created_at")
        assert value is not None  # written with the schema
        return dt.datetime.fromisoformat(value)

    # Subscribers -------------------------------------------------------------

    @reported
    def add_subscriber(self, email: str, name: str | None, status: str = "active") -> bool:
        with self.connections.transaction() as db:
            cursor = db.execute(
                "INSERT INTO subscribers (email, name, status, created_at, updated_at)"
                " VALUES (%s, %s, %s, now(), now()) ON CONFLICT (email) DO NOTHING",
                (email, name, status),
            )
            return cursor.rowcount == 1

    @reported
    def add_subscribers(self, people: Sequence[tuple[str, str | None]]) -> list[bool]:
        with self.connections.transaction():
            return [self.add_subscriber(email, name) for email, name in people]

    @reported
    def subscriber(self, *, email: str | None = None, id: int | None = None) -> Subscriber | None:
        if id is not None and not -_LARGEST_ID <= id <= _LARGEST_ID:
            return None
        column, value = ("email", email) if email is not None else ("id", id)
        with self.connections.transaction() as db:
            row = db.execute(
                f"SELECT {_SUBSCRIBER_COLUMNS} FROM subscribers WHERE {column} = %s", (value,)
            ).fetchone()
        return subscriber_from_row(row) if row else None

    def subscribers(self, status: str | None = None, batch: int = 500) -> Iterator[Subscriber]:
        if status is not None and status not in SUBSCRIBER_STATUSES:
            raise SubscriberError(f"unknown status {status!r}: use one of {', '.join(SUBSCRIBER_STATUSES)}")
        after = 0
        while True:
            rows = self._subscriber_page(status, after, batch)
            if not rows:
                return
            yield from (subscriber_from_row(row) for row in rows)
            after = rows[-1].id

    @reported
    def _subscriber_page(self, status: str | None, after: int, batch: int) -> list[Any]:
        with self.connections.transaction() as db:
            return db.execute(
                f"SELECT {_SUBSCRIBER_COLUMNS} FROM subscribers WHERE id > %s"
                " AND (%s::text IS NULL OR status = %s) ORDER BY id LIMIT %s",
                (after, status, status, batch),
            ).fetchall()

    @reported
    def count_subscribers(self, status: str = "active") -> int:
        with self.connections.transaction() as db:
            return int(scalar(db, "SELECT count(*) FROM subscribers WHERE status = %s", (status,)))

    @reported
    def set_subscriber_status(self, subscriber_id: int, status: str) -> None:
        with self.connections.transaction() as db:
            db.execute(
                "UPDATE subscribers SET status = %s, updated_at = now() WHERE id = %s",
                (status, subscriber_id),
            )
            if status != "active":
                # Anything still queued for this subscriber must not go out.
                db.execute(
                    "UPDATE deliveries SET status = 'cancelled', last_error = %s"
                    " WHERE subscriber_id = %s AND status = 'pending'",
                    (f"subscriber {status}", subscriber_id),
                )

    @reported
    def request_subscription(self, email: str, name: str | None, now: dt.datetime) -> Subscriber:
        with self.connections.transaction() as db:
            db.execute(_REQUEST_SUBSCRIPTION, {"email": email, "name": name, "now": now})
        subscriber = self.subscriber(email=email)
        assert subscriber is not None
        return subscriber

    @reported
    def confirm_subscriber(self, subscriber_id: int) -> bool:
        # Only 'pending' may be confirmed: an old link must not bring back someone who left.
        with self.connections.transaction() as db:
            cursor = db.execute(
                "UPDATE subscribers SET status = 'active', updated_at = now()"
                " WHERE id = %s AND status = 'pending'",
                (subscriber_id,),
            )
            return cursor.rowcount == 1

    @reported
    def claim_confirmation_slot(self, subscriber_id: int, now: dt.datetime, interval: dt.timedelta) -> bool:
        with self.connections.transaction() as db:
            cursor = db.execute(
                "UPDATE subscribers SET confirm_sent_at = %s WHERE id = %s"
                " AND (confirm_sent_at IS NULL OR confirm_sent_at <= %s)",
                (now, subscriber_id, now - interval),
            )
            return cursor.rowcount == 1

    @reported
    def sign_up(self, email: str, name: str | None, now: dt.datetime, interval: dt.timedelta) -> None:
        with self.connections.transaction() as db:
            # The same two statements for every address, whatever it finds.
            db.execute(_REQUEST_SUBSCRIPTION, {"email": email, "name": name, "now": now})
            db.execute(
                "UPDATE subscribers SET confirm_sent_at = %(now)s, confirm_queued_at = %(now)s"
                " WHERE email = %(email)s AND status = 'pending'"
                " AND (confirm_sent_at IS NULL OR confirm_sent_at <= %(since)s)",
                {"now": now, "email": email, "since": now - interval},
            )

    @reported
    def remove_subscriber(self, email: str) -> bool:
        with self.connections.transaction() as db:
            return db.execute("DELETE FROM subscribers WHERE email = %s", (email,)).rowcount == 1

    # Digests -----------------------------------------------------------------

    @reported
    def digested_routes(self) -> set[str]:
        with self.connections.transaction() as db:
            return {row.route for row in db.execute("SELECT route FROM digest_posts")}

    @reported
    def create_digest(
        self,
        posts: Sequence[DigestPost],
        rendered: RenderedDigest,
        nonce: str,
        now: dt.datetime,
        meta: dict[str, str] | None = None,
    ) -> int | None:
        with self.connections.transaction() as db:
            # One digest is made at a time (the lock ends with the transaction), so the number
            # each takes is the one next_digest_number gave, and a post goes into one only.
            db.execute("LOCK TABLE digests IN EXCLUSIVE MODE")
            routes = [post.route for post in posts]
            if db.execute("SELECT 1 FROM digest_posts WHERE route = ANY(%s) LIMIT 1", (routes,)).fetchone():
                return None
            number = int(scalar(db, "SELECT coalesce(max(id), 0) + 1 FROM digests"))
            db.execute(
                "INSERT INTO digests (id, created_at, nonce, rendered) VALUES (%s, %s, %s, %s)",
                (number, now, nonce, json.dumps(rendered.as_json(), ensure_ascii=False)),
            )
            ordered = sorted(posts, key=lambda post: (post.published_at, post.route))  # as digest_posts gives
            links = json.dumps([(post.title, post.url) for post in ordered], ensure_ascii=False)
            db.execute("INSERT INTO digest_index VALUES (%s, %s, %s)", (number, now, links))
            with db.cursor() as cursor:
                cursor.executemany(
                    "INSERT INTO digest_posts VALUES (%s, %s, %s, %s, %s)",
                    [(p.route, number, p.title, p.url, p.published_at) for p in posts],
                )
            db.execute(
                "INSERT INTO deliveries (digest_id, subscriber_id, status)"
                " SELECT %s, id, 'pending' FROM subscribers WHERE status = 'active'",
                (number,),
            )
            for key, value in (meta or {}).items():
                _set_meta(db, key, value)
        return number

    @reported
    def next_digest_number(self) -> int:
        with self.connections.transaction() as db:
            return int(scalar(db, "SELECT coalesce(max(id), 0) + 1 FROM digests"))

    @reported
    def digest(self, number: int) -> DigestRecord | None:
        if not -_LARGEST_ID <= number <= _LARGEST_ID:
            return None
        with self.connections.transaction() as db:
            row = db.execute("SELECT * FROM digests WHERE id = %s", (number,)).fetchone()
        return self._digest(row) if row else None

    @reported
    def digest_posts(self, number: int) -> list[DigestPost]:
        with self.connections.transaction() as db:
            rows = db.execute(
                "SELECT * FROM digest_posts WHERE digest_id = %s ORDER BY published_at, route", (number,)
            ).fetchall()
        return [DigestPost(r.route, r.title, r.url, r.published_at) for r in rows]

    @reported
    def recent_digests(self, limit: int = 10) -> list[DigestRecord]:
        with self.connections.transaction() as db:
            rows = db.execute("SELECT * FROM digests ORDER BY id DESC LIMIT %s", (limit,)).fetchall()
        return [self._digest(row) for row in rows]

    @reported
    def digests_with_pending(self) -> list[DigestRecord]:
        with self.connections.transaction() as db:
            rows = db.execute(
                "SELECT * FROM digests WHERE id IN"
                " (SELECT DISTINCT digest_id FROM deliveries WHERE status = 'pending') ORDER BY id"
            ).fetchall()
        return [self._digest(row) for row in rows]

    @reported
    def digest_count(self) -> int:
        with self.connections.transaction() as db:
            return int(scalar(db, "SELECT count(*) FROM digest_index"))

    @reported
    def digest_summaries(self, limit: int, offset: int = 0) -> list[DigestSummary]:
        with self.connections.transaction() as db:
            rows = db.execute(
                "SELECT digest_id, created_at, posts FROM digest_index ORDER BY digest_id DESC"
                " LIMIT %s OFFSET %s",
                (limit, offset),
            ).fetchall()
        return [DigestSummary(row.digest_id, row.created_at, _links(row.posts)) for row in rows]

    def _digest(self, row: Any) -> DigestRecord:
        try:
            rendered = RenderedDigest.from_json(json.loads(row.rendered))
        except (ValueError, KeyError, TypeError) as exc:
            raise StoreError(f"{self.location}: digest {row.id} is damaged: {exc!r}") from None
        return DigestRecord(row.id, row.created_at, row.nonce, rendered)


def _set_meta(db: Any, key: str, value: str) -> None:
    db.execute(
        "INSERT INTO meta VALUES (%s, %s) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (key, value),
    )


def _links(posts: str) -> tuple[PostLink, ...]:
    try:
        return tuple(PostLink(str(title), str(url)) for title, url in json.loads(posts))
    except (ValueError, TypeError):
        # A damaged row costs its titles, not the index page: the digest is still listed.
        return ()

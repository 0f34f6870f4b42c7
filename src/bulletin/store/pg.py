"""The PostgreSQL store: what ``sqlite.py`` keeps in a file, on a server several processes share.

Subscribers, digests and their posts here; deliveries (with the leases several
senders claim them under) in ``pg_deliveries``; the locks, the shared rate budget and
the sign-up limits in ``pg_sharing``. See ``base.Store`` for the guarantees.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..errors import StoreError
from .pg_connection import Connections, connect, reported, scalar, server_conninfo
from .pg_deliveries import PgDeliveries
from .pg_events import PgEvents
from .pg_history import PgHistory
from .pg_migrations import migrate
from .pg_renderings import read_renderings, write_deliveries
from .pg_sharing import PgSharing
from .pg_subscribers import LARGEST_ID, PgSubscribers
from .records import (
    DigestPost,
    DigestRecord,
    DigestRendering,
    DigestSplit,
    DigestSummary,
    PostLink,
    RenderedDigest,
)


class PostgresStore(PgSubscribers, PgDeliveries, PgEvents, PgHistory, PgSharing):
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

    def backup(self, target: Path, sent: Sequence[tuple[int, int]] = ()) -> None:
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
        split: DigestSplit | None = None,
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
            links = json.dumps([index_link(post) for post in ordered], ensure_ascii=False)
            db.execute("INSERT INTO digest_index VALUES (%s, %s, %s)", (number, now, links))
            with db.cursor() as cursor:
                cursor.executemany(
                    "INSERT INTO digest_posts (route, digest_id, title, url, published_at, language)"
                    " VALUES (%s, %s, %s, %s, %s, %s)",
                    [(p.route, number, p.title, p.url, p.published_at, p.language) for p in posts],
                )
            write_deliveries(db, number, split)
            for key, value in (meta or {}).items():
                _set_meta(db, key, value)
        return number

    @reported
    def next_digest_number(self) -> int:
        with self.connections.transaction() as db:
            return int(scalar(db, "SELECT coalesce(max(id), 0) + 1 FROM digests"))

    @reported
    def digest(self, number: int) -> DigestRecord | None:
        if not -LARGEST_ID <= number <= LARGEST_ID:
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
        return [DigestPost(r.route, r.title, r.url, r.published_at, r.language) for r in rows]

    @reported
    def digest_renderings(self, number: int) -> list[DigestRendering]:
        with self.connections.transaction() as db:
            return read_renderings(db, number, self.location)

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


def index_link(post: DigestPost) -> list[str]:
    """[title, url], and the language on a multi-language site: what the index shows of a post
    (the shape SQLite's digest_index keeps, so a copied store reads the same)."""
    return [post.title, post.url] if post.language is None else [post.title, post.url, post.language]


def _links(posts: str) -> tuple[PostLink, ...]:
    try:
        return tuple(
            PostLink(str(title), str(url), str(language[0]) if language else None)
            for title, url, *language in json.loads(posts)
        )
    except (ValueError, TypeError):
        # A damaged row costs its titles, not the index page: the digest is still listed.
        return ()

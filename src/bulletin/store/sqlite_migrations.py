"""The SQLite store's schema, as named migrations applied in order.

Every statement is its own ``execute`` call: no script is split on ';', which
would break on a trigger body or a string holding one. The names are recorded in
the ``migrations`` table; stores created before migrations were functions carry
the same names, so they open with nothing applied again.
"""

from __future__ import annotations

import datetime as dt
import sqlite3

from .migrations import Migration, Migrations
from .sqlite_digest_index import fill_index
from .sqlite_history import create_history

MIGRATIONS: Migrations[sqlite3.Connection] = Migrations()


@MIGRATIONS.register("0001_initial")
def initial(db: sqlite3.Connection) -> None:
    db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    db.execute(
        """CREATE TABLE subscribers (
            id INTEGER PRIMARY KEY,
            email TEXT NOT NULL UNIQUE,
            name TEXT,
            status TEXT NOT NULL CHECK (status IN ('pending','active','unsubscribed','bounced')),
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )"""
    )
    db.execute(
        """CREATE TABLE digests (
            id INTEGER PRIMARY KEY,
            created_at TEXT NOT NULL,
            nonce TEXT NOT NULL,
            rendered TEXT NOT NULL
        )"""
    )
    db.execute(
        """CREATE TABLE digest_posts (
            route TEXT PRIMARY KEY,
            digest_id INTEGER NOT NULL REFERENCES digests(id),
            title TEXT NOT NULL,
            url TEXT NOT NULL,
            published_at TEXT NOT NULL
        )"""
    )
    db.execute(
        """CREATE TABLE deliveries (
            digest_id INTEGER NOT NULL REFERENCES digests(id),
            subscriber_id INTEGER NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
            status TEXT NOT NULL CHECK (status IN ('pending','sent','failed','cancelled')),
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            sent_at TEXT,
            PRIMARY KEY (digest_id, subscriber_id)
        ) WITHOUT ROWID"""
    )
    db.execute("CREATE INDEX deliveries_pending ON deliveries (status, digest_id, subscriber_id)")


@MIGRATIONS.register("0002_confirmation")
def confirmation_sent_at(db: sqlite3.Connection) -> None:
    # When the last confirmation mail went to the address, to limit them.
    db.execute("ALTER TABLE subscribers ADD COLUMN confirm_sent_at TEXT")


@MIGRATIONS.register("0003_retry_window")
def retry_window(db: sqlite3.Connection) -> None:
    # Connection failures that count toward smtp.max_attempts (attempts counts every try).
    # Rows from before were all counted so.
    db.execute("ALTER TABLE deliveries ADD COLUMN troubles INTEGER NOT NULL DEFAULT 0")
    db.execute("UPDATE deliveries SET troubles = attempts")
    # Times the server hung up or fell silent after the whole message: it may have arrived.
    db.execute("ALTER TABLE deliveries ADD COLUMN uncertain INTEGER NOT NULL DEFAULT 0")
    # The first of an unbroken run of 4xx replies (smtp.give_up_after counts from it), and
    # the moment before which the next run leaves the delivery alone (backoff between runs).
    db.execute("ALTER TABLE deliveries ADD COLUMN failing_since TEXT")
    db.execute("ALTER TABLE deliveries ADD COLUMN retry_at TEXT")


@MIGRATIONS.register("0004_subscriber_nonces")
def subscriber_ids_never_reused(db: sqlite3.Connection) -> None:
    """AUTOINCREMENT, so a removed subscriber's id is never handed out again, and a random
    nonce per row that tokens are bound to (issue 16: an old confirm link must never
    activate whoever is created next).

    SQLite adds AUTOINCREMENT only by rebuilding the table (its documented recipe:
    create, copy, drop, rename; ``migrate`` keeps foreign keys off meanwhile, so the
    drop cascades nothing, and checks them before the commit). Every row keeps its
    id, so every delivery still names its subscriber. Existing rows get no nonce
    (NULL): a nonce now would kill every unsubscribe link already mailed; their links
    keep the first form, which only a NULL-nonce row accepts, and since ids are never
    reused from here on, such a link can only ever reach the row it was made for.
    """
    db.execute(
        """CREATE TABLE subscribers_rebuilt (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            email TEXT NOT NULL UNIQUE,
            name TEXT,
            status TEXT NOT NULL CHECK (status IN ('pending','active','unsubscribed','bounced')),
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            confirm_sent_at TEXT,
            token_nonce TEXT DEFAULT (lower(hex(randomblob(12))))
        )"""
    )
    db.execute(
        "INSERT INTO subscribers_rebuilt"
        " (id, email, name, status, created_at, updated_at, confirm_sent_at, token_nonce)"
        " SELECT id, email, name, status, created_at, updated_at, confirm_sent_at, NULL FROM subscribers"
    )
    db.execute("DROP TABLE subscribers")
    db.execute("ALTER TABLE subscribers_rebuilt RENAME TO subscribers")


@MIGRATIONS.register("0005_confirmation_queue")
def confirmation_queue(db: sqlite3.Connection) -> None:
    # When a sign-up queued a confirmation mail not sent yet: `bulletin serve` sends
    # them from a worker of its own, never in the gap after the sign-up's response.
    db.execute("ALTER TABLE subscribers ADD COLUMN confirm_queued_at TEXT")
    db.execute(
        "CREATE INDEX subscribers_confirm_queue ON subscribers (confirm_queued_at)"
        " WHERE confirm_queued_at IS NOT NULL"
    )


@MIGRATIONS.register("0006_digest_index")
def digest_index(db: sqlite3.Connection) -> None:
    # What the archive index shows of each digest, so it never reads whole renderings.
    db.execute(
        """CREATE TABLE digest_index (
            digest_id INTEGER PRIMARY KEY REFERENCES digests(id),
            created_at TEXT NOT NULL,
            posts TEXT NOT NULL
        )"""
    )
    fill_index(db)


@MIGRATIONS.register("0007_languages_topics")
def languages_and_topics(db: sqlite3.Connection) -> None:
    """Each subscriber's language and topics, and a digest rendered once per distinct subset.

    Everyone already there keeps the site's default language (NULL: read as the default
    when a digest is made) and no topics (every post). A delivery names the rendering its
    message is made from (NULL: the digest's main one, as every delivery before); the
    deliveries table is rebuilt (SQLite's recipe, as 0004) only because its CHECK must
    also take 'empty': a digest that held nothing for the subscriber.
    """
    db.execute("ALTER TABLE subscribers ADD COLUMN language TEXT")
    db.execute(
        """CREATE TABLE subscriber_topics (
            subscriber_id INTEGER NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
            taxonomy TEXT NOT NULL,
            term TEXT NOT NULL,
            PRIMARY KEY (subscriber_id, taxonomy, term)
        ) WITHOUT ROWID"""
    )
    db.execute("ALTER TABLE digest_posts ADD COLUMN language TEXT")
    db.execute(
        """CREATE TABLE digest_renderings (
            digest_id INTEGER NOT NULL REFERENCES digests(id),
            key INTEGER NOT NULL,
            language TEXT NOT NULL,
            routes TEXT NOT NULL,
            whole INTEGER NOT NULL DEFAULT 0,
            rendered TEXT NOT NULL,
            PRIMARY KEY (digest_id, key)
        )"""
    )
    columns = (
        "digest_id, subscriber_id, status, attempts, last_error, sent_at,"
        " troubles, uncertain, failing_since, retry_at"
    )
    db.execute(
        """CREATE TABLE deliveries_rebuilt (
            digest_id INTEGER NOT NULL REFERENCES digests(id),
            subscriber_id INTEGER NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
            status TEXT NOT NULL CHECK (status IN ('pending','sent','failed','cancelled','empty')),
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            sent_at TEXT,
            troubles INTEGER NOT NULL DEFAULT 0,
            uncertain INTEGER NOT NULL DEFAULT 0,
            failing_since TEXT,
            retry_at TEXT,
            rendering INTEGER,
            PRIMARY KEY (digest_id, subscriber_id)
        ) WITHOUT ROWID"""
    )
    db.execute(f"INSERT INTO deliveries_rebuilt ({columns}) SELECT {columns} FROM deliveries")
    db.execute("DROP TABLE deliveries")
    db.execute("ALTER TABLE deliveries_rebuilt RENAME TO deliveries")
    db.execute("CREATE INDEX deliveries_pending ON deliveries (status, digest_id, subscriber_id)")


@MIGRATIONS.register("0008_delivery_events")
def delivery_events(db: sqlite3.Connection) -> None:
    # Bounces and complaints reported after the relay accepted a message (issue 14).
    # (source, key) is unique, so the same DSN or webhook read twice is stored once.
    # An event no subscriber could be matched to is kept with subscriber_id NULL.
    db.execute(
        """CREATE TABLE delivery_events (
            id INTEGER PRIMARY KEY,
            source TEXT NOT NULL,
            key TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('hard_bounce','soft_bounce','complaint')),
            subscriber_id INTEGER REFERENCES subscribers(id) ON DELETE CASCADE,
            digest_id INTEGER REFERENCES digests(id),
            recipient TEXT,
            code TEXT,
            occurred_at TEXT NOT NULL,
            recorded_at TEXT NOT NULL,
            detail TEXT NOT NULL DEFAULT '',
            UNIQUE (source, key)
        )"""
    )
    db.execute(
        "CREATE INDEX delivery_events_subscriber ON delivery_events (subscriber_id, kind, occurred_at)"
    )
    db.execute("CREATE INDEX delivery_events_digest ON delivery_events (digest_id, kind)")


# Every status a subscriber takes, with its time (for `bulletin report`); kept by triggers.
MIGRATIONS.register("0010_subscriber_history")(create_history)


def migrate(
    db: sqlite3.Connection, now: dt.datetime, migrations: Migrations[sqlite3.Connection] = MIGRATIONS
) -> list[str]:
    """Apply what ``db`` has not had yet, in one transaction; the names applied.

    ``db`` must be in autocommit mode (isolation_level=None): the transaction here is
    explicit, and SQLite's DDL is transactional, so a migration that fails leaves
    neither its tables nor its name behind.
    """
    stamp = now.astimezone(dt.UTC).isoformat(timespec="microseconds")
    foreign_keys = db.execute("PRAGMA foreign_keys").fetchone()[0]
    # A migration may rebuild a table that others reference; with foreign keys on, its
    # DROP would delete (cascade) their rows. The pragma is a no-op inside a
    # transaction, so it is switched here, and the references are checked before COMMIT.
    db.execute("PRAGMA foreign_keys=OFF")
    try:
        todo = _apply(db, migrations, stamp)
    finally:
        db.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
    return [migration.name for migration in todo]


def _apply(
    db: sqlite3.Connection, migrations: Migrations[sqlite3.Connection], stamp: str
) -> list[Migration[sqlite3.Connection]]:
    db.execute("BEGIN IMMEDIATE")
    try:
        db.execute("CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
        todo: list[Migration[sqlite3.Connection]] = migrations.pending(
            {row[0] for row in db.execute("SELECT name FROM migrations")}
        )
        for migration in todo:
            migration.apply(db)
            db.execute("INSERT INTO migrations VALUES (?, ?)", (migration.name, stamp))
        broken = db.execute("PRAGMA foreign_key_check").fetchmany(3) if todo else []
        if broken:
            raise sqlite3.IntegrityError(
                f"a migration left rows naming missing ones: {[tuple(r) for r in broken]}"
            )
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
    return todo

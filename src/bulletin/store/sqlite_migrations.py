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


def migrate(
    db: sqlite3.Connection, now: dt.datetime, migrations: Migrations[sqlite3.Connection] = MIGRATIONS
) -> list[str]:
    """Apply what ``db`` has not had yet, in one transaction; the names applied.

    ``db`` must be in autocommit mode (isolation_level=None): the transaction here is
    explicit, and SQLite's DDL is transactional, so a migration that fails leaves
    neither its tables nor its name behind.
    """
    stamp = now.astimezone(dt.UTC).isoformat(timespec="microseconds")
    db.execute("BEGIN IMMEDIATE")
    try:
        db.execute("CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
        todo: list[Migration[sqlite3.Connection]] = migrations.pending(
            {row[0] for row in db.execute("SELECT name FROM migrations")}
        )
        for migration in todo:
            migration.apply(db)
            db.execute("INSERT INTO migrations VALUES (?, ?)", (migration.name, stamp))
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
    return [migration.name for migration in todo]

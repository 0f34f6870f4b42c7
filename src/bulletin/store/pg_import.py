"""Moving a SQLite store into PostgreSQL: every table copied in one transaction, then checked.

Every column the SQLite store has is copied (a column a later migration adds on both
sides is copied without a change here; one SQLite has and PostgreSQL lacks stops the
copy, naming it). The copy commits only when each table's row count and a checksum of
its rows, read back from PostgreSQL, equal the SQLite ones: a site moves with its
whole history or not at all.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import StoreError
from .pg import PostgresStore
from .pg_connection import scalar
from .sqlite import SqliteStore
from .sqlite_connection import iso

# Parents before children, so every row's references are there when it arrives.
TABLES = ("meta", "subscribers", "digests", "digest_posts", "digest_index", "deliveries")
_KEYS = {
    "meta": "key",
    "digest_posts": "route",
    "digest_index": "digest_id",
    "deliveries": "digest_id, subscriber_id",
}
_TEXT_KEYS = {"meta", "digest_posts"}  # ordered byte by byte on both sides (PostgreSQL: COLLATE "C")


@dataclass(frozen=True)
class Copied:
    """What was copied: rows per table, and the checksum both sides agreed on."""

    rows: dict[str, int]
    checksum: str


def copy_store(source: SqliteStore, target: PostgresStore) -> Copied:
    """Copy every row of ``source`` into the empty store ``target``; StoreError (nothing
    written) when the target holds subscribers or digests, or the copy does not check out."""
    db = source.db
    with source.run_lock(), target.connections.transaction() as pg:
        for table in ("subscribers", "digests"):
            if scalar(pg, f"SELECT count(*) FROM {table}"):
                raise StoreError(f"{target.location}: already holds {table}; copy into an empty store only")
        db.execute("BEGIN")  # one read snapshot of the SQLite store for the whole copy
        try:
            columns = {table: _columns(db, pg, table, target.location) for table in TABLES}
            times = {table: _time_columns(pg, table) for table in TABLES}
            pg.execute("DELETE FROM meta")  # the new store's own created_at gives way to the old one's
            for table in TABLES:
                _copy_table(db, pg, table, columns[table])
            _continue_ids(db, pg)
            expected = _fingerprint(db, columns, times, sqlite_side=True)
            found = _fingerprint(pg, columns, times, sqlite_side=False)
        finally:
            db.execute("COMMIT")
        if expected != found:
            differ = [t for t in TABLES if expected[t] != found[t]]
            raise StoreError(f"{target.location}: the copy does not match the store in {', '.join(differ)}")
    checksum = hashlib.sha256("".join(expected[t][1] for t in TABLES).encode()).hexdigest()
    return Copied({table: expected[table][0] for table in TABLES}, checksum)


def _columns(db: sqlite3.Connection, pg: Any, table: str, location: str) -> list[str]:
    ours = [row[1] for row in db.execute(f"PRAGMA table_info({table})")]
    theirs = {
        row[0]
        for row in pg.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = %s", (table,)
        )
    }
    missing = [column for column in ours if column not in theirs]
    if missing:
        raise StoreError(f"{location}: {table} has no column {missing[0]} (a migration not ported?)")
    return ours


def _time_columns(pg: Any, table: str) -> set[str]:
    rows = pg.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = %s"
        " AND data_type = 'timestamp with time zone'",
        (table,),
    )
    return {row[0] for row in rows}


def _copy_table(db: sqlite3.Connection, pg: Any, table: str, columns: Sequence[str]) -> None:
    names = ", ".join(columns)
    with pg.cursor() as cursor, cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
        for row in db.execute(f"SELECT {names} FROM {table}"):
            copy.write_row(tuple(row))


def _continue_ids(db: sqlite3.Connection, pg: Any) -> None:
    """New subscribers continue after every id SQLite ever handed out (a removed one's too)."""
    row = db.execute("SELECT seq FROM sqlite_sequence WHERE name = 'subscribers'").fetchone()
    highest = max(
        int(row[0]) if row else 0,
        int(db.execute("SELECT coalesce(max(id), 0) FROM subscribers").fetchone()[0]),
    )
    if highest:
        pg.execute("SELECT setval(pg_get_serial_sequence('subscribers', 'id'), %s)", (highest,))


def _fingerprint(
    db: Any, columns: dict[str, list[str]], times: dict[str, set[str]], *, sqlite_side: bool
) -> dict[str, tuple[int, str]]:
    """(rows, sha256 of the rows) per table, values written one way whichever side read them."""
    result = {}
    for table in TABLES:
        names = columns[table]
        order = _KEYS.get(table, "id") + ("" if sqlite_side or table not in _TEXT_KEYS else ' COLLATE "C"')
        digest = hashlib.sha256()
        count = 0
        for row in db.execute(f"SELECT {', '.join(names)} FROM {table} ORDER BY {order}"):
            digest.update(_canonical(row, names, times[table], sqlite_side).encode())
            count += 1
        result[table] = (count, digest.hexdigest())
    return result


def _canonical(row: Iterable[Any], names: Sequence[str], times: set[str], sqlite_side: bool) -> str:
    parts = []
    for name, value in zip(names, row, strict=True):
        if value is not None and name in times:
            moment = dt.datetime.fromisoformat(value) if sqlite_side else value
            value = iso(moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC))
        parts.append("\\N" if value is None else str(value))
    return "\t".join(parts) + "\n"

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
from collections.abc import Iterable, Sequence, Set
from dataclasses import dataclass
from typing import Any

from ..errors import StoreError
from .pg import PostgresStore
from .pg_connection import scalar
from .sqlite import SqliteStore
from .sqlite_connection import iso

SKIPPED = {"migrations", "sqlite_sequence"}  # each store keeps its own; sqlite_sequence is read apart


@dataclass(frozen=True)
class Table:
    """One table to copy: its columns, and its primary key (each side orders rows by it)."""

    name: str
    columns: tuple[str, ...]
    key: tuple[str, ...]
    text_key: tuple[bool, ...]  # ordered byte by byte on both sides (PostgreSQL: COLLATE "C")
    rowid: bool = False  # no primary key: copied in the order it was written

    def order(self, *, sqlite_side: bool, times: Set[str] = frozenset()) -> str:
        """ORDER BY for this side; PostgreSQL's text compared byte by byte, its times as times (the
        ISO text SQLite keeps them in sorts the same)."""
        collate = [
            "" if sqlite_side or not text or column in times else ' COLLATE "C"'
            for column, text in zip(self.key, self.text_key, strict=True)
        ]
        return ", ".join(f"{column}{how}" for column, how in zip(self.key, collate, strict=True))


def tables(db: sqlite3.Connection) -> list[Table]:
    """Every table of the SQLite store, parents before children (so each row's references are
    there when it arrives)."""
    names = [
        row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
    ]
    names = [name for name in names if name not in SKIPPED]
    parents = {
        name: {row[2] for row in db.execute(f"PRAGMA foreign_key_list({name})")} - {name} for name in names
    }
    ordered: list[str] = []
    while len(ordered) < len(names):
        ready = [name for name in names if name not in ordered and parents[name] <= set(ordered)]
        if not ready:
            raise StoreError(f"tables that reference each other cannot be copied: {sorted(parents)}")
        ordered += ready
    found = []
    for name in ordered:
        info = db.execute(f"PRAGMA table_info({name})").fetchall()
        key = sorted((row[5], row[1], str(row[2]).upper() == "TEXT") for row in info if row[5])
        rowid = not key  # no primary key (a rowid table): rows are compared by every column
        if rowid:
            key = [(n, row[1], str(row[2]).upper() == "TEXT") for n, row in enumerate(info)]
        columns = tuple(str(row[1]) for row in info)
        found.append(Table(name, columns, tuple(k[1] for k in key), tuple(k[2] for k in key), rowid))
    return found


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
        for name in ("subscribers", "digests"):
            if scalar(pg, f"SELECT count(*) FROM {name}"):
                raise StoreError(f"{target.location}: already holds {name}; copy into an empty store only")
        db.execute("BEGIN")  # one read snapshot of the SQLite store for the whole copy
        try:
            copied = tables(db)
            times = {table.name: _time_columns(pg, table, target.location) for table in copied}
            pg.execute("DELETE FROM meta")  # the new store's own created_at gives way to the old one's
            for table in copied:
                # The rows come with their history: a trigger must not write it a second time.
                pg.execute(f"ALTER TABLE {table.name} DISABLE TRIGGER USER")
                _copy_table(db, pg, table)
                pg.execute(f"ALTER TABLE {table.name} ENABLE TRIGGER USER")
            _continue_ids(db, pg)
            expected = _fingerprint(db, copied, times, sqlite_side=True)
            found = _fingerprint(pg, copied, times, sqlite_side=False)
        finally:
            db.execute("COMMIT")
        if expected != found:
            differ = [name for name in expected if expected[name] != found[name]]
            raise StoreError(f"{target.location}: the copy does not match the store in {', '.join(differ)}")
    checksum = hashlib.sha256("".join(sums for _, sums in expected.values()).encode()).hexdigest()
    return Copied({name: rows for name, (rows, _) in expected.items()}, checksum)


def _time_columns(pg: Any, table: Table, location: str) -> set[str]:
    """The table's columns that are times in PostgreSQL; StoreError when one of SQLite's is missing."""
    kinds = dict(
        pg.execute(
            "SELECT column_name, data_type FROM information_schema.columns"
            " WHERE table_schema = current_schema() AND table_name = %s",
            (table.name,),
        ).fetchall()
    )
    missing = [column for column in table.columns if column not in kinds]
    if missing:
        raise StoreError(f"{location}: no column {table.name}.{missing[0]} (a migration not ported?)")
    return {column for column, kind in kinds.items() if kind == "timestamp with time zone"}


def _copy_table(db: sqlite3.Connection, pg: Any, table: Table) -> None:
    names = ", ".join(table.columns)
    with pg.cursor() as cursor, cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
        # In rowid order, as it was written (a table without a primary key keeps that order).
        order = " ORDER BY rowid" if table.rowid else ""
        for row in db.execute(f"SELECT {names} FROM {table.name}{order}"):
            copy.write_row(tuple(row))


def _continue_ids(db: sqlite3.Connection, pg: Any) -> None:
    """Identity columns continue after every id SQLite handed out (a removed subscriber's too)."""
    sequences = dict(db.execute("SELECT name, seq FROM sqlite_sequence").fetchall())
    identities = pg.execute(
        "SELECT table_name, column_name FROM information_schema.columns"
        " WHERE table_schema = current_schema() AND is_identity = 'YES'"
    ).fetchall()
    for table, column in identities:
        highest = max(
            int(sequences.get(table, 0)), int(scalar(pg, f"SELECT coalesce(max({column}), 0) FROM {table}"))
        )
        if highest:
            pg.execute("SELECT setval(pg_get_serial_sequence(%s, %s), %s)", (table, column, highest))


def _fingerprint(
    db: Any, copied: Sequence[Table], times: dict[str, set[str]], *, sqlite_side: bool
) -> dict[str, tuple[int, str]]:
    """(rows, sha256 of the rows) per table, values written one way whichever side read them."""
    result = {}
    for table in copied:
        digest = hashlib.sha256()
        count = 0
        order = table.order(sqlite_side=sqlite_side, times=times[table.name])
        for row in db.execute(f"SELECT {', '.join(table.columns)} FROM {table.name} ORDER BY {order}"):
            digest.update(_canonical(row, table.columns, times[table.name], sqlite_side).encode())
            count += 1
        result[table.name] = (count, digest.hexdigest())
    return result


def _canonical(row: Iterable[Any], names: Sequence[str], times: set[str], sqlite_side: bool) -> str:
    parts = []
    for name, value in zip(names, row, strict=True):
        if value is not None and name in times:
            moment = dt.datetime.fromisoformat(value) if sqlite_side else value
            value = iso(moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC))
        parts.append("\\N" if value is None else str(value))
    return "\t".join(parts) + "\n"

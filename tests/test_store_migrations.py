"""Schema migrations as registered functions: order, idempotence, atomicity, and stores made before them."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path

import pytest

from bulletin.store import RenderedDigest
from bulletin.store.migrations import Migrations
from bulletin.store.sqlite import SqliteStore
from bulletin.store.sqlite_migrations import MIGRATIONS, migrate

NOW = dt.datetime(2026, 4, 12, 5, 0, tzinfo=dt.UTC)
OLD_STAMP = "2025-11-02T08:30:00.000000+00:00"

# The migrations exactly as the store kept them before they became functions: SQL
# scripts the old runner split on ';'. Frozen here, so stores made by that code
# stay tested however the functions change.
OLD_MIGRATIONS = [
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
    ("0002_confirmation", "ALTER TABLE subscribers ADD COLUMN confirm_sent_at TEXT;"),
]
OLD_RENDERED = {
    "variants": {
        "named": {"subject": "Новости №1", "text": "Здравствуйте, %%n%%", "html": "<p>Сәлеметсіз бе</p>"},
        "anonymous": {"subject": "Новости №1", "text": "Здравствуйте", "html": "<p>Сәлеметсіз бе</p>"},
    }
}


def make_old_store(path: Path, migrations: int = len(OLD_MIGRATIONS)) -> None:
    """A store as the code before the seam made it, with a subscriber and a digest in it."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("BEGIN IMMEDIATE")
    db.execute("CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    for name, script in OLD_MIGRATIONS[:migrations]:
        for statement in script.split(";"):
            if statement.strip():
                db.execute(statement)
        db.execute("INSERT INTO migrations VALUES (?, ?)", (name, OLD_STAMP))
    db.execute("INSERT OR IGNORE INTO meta VALUES ('created_at', ?)", (OLD_STAMP,))
    db.execute(
        "INSERT INTO subscribers (email, name, status, created_at, updated_at)"
        " VALUES ('анна@пример.рф', 'Анна', 'active', ?, ?)",
        (OLD_STAMP, OLD_STAMP),
    )
    db.execute(
        "INSERT INTO digests (created_at, nonce, rendered) VALUES (?, 'n1', ?)",
        (OLD_STAMP, json.dumps(OLD_RENDERED, ensure_ascii=False)),
    )
    db.execute("COMMIT")
    db.close()


def schema(path: Path) -> list[tuple[str, str, str]]:
    """Every table and index with its SQL, whitespace folded (indentation is not schema)."""
    db = sqlite3.connect(path)
    try:
        rows = db.execute("SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY name")
        return [(kind, name, " ".join(sql.split())) for kind, name, sql in rows]
    finally:
        db.close()


def applied(path: Path) -> list[tuple[str, str]]:
    db = sqlite3.connect(path)
    try:
        return [tuple(row) for row in db.execute("SELECT name, applied_at FROM migrations ORDER BY name")]
    finally:
        db.close()


def test_the_sqlite_migration_names_are_the_ones_stores_already_record() -> None:
    # Later migrations come after them; these names never change.
    names = [migration.name for migration in MIGRATIONS]
    assert names[: len(OLD_MIGRATIONS)] == [name for name, _ in OLD_MIGRATIONS]


def test_a_store_made_before_the_seam_opens_with_its_migrations_kept(tmp_path: Path) -> None:
    old = tmp_path / "old.db"
    make_old_store(old)
    before = old.read_bytes()

    with SqliteStore(old) as store:
        assert store.created_at() == dt.datetime.fromisoformat(OLD_STAMP)
        subscriber = store.subscriber(email="анна@пример.рф")
        digest = store.digest(1)

    newer = [migration.name for migration in MIGRATIONS][len(OLD_MIGRATIONS) :]
    assert (old.read_bytes() == before) == (not newer)  # rewritten only to add what is new
    # Nothing applied again: the old names keep their stamps, the new ones follow.
    assert applied(old)[: len(OLD_MIGRATIONS)] == [(name, OLD_STAMP) for name, _ in OLD_MIGRATIONS]
    assert [name for name, _ in applied(old)[len(OLD_MIGRATIONS) :]] == newer
    assert subscriber is not None and subscriber.name == "Анна"
    assert digest is not None and digest.rendered == RenderedDigest.from_json(OLD_RENDERED)
    assert digest.rendered.named.html == "<p>Сәлеметсіз бе</p>"
    with SqliteStore(tmp_path / "new.db"):
        pass
    assert schema(old) == schema(tmp_path / "new.db")


def test_an_up_to_date_store_opens_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    with SqliteStore(path) as store:
        store.add_subscriber("анна@пример.рф", "Анна")
    before = path.read_bytes()
    with SqliteStore(path) as store:
        assert store.subscriber(email="анна@пример.рф") is not None
    assert path.read_bytes() == before  # nothing applied again, nothing rewritten


def test_a_store_made_before_the_second_migration_gets_only_that_one(tmp_path: Path) -> None:
    old = tmp_path / "old.db"
    make_old_store(old, migrations=1)

    with SqliteStore(old) as store:
        assert store.claim_confirmation_slot(1, NOW, dt.timedelta(minutes=10))  # the new column

    [first, second, *later] = applied(old)
    assert first == ("0001_initial", OLD_STAMP)
    assert second[0] == "0002_confirmation" and second[1] != OLD_STAMP
    with SqliteStore(tmp_path / "new.db"):
        pass
    assert schema(old) == schema(tmp_path / "new.db")


def counting_registry() -> Migrations[sqlite3.Connection]:
    registry: Migrations[sqlite3.Connection] = Migrations()

    @registry.register("0001_runs")
    def runs(db: sqlite3.Connection) -> None:
        db.execute("CREATE TABLE runs (name TEXT)")
        db.execute("INSERT INTO runs VALUES ('0001')")

    @registry.register("0002_audit")
    def audit(db: sqlite3.Connection) -> None:
        # A trigger body and a string holding ';': what splitting a script on ';' broke.
        db.execute(
            "CREATE TRIGGER audit AFTER INSERT ON runs BEGIN"
            " INSERT INTO runs VALUES ('after; ' || new.name); SELECT 1; END"
        )
        db.execute("INSERT INTO runs VALUES ('0002')")

    return registry


def test_registered_migrations_apply_in_order_once(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / "m.db", isolation_level=None)
    registry = counting_registry()

    assert migrate(db, NOW, registry) == ["0001_runs", "0002_audit"]
    assert migrate(db, NOW, registry) == []
    assert migrate(db, NOW + dt.timedelta(days=1), registry) == []

    assert [row[0] for row in db.execute("SELECT name FROM runs ORDER BY rowid")] == [
        "0001",
        "0002",
        "after; 0002",
    ]
    assert [row[0] for row in db.execute("SELECT name FROM migrations ORDER BY name")] == [
        "0001_runs",
        "0002_audit",
    ]
    db.close()


def test_a_failing_migration_leaves_nothing_of_its_run(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / "m.db", isolation_level=None)
    registry = counting_registry()

    @registry.register("0003_broken")
    def broken(db: sqlite3.Connection) -> None:
        db.execute("CREATE TABLE half (x)")
        db.execute("INSERT INTO no_such_table VALUES (1)")

    with pytest.raises(sqlite3.OperationalError, match="no_such_table"):
        migrate(db, NOW, registry)

    # All pending migrations share one transaction: the store is as it was before.
    tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert tables == set()
    assert not db.in_transaction
    db.close()


def test_a_name_is_registered_once_and_in_order() -> None:
    registry = counting_registry()

    with pytest.raises(ValueError, match="'0001_runs' is registered twice"):
        registry.register("0001_runs")
    with pytest.raises(ValueError, match="'0001_b' must sort after '0002_audit'"):
        registry.register("0001_b")
    assert [migration.name for migration in registry] == ["0001_runs", "0002_audit"]
    assert len(registry) == 2


def test_the_subscriber_rebuild_keeps_every_row_id_and_delivery(tmp_path: Path) -> None:
    """0003 rebuilds subscribers for AUTOINCREMENT: nothing lost, no delivery orphaned or cascaded."""
    old = tmp_path / "old.db"
    make_old_store(old)
    db = sqlite3.connect(old, isolation_level=None)
    for n, status in enumerate(("active", "pending", "unsubscribed", "bounced", "active"), start=2):
        db.execute(
            "INSERT INTO subscribers (id, email, name, status, created_at, updated_at, confirm_sent_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (n * 10, f"r{n}@пример.рф", f"Читатель {n}", status, OLD_STAMP, OLD_STAMP, OLD_STAMP),
        )
    db.executemany(
        "INSERT INTO deliveries (digest_id, subscriber_id, status, attempts, last_error, sent_at)"
        " VALUES (1, ?, ?, 1, ?, ?)",
        [(1, "sent", None, OLD_STAMP), (20, "pending", "451 later", None), (40, "cancelled", "left", None)],
    )
    subscribers_before = db.execute("SELECT * FROM subscribers ORDER BY id").fetchall()
    deliveries_before = db.execute("SELECT * FROM deliveries ORDER BY subscriber_id").fetchall()
    db.close()

    with SqliteStore(old) as store:
        assert [s.token_nonce for s in store.subscribers()] == [None] * 6  # old rows keep their links
        store.add_subscriber("new@example.org", None)
        new = store.subscriber(email="new@example.org")
        assert new is not None and new.id == 61 and new.token_nonce is not None
        assert store.remove_subscriber("new@example.org")
        store.add_subscriber("newer@example.org", None)
        newer = store.subscriber(email="newer@example.org")
        assert newer is not None and newer.id == 62  # 61 is never handed out again

    db = sqlite3.connect(old)
    columns = "id, email, name, status, created_at, updated_at, confirm_sent_at"
    assert db.execute(f"SELECT {columns} FROM subscribers WHERE id < 61 ORDER BY id").fetchall() == [
        tuple(row) for row in subscribers_before
    ]
    kept = "digest_id, subscriber_id, status, attempts, last_error, sent_at"  # the columns 0001 made
    assert db.execute(f"SELECT {kept} FROM deliveries ORDER BY subscriber_id").fetchall() == deliveries_before
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    db.close()
    with SqliteStore(old) as store:  # the references still hold: removing cascades as before
        assert store.remove_subscriber("r2@пример.рф")
    assert sqlite3.connect(old).execute("SELECT count(*) FROM deliveries").fetchone() == (2,)


def test_a_link_mailed_before_the_upgrade_still_works(tmp_path: Path) -> None:
    from bulletin.tokens import UNSUBSCRIBE, TokenSigner

    old = tmp_path / "old.db"
    make_old_store(old)
    signer = TokenSigner("test-secret-0123456789-abcdef")
    mailed = signer.make(UNSUBSCRIBE, 1, None)  # the only form there was: purpose and id
    with SqliteStore(old) as store:
        anna = signer.find(UNSUBSCRIBE, mailed, lambda n: store.subscriber(id=n))
        assert anna is not None and anna.email == "анна@пример.рф"
        store.add_subscriber("new@example.org", None)
        new = store.subscriber(email="new@example.org")
        assert new is not None
        # A first-form token for the new row is refused: only rows kept from before take that form.
        assert signer.find(UNSUBSCRIBE, signer.make(UNSUBSCRIBE, new.id, None), lambda n: new) is None

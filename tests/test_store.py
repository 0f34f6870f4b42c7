"""The SQLite store on real files: migrations, digests, deliveries, the run lock."""

from __future__ import annotations

import datetime as dt
import sqlite3
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bulletin.config import load_config
from bulletin.errors import StoreError
from bulletin.store import DeliveryCounts, DigestPost, RenderedDigest, RenderedVariant, open_store
from bulletin.store.lock import LockHeld, RunLock
from bulletin.store.sqlite import SqliteStore
from bulletin.store.sqlite_migrations import MIGRATIONS

from .conftest import StoreBackend
from .digest_site import DigestSite
from .feed_site import WriteConfig
from .postgres_server import open_test_store, store_rows

UTC = dt.UTC
NOW = dt.datetime(2026, 4, 12, 5, 0, tzinfo=UTC)
RENDERED = RenderedDigest(named=RenderedVariant("s", "t", "h"), anonymous=RenderedVariant("s", "t", "h"))


def post(route: str, day: int = 1) -> DigestPost:
    return DigestPost(route, route.title(), "https://clinic.example" + route, NOW.replace(day=day))


pytestmark = pytest.mark.both_backends


@pytest.fixture
def store(tmp_path: Path, store_backend: StoreBackend) -> Iterator[SqliteStore]:
    """The store under test, on each backend in turn (typed as SQLite's: both meet Store)."""
    with open_test_store(store_backend.kind, store_backend.url, tmp_path / "state" / "bulletin.db") as opened:
        yield opened


def add(store: SqliteStore, *emails: str, status: str = "active") -> list[int]:
    for email in emails:
        store.add_subscriber(email, None, status)
    return [store.subscriber(email=email).id for email in emails]  # type: ignore[union-attr]


def test_new_store_is_created_in_wal_mode_with_every_migration(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "folder" / "bulletin.db"
    with SqliteStore(path) as store:
        assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert store.integrity_check() == "ok"
    db = sqlite3.connect(path)
    assert [row[0] for row in db.execute("SELECT name FROM migrations ORDER BY name")] == [
        name for name, _ in MIGRATIONS
    ]
    db.close()


def test_reopening_applies_nothing_twice(tmp_path: Path) -> None:
    path = tmp_path / "bulletin.db"
    with SqliteStore(path) as store:
        created = store.created_at()
        add(store, "ann@example.org")
    with SqliteStore(path) as store:
        assert store.created_at() == created
        assert [s.email for s in store.subscribers()] == ["ann@example.org"]
        count = store.db.execute("SELECT count(*) FROM migrations").fetchone()[0]
    assert count == len(MIGRATIONS)


def test_missing_store_without_create(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="store does not exist yet"):
        SqliteStore(tmp_path / "none.db", create=False)
    assert not (tmp_path / "none.db").exists()


@pytest.mark.sqlite_only("a file that is not SQLite is the SQLite backend's case")
def test_a_file_that_is_not_a_database_is_a_clean_error(outbox_site: DigestSite) -> None:
    outbox_site.store_path.parent.mkdir(parents=True)
    outbox_site.store_path.write_bytes(b"this is not SQLite, just text " * 200)

    result = outbox_site.cli("subscribers", "list")

    assert result.exit_code == 1
    [line] = result.output.splitlines()
    assert line.startswith(f"Error: {outbox_site.store_path}: cannot open store: ")


def test_create_digest_queues_active_subscribers_only(store: SqliteStore) -> None:
    ann, bob, cat = add(store, "ann@example.org", "bob@example.org", "cat@example.org")
    store.set_subscriber_status(bob, "unsubscribed")
    store.set_subscriber_status(cat, "bounced")

    number = store.create_digest([post("/blog/a"), post("/blog/b", 2)], RENDERED, "n1", NOW)

    assert number == 1
    assert [d.subscriber.email for d in store.pending_deliveries(1)] == ["ann@example.org"]
    assert store.digested_routes() == {"/blog/a", "/blog/b"}
    assert [p.route for p in store.digest_posts(1)] == ["/blog/a", "/blog/b"]
    assert store.digest(1).rendered == RENDERED  # type: ignore[union-attr]
    assert store.next_digest_number() == 2


def test_a_post_is_stored_in_one_digest_only(store: SqliteStore) -> None:
    add(store, "ann@example.org")
    store.create_digest([post("/blog/a")], RENDERED, "n1", NOW)

    assert store.create_digest([post("/blog/b"), post("/blog/a")], RENDERED, "n2", NOW) is None
    assert store.next_digest_number() == 2
    assert store.digested_routes() == {"/blog/a"}
    assert store.count_pending() == 1
    if store.kind == "sqlite":
        assert store.db.in_transaction is False


def test_pending_deliveries_are_streamed_in_pages(store: SqliteStore) -> None:
    emails = [f"r{n}@example.org" for n in range(7)]
    add(store, *emails)
    store.create_digest([post("/blog/a")], RENDERED, "n1", NOW)

    assert [d.subscriber.email for d in store.pending_deliveries(1, batch=2)] == emails


def test_pending_deliveries_page_over_deliveries_that_change_meanwhile(store: SqliteStore) -> None:
    ids = add(store, *[f"r{n}@example.org" for n in range(5)])
    store.create_digest([post("/blog/a")], RENDERED, "n1", NOW)
    seen = []
    for delivery in store.pending_deliveries(1, batch=2):
        seen.append(delivery.subscriber.id)
        store.mark_sent(1, delivery.subscriber.id, NOW)
    assert seen == ids
    assert store.delivery_counts(1) == DeliveryCounts(sent=5)


def test_mark_sent_is_idempotent_and_never_revives_a_cancelled_delivery(store: SqliteStore) -> None:
    ann, bob = add(store, "ann@example.org", "bob@example.org")
    store.create_digest([post("/blog/a")], RENDERED, "n1", NOW)
    store.mark_sent(1, ann, NOW)
    store.mark_sent(1, ann, NOW + dt.timedelta(minutes=1))
    store.set_subscriber_status(bob, "unsubscribed")
    store.mark_sent(1, bob, NOW)

    rows = store_rows(store, "SELECT subscriber_id, status, attempts, sent_at FROM deliveries ORDER BY 1")
    assert rows == [
        (ann, "sent", 1, "2026-04-12T05:00:00.000000+00:00"),
        (bob, "cancelled", 0, None),
    ]


def test_failed_attempts(store: SqliteStore) -> None:
    ann, bob, cat = add(store, "ann@example.org", "bob@example.org", "cat@example.org")
    store.create_digest([post("/blog/a")], RENDERED, "n1", NOW)
    store.create_digest([post("/blog/b")], RENDERED, "n2", NOW)

    store.mark_attempt_failed(1, ann, "451 later", final=False)
    store.mark_attempt_failed(1, bob, "554 no", final=True)
    store.mark_attempt_failed(1, cat, "550 5.1.1 unknown", final=True, bounced=True)

    assert store.delivery_counts(1) == DeliveryCounts(pending=1, failed=2)
    assert store.subscriber(id=cat).status == "bounced"  # type: ignore[union-attr]
    assert store.subscriber(id=bob).status == "active"  # type: ignore[union-attr]
    # The bounced address's place in the other digest is cancelled as well.
    assert store.delivery_counts(2) == DeliveryCounts(pending=2, cancelled=1)
    assert store.delivery_errors(1) == [
        ("ann@example.org", "pending", "451 later"),
        ("bob@example.org", "failed", "554 no"),
        ("cat@example.org", "failed", "550 5.1.1 unknown"),
    ]
    assert [d.attempts for d in store.pending_deliveries(1)] == [1]


def test_unsubscribing_cancels_pending_deliveries_only(store: SqliteStore) -> None:
    (ann,) = add(store, "ann@example.org")
    store.create_digest([post("/blog/a")], RENDERED, "n1", NOW)
    store.mark_sent(1, ann, NOW)
    store.create_digest([post("/blog/b")], RENDERED, "n2", NOW)

    store.set_subscriber_status(ann, "unsubscribed")

    assert store.delivery_counts(1) == DeliveryCounts(sent=1)
    assert store.delivery_counts(2) == DeliveryCounts(cancelled=1)
    assert store.digests_with_pending() == []


def test_unknown_status_filter(store: SqliteStore) -> None:
    from bulletin.errors import SubscriberError

    with pytest.raises(SubscriberError, match="unknown status 'gone'"):
        list(store.subscribers("gone"))


def test_writes_wait_for_another_connection(tmp_path: Path) -> None:
    path = tmp_path / "bulletin.db"
    with SqliteStore(path) as one, SqliteStore(path) as two:
        add(one, "ann@example.org")
        one.db.execute("BEGIN IMMEDIATE")
        one.db.execute("UPDATE subscribers SET name = 'x'")
        assert [s.email for s in two.subscribers()] == ["ann@example.org"]  # readers are not blocked
        one.db.execute("COMMIT")
        assert add(two, "bob@example.org")


# The run lock ---------------------------------------------------------------


def test_run_lock_is_exclusive_and_released(tmp_path: Path) -> None:
    path = tmp_path / "state" / "bulletin.db.lock"
    with RunLock(path):
        with pytest.raises(LockHeld), RunLock(path):
            pass
    with RunLock(path):
        pass


def test_lock_of_a_killed_process_expires(
    write_config: WriteConfig, run_lock_holder: Callable[[Path], subprocess.Popen[str]]
) -> None:
    config_path = write_config(store={"path": "state/bulletin.db"})
    holder = run_lock_holder(config_path)
    with open_store(load_config(config_path)) as store:
        with pytest.raises(LockHeld), store.run_lock():
            pass
        holder.kill()
        holder.wait(10)
        deadline = time.monotonic() + 5
        while True:
            try:
                with store.run_lock():
                    break
            except LockHeld:
                assert time.monotonic() < deadline, "the lock outlived its process"
                time.sleep(0.05)

"""The store seam on real files: open_store(config), the run lock behind the store, threads sharing one."""

from __future__ import annotations

import dataclasses
import datetime as dt
import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from bulletin.config import Config, load_config
from bulletin.errors import StoreError
from bulletin.store import LockHeld, RenderedDigest, RenderedVariant, open_store, store_exists
from bulletin.store.lock import RunLock
from bulletin.store.sqlite import SqliteStore

from .feed_site import WriteConfig

NOW = dt.datetime(2026, 4, 12, 5, 0, tzinfo=dt.UTC)


@pytest.fixture
def config(write_config: WriteConfig) -> Config:
    return load_config(write_config(store={"path": "state/клиника.db"}))


def test_open_store_creates_the_configured_store(config: Config, tmp_path: Path) -> None:
    path = tmp_path / "state" / "клиника.db"
    assert not store_exists(config)

    with open_store(config) as store:
        assert store.location == str(path)
        assert store.add_subscriber("анна@пример.рф", "Анна Әлиева")

    assert store_exists(config)
    with open_store(config, create=False) as store:
        subscriber = store.subscriber(email="анна@пример.рф")
    assert subscriber is not None and subscriber.name == "Анна Әлиева"


def test_open_store_without_create_names_the_missing_store_and_creates_nothing(
    config: Config, tmp_path: Path
) -> None:
    with pytest.raises(StoreError, match="клиника.db: store does not exist yet"):
        open_store(config, create=False)
    assert not (tmp_path / "state").exists()


def test_the_run_lock_is_held_through_the_store_and_released(config: Config) -> None:
    with open_store(config) as one, open_store(config) as two:
        with one.run_lock():
            with pytest.raises(LockHeld), two.run_lock():
                pass
            # The lock is about send runs only: the store itself stays open to others.
            assert two.add_subscriber("ann@example.org", None)
        with two.run_lock():
            pass


def test_the_run_lock_excludes_a_run_of_the_version_before_the_seam(config: Config, tmp_path: Path) -> None:
    # Until the seam, `send` locked '<store file>.lock' itself; a run of that version
    # still going during an upgrade must keep the new one out, and the other way round.
    legacy = tmp_path / "state" / "клиника.db.lock"
    with open_store(config) as store:
        with RunLock(legacy), pytest.raises(LockHeld), store.run_lock():
            pass
        with store.run_lock(), pytest.raises(LockHeld), RunLock(legacy):
            pass


def test_a_digest_reads_back_as_the_typed_rendered_digest(tmp_path: Path) -> None:
    rendered = RenderedDigest(
        named=RenderedVariant("Жаңалықтар №1", "Сәлем, %%name%%", "<p>Здравствуйте</p>"),
        anonymous=RenderedVariant("Жаңалықтар №1", "Сәлем", "<p>Здравствуйте</p>"),
    )
    with SqliteStore(tmp_path / "s.db") as store:
        number = store.create_digest([], rendered, "nonce", NOW)
        assert number is not None
        record = store.digest(number)
    assert record is not None and record.rendered == rendered
    with pytest.raises(dataclasses.FrozenInstanceError):
        record.rendered.named.subject = "changed"  # type: ignore[misc]


def test_a_damaged_digest_row_is_one_clean_store_error(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    with SqliteStore(path) as store:
        store.create_digest([], RenderedDigest(*[RenderedVariant("s", "t", "h")] * 2), "nonce", NOW)
    db = sqlite3.connect(path)
    with db:
        db.execute("""UPDATE digests SET rendered = '{"variants": {"anonymous": {}}}'""")
    db.close()
    with SqliteStore(path) as store, pytest.raises(StoreError, match=r"s\.db: digest 1 is damaged: KeyError"):
        store.digest(1)


def test_numbers_beyond_sqlite_integers_name_no_digest(tmp_path: Path) -> None:
    with SqliteStore(tmp_path / "s.db") as store:
        assert store.digest(2**63) is None
        assert store.digest(-(2**70)) is None


def test_a_thread_never_writes_inside_another_threads_transaction(tmp_path: Path) -> None:
    with SqliteStore(tmp_path / "s.db") as store:
        inside = threading.Event()

        def roll_back_a_transaction() -> None:
            with pytest.raises(RuntimeError), store.transaction():
                store.add_subscriber("rolled-back@example.org", None)
                inside.set()
                # Long enough for the other thread's insert to run now, were it not kept out.
                threading.Event().wait(0.3)
                raise RuntimeError("roll back")

        first = threading.Thread(target=roll_back_a_transaction)
        first.start()
        assert inside.wait(5)
        store.add_subscriber("kept@example.org", None)  # waits for the transaction to end
        first.join(5)

        assert [s.email for s in store.subscribers()] == ["kept@example.org"]


def test_a_thread_pool_shares_one_store(tmp_path: Path) -> None:
    # What the web app does: many requests, each a store call from a worker thread.
    with SqliteStore(tmp_path / "s.db") as store:
        for n in range(40):
            store.add_subscriber(f"r{n}@example.org", None, "pending")
        ids = [s.id for s in store.subscribers()]

        def flip(subscriber_id: int) -> list[bool]:
            confirmed = []
            for _ in range(5):
                for status in ("unsubscribed", "active", "bounced", "pending"):
                    store.set_subscriber_status(subscriber_id, status)
                confirmed.append(store.confirm_subscriber(subscriber_id))
            return confirmed

        with ThreadPoolExecutor(max_workers=8) as pool:
            confirmed = list(pool.map(flip, ids))

        assert confirmed == [[True] * 5] * len(ids)
        assert store.count_subscribers("active") == len(ids)


def test_subscribers_are_read_in_pages_that_see_changes_made_meanwhile(tmp_path: Path) -> None:
    with SqliteStore(tmp_path / "s.db") as store:
        for n in range(7):
            store.add_subscriber(f"r{n}@example.org", None)
        seen = []
        for subscriber in store.subscribers("active", batch=2):
            seen.append(subscriber.email)
            if subscriber.email == "r0@example.org":
                store.set_subscriber_status(subscriber.id + 3, "unsubscribed")  # r3, not read yet
        assert seen == [f"r{n}@example.org" for n in (0, 1, 2, 4, 5, 6)]

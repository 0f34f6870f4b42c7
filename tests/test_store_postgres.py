"""The PostgreSQL store on a real server: its config, its migrations, and what several processes share.

Behaviour both backends have is tested on both in test_store.py, test_send.py and the web
tests; here is what only a server store has: leases, the shared rate budget, shared limits.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bulletin.config import load_config
from bulletin.errors import ConfigError, StoreError
from bulletin.store import DigestPost, LockHeld, RenderedDigest, RenderedVariant, StoredEvent, open_store
from bulletin.store.pg import PostgresStore
from bulletin.store.pg_migrations import MIGRATIONS as PG_MIGRATIONS
from bulletin.store.sqlite_migrations import MIGRATIONS as SQLITE_MIGRATIONS

from .digest_site import DigestSite
from .feed_site import WriteConfig
from .postgres_server import PASSWORD_ENV, PostgresServer, pg_rows

NOW = dt.datetime(2026, 4, 12, 5, 0, tzinfo=dt.UTC)
RENDERED = RenderedDigest(named=RenderedVariant("s", "t", "h"), anonymous=RenderedVariant("s", "t", "h"))


@pytest.fixture
def url(postgres_server: PostgresServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv(PASSWORD_ENV, postgres_server.password)
    database = postgres_server.new_database()
    yield postgres_server.url(database)
    postgres_server.drop_database(database)


def open_pg(url: str, lease: float = 3.0) -> PostgresStore:
    return PostgresStore(url, PASSWORD_ENV, lease=lease)


def digest_for(store: PostgresStore, count: int) -> int:
    store.add_subscribers([(f"r{n:03d}@example.org", None) for n in range(count)])
    number = store.create_digest([DigestPost("/a", "A", "https://x.example/a", NOW)], RENDERED, "n", NOW)
    assert number is not None
    return number


# Config and opening --------------------------------------------------------------------------------


def test_a_password_in_store_url_is_refused_without_repeating_it(write_config: WriteConfig) -> None:
    path = write_config(store={"url": "postgresql://bulletin:s3cret-Пароль@db.example/news"})
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value) == (
        f"{path}: 'store.url' must not hold a password: put it in the variable store.password_env names"
    )
    assert "s3cret" not in str(caught.value)


def test_store_url_must_name_a_postgresql_database(write_config: WriteConfig) -> None:
    path = write_config(store={"url": "mysql://db.example/news"})
    with pytest.raises(ConfigError, match=r"'store.url' must look like postgresql://user@host/database"):
        load_config(path)


def test_open_store_uses_the_url_and_the_password_from_the_environment(
    write_config: WriteConfig, url: str
) -> None:
    config = load_config(write_config(store={"url": url, "password_env": PASSWORD_ENV}))
    with open_store(config) as store:
        assert store.kind == "postgresql"
        assert store.location == url
        assert store.add_subscriber("анна@пример.рф", "Анна Әлиева")
    with open_store(config) as store:
        assert store.subscriber(email="анна@пример.рф").name == "Анна Әлиева"  # type: ignore[union-attr]


def test_a_wrong_password_is_one_line_naming_the_store_not_the_password(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PASSWORD_ENV, "wrong-password-42")
    with pytest.raises(StoreError) as caught:
        open_pg(url)
    message = str(caught.value)
    assert message.startswith(f"{url}: cannot open store: ")
    assert "\n" not in message and "wrong-password-42" not in message


def test_an_unset_password_variable_is_named(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(PASSWORD_ENV)
    with pytest.raises(StoreError, match=f"store.password_env names {PASSWORD_ENV}, which is not set"):
        open_pg(url)


# Migrations ----------------------------------------------------------------------------------------


def test_every_sqlite_migration_has_its_postgresql_twin() -> None:
    """A stream that adds a SQLite migration adds it here too, under the same name."""
    assert {name for name, _ in SQLITE_MIGRATIONS} <= {name for name, _ in PG_MIGRATIONS}


def test_a_new_store_has_every_migration_once_and_reopening_applies_none(url: str) -> None:
    with open_pg(url) as store:
        created = store.created_at()
    with open_pg(url) as store:
        assert store.created_at() == created
    assert pg_rows(url, "SELECT name FROM migrations ORDER BY name") == [(name,) for name, _ in PG_MIGRATIONS]


def test_processes_opening_a_new_store_at_once_create_it_once(url: str) -> None:
    errors: list[BaseException] = []

    def open_one() -> None:
        try:
            open_pg(url).close()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=open_one) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert pg_rows(url, "SELECT count(*) FROM migrations") == [(len(PG_MIGRATIONS),)]


# Several senders -----------------------------------------------------------------------------------


def test_two_senders_claim_disjoint_deliveries_and_together_all(url: str) -> None:
    with open_pg(url) as one, open_pg(url) as two:
        number = digest_for(one, 200)
        seen: dict[str, list[int]] = {"one": [], "two": []}

        def send(name: str, store: PostgresStore) -> None:
            for delivery in store.pending_deliveries(number, batch=10):
                seen[name].append(delivery.subscriber.id)
                time.sleep(0.001)  # a message on the wire
                store.mark_sent(number, delivery.subscriber.id, NOW)

        threads = [threading.Thread(target=send, args=pair) for pair in [("one", one), ("two", two)]]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert not set(seen["one"]) & set(seen["two"])
        assert sorted(seen["one"] + seen["two"]) == list(range(1, 201))
        assert seen["one"] and seen["two"]
        assert one.count_pending() == 0


def test_a_running_sender_never_waits_inside_its_run_for_anothers_rows(url: str) -> None:
    """Waiting there would hold up its own messages in flight, which the other may be waiting for."""
    with open_pg(url, lease=30) as one, open_pg(url) as two:
        number = digest_for(one, 4)
        held = one.pending_deliveries(number, batch=2)
        next(held)  # one holds rows 1 and 2, the first in flight
        started = time.monotonic()
        rest = [delivery.subscriber.id for delivery in two.pending_deliveries(number)]
        assert rest == [3, 4]
        assert time.monotonic() - started < 5


def test_a_dead_senders_lease_runs_out_and_another_takes_its_rows_over(url: str) -> None:
    with open_pg(url, lease=1.0) as dead, open_pg(url, lease=1.0) as alive:
        number = digest_for(dead, 5)
        claimed = dead.pending_deliveries(number, batch=3)
        taken = [next(claimed).subscriber.id]  # claims a batch of 3, hands out 1, then "dies"
        dead.mark_sent(number, taken[0], NOW)

        first = [delivery.subscriber.id for delivery in alive.pending_deliveries(number)]
        alive.mark_sent_many([(number, subscriber) for subscriber in first], NOW)
        started = time.monotonic()
        assert alive.wait_for_other_senders([number])  # the dead one's lease runs out: rows to take
        waited = time.monotonic() - started
        rest = [delivery.subscriber.id for delivery in alive.pending_deliveries(number)]
        alive.mark_sent_many([(number, subscriber) for subscriber in rest], NOW)
        assert not alive.wait_for_other_senders([number])  # nothing held, nothing left

    assert first == [4, 5]
    assert sorted(rest) == [2, 3]
    assert 0.5 <= waited < 10  # it waited for the lease


def test_a_row_handed_back_waits_for_the_next_run_not_another_running_sender(url: str) -> None:
    with open_pg(url) as one, open_pg(url) as two:
        number = digest_for(one, 2)
        running = two.pending_deliveries(number, batch=1)
        other = next(running).subscriber.id
        failed = next(one.pending_deliveries(number, batch=1)).subscriber.id
        one.mark_attempt_failed(number, failed, "451 later", final=False)
        two.mark_sent(number, other, NOW)
        assert list(running) == []  # the running sender leaves it to a later run
        assert [d.subscriber.id for d in one.pending_deliveries(number)] == [failed]  # a later run retries


def test_rows_another_sender_is_claiming_this_instant_are_waited_for(url: str) -> None:
    """SKIP LOCKED passes over rows whose claim has not committed yet; the sender must not take
    them for done (the race of two senders starting at once)."""
    import psycopg

    with open_pg(url) as store:
        number = digest_for(store, 3)
        other = psycopg.connect(url, password=os.environ[PASSWORD_ENV])
        other.execute("SELECT 1 FROM deliveries FOR UPDATE")  # a claim in progress, not committed

        def finish_other() -> None:
            time.sleep(0.5)
            other.execute("UPDATE deliveries SET status = 'sent'")
            other.commit()

        thread = threading.Thread(target=finish_other)
        started = time.monotonic()
        thread.start()
        seen = list(store.pending_deliveries(number))
        waited = time.monotonic() - started
        thread.join(10)
        other.close()
    assert seen == []
    assert waited >= 0.5  # it ended once the other sender's rows were sent, not before


def test_the_rate_budget_is_shared_by_every_sender(url: str) -> None:
    with open_pg(url) as one, open_pg(url) as two:
        waits = [store.send_slot(0.2) for store in (one, two, one, two)]
    # One slot per 0.2 s among both: the fourth message waits about 0.6 s, not 0.2.
    assert waits[0] == pytest.approx(0.0, abs=0.05)
    assert waits[3] == pytest.approx(0.6, abs=0.15)  # type: ignore[operator]


def test_the_run_lock_lets_senders_share_and_composing_takes_turns(url: str) -> None:
    with open_pg(url) as one, open_pg(url) as two:
        with one.run_lock(), two.run_lock():
            order: list[str] = []

            def compose_second() -> None:
                with two.compose_lock():
                    order.append("two")

            with one.compose_lock():
                thread = threading.Thread(target=compose_second)
                thread.start()
                time.sleep(0.3)
                order.append("one")
            thread.join(10)
        assert order == ["one", "two"]


def test_a_digest_is_composed_once_when_two_senders_race(url: str) -> None:
    with open_pg(url) as one, open_pg(url) as two:
        numbers = [
            store.create_digest([DigestPost("/a", "A", "https://x.example/a", NOW)], RENDERED, "n", NOW)
            for store in (one, two)
        ]
    assert numbers == [1, None]


# Several web processes -------------------------------------------------------------------------------


def test_the_sign_up_limit_is_counted_across_processes(url: str) -> None:
    with open_pg(url) as one, open_pg(url) as two:
        answers = [store.allow_event("sign-up 192.0.2.1", 3, 60) for store in (one, two, one, two, one)]
        assert one.allow_event("sign-up 192.0.2.2", 3, 60)  # another client has its own count
    assert answers == [True, True, True, False, False]


def test_a_confirmation_mail_is_taken_off_the_queue_by_one_process(url: str) -> None:
    with open_pg(url) as one, open_pg(url) as two:
        one.sign_up("анна@пример.рф", None, NOW, dt.timedelta(minutes=10))
        assert [s.email for s in one.queued_confirmations()] == ["анна@пример.рф"]
        assert two.queued_confirmations() == []  # held by the first while it sends
    with open_pg(url) as three:  # the first closed without sending: it gave the mail back
        assert [s.email for s in three.queued_confirmations()] == ["анна@пример.рф"]


def test_backup_of_a_server_store_says_what_to_use_instead(url: str, tmp_path: Path) -> None:
    with open_pg(url) as store, pytest.raises(StoreError, match="pg_dump"):
        store.backup(tmp_path / "copy.db")
    assert not (tmp_path / "copy.db").exists()


def test_a_held_run_lock_of_a_sqlite_store_still_refuses_a_second_run(tmp_path: Path) -> None:
    from bulletin.store.sqlite import SqliteStore

    with SqliteStore(tmp_path / "s.db") as one, SqliteStore(tmp_path / "s.db") as two, one.run_lock():
        with pytest.raises(LockHeld), two.run_lock():
            pass


# Moving a SQLite store -----------------------------------------------------------------------------


def sqlite_site_with_history(site: DigestSite) -> None:
    site.post("one", "Первая новость", "2026-04-01 10:00")
    site.subscribe("анна@пример.рф", "bob@example.org", "gone@example.org", "қайрат@мысал.kz")
    with site.open_store() as store:
        kairat = store.subscriber(email="қайрат@мысал.kz")
        assert kairat is not None
        store.set_subscriber_preferences(kairat.id, "kk", frozenset({("category", "вакцинация")}))
    site.send()  # digest 1 to four
    site.cli("subscribers", "remove", "gone@example.org")  # its id is never to be handed out again
    site.post("two", "Екінші жаңалық", "2026-04-02 10:00")
    site.send()  # digest 2 to three
    with site.open_store() as store:
        bob = store.subscriber(email="bob@example.org")
        assert bob is not None
        complaint = StoredEvent("complaint", "arf", "m-1", NOW, NOW, bob.id, 2, "bob@example.org")
        assert store.record_delivery_event(complaint)


def test_store_migrate_copies_the_whole_history_and_checks_it(outbox_site: DigestSite, url: str) -> None:
    sqlite_site_with_history(outbox_site)
    before = outbox_site.cli("status").output
    with outbox_site.open_store() as store:
        people = list(store.subscribers())

    result = outbox_site.cli("store", "migrate", "--to", url, "--password-env", PASSWORD_ENV)

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith(f"Copied {outbox_site.store_path} to {url}: ")
    counts = set(lines[0].split(": ", 1)[1].rstrip(".").split(", "))
    assert {
        "2 meta",
        "3 subscribers",
        "2 digests",
        "2 digest_posts",
        "6 deliveries",
        "1 subscriber_topics",
    } <= counts
    assert "1 delivery_events" in counts
    assert lines[1].startswith("Row counts and checksum match (sha256 ")
    outbox_site.configure(store={"url": url, "password_env": PASSWORD_ENV})
    assert outbox_site.cli("status").output == before
    with outbox_site.open_store() as store:
        assert list(store.subscribers()) == people  # ids, dates, nonces, language and topics
        bob = store.subscriber(email="bob@example.org")
        assert bob is not None and [e.key for e in store.delivery_events(bob.id)] == ["m-1"]
        later = StoredEvent("complaint", "arf", "m-2", NOW, NOW, bob.id, 2, "bob@example.org")
        assert store.record_delivery_event(later)  # a new event's id follows the copied ones
    assert outbox_site.send().composition.digests == ()  # nothing sent twice, nothing composed again
    outbox_site.subscribe("new@example.org")
    [(new_id,)] = outbox_site.rows("SELECT id FROM subscribers WHERE email = ?", "new@example.org")
    assert new_id == 5  # after the removed subscriber's 3 and the last one's 4


def test_store_migrate_into_a_store_in_use_writes_nothing(outbox_site: DigestSite, url: str) -> None:
    sqlite_site_with_history(outbox_site)
    with open_pg(url) as store:
        store.add_subscriber("already@example.org", None)

    result = outbox_site.cli("store", "migrate", "--to", url, "--password-env", PASSWORD_ENV)

    assert result.exit_code == 1
    assert result.output == f"Error: {url}: already holds subscribers; copy into an empty store only\n"
    assert pg_rows(url, "SELECT email FROM subscribers") == [("already@example.org",)]
    assert pg_rows(url, "SELECT count(*) FROM digests") == [(0,)]


def test_store_migrate_refuses_a_password_on_the_command_line(outbox_site: DigestSite, url: str) -> None:
    sqlite_site_with_history(outbox_site)
    result = outbox_site.cli("store", "migrate", "--to", url.replace("bulletin@", "bulletin:hunter2@"))
    assert result.exit_code == 2
    assert "must not hold a password" in result.output and "hunter2" not in result.output

"""The bounce and complaint rules on a real SQLite store: who an event is about, what it does, once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from bulletin.bounces.events import DeliveryEvent, EventKind
from bulletin.bounces.rules import RuleSettings, apply_event
from bulletin.bounces.verp import VerpSigner, parse_token, token_in, verp_address
from bulletin.store import DigestPost, EventCounts, RenderedDigest, RenderedVariant, Subscriber
from bulletin.store.sqlite import SqliteStore
from bulletin.tokens import TokenSigner

from .conftest import StoreBackend
from .postgres_server import open_test_store

pytestmark = pytest.mark.both_backends

NOW = dt.datetime(2026, 4, 12, 5, 0, tzinfo=dt.UTC)
SECRET = "test-secret-0123456789-abcdef"
NONCE = "0123456789abcdef"
RENDERED = RenderedDigest(named=RenderedVariant("s", "t", "h"), anonymous=RenderedVariant("s", "t", "h"))
VERP = VerpSigner(TokenSigner(SECRET))
SETTINGS = RuleSettings(soft_limit=3, window=dt.timedelta(days=30), verp=VERP)


@pytest.fixture
def store(tmp_path: Path, store_backend: StoreBackend) -> Iterator[SqliteStore]:
    """The store on each backend in turn (typed as SQLite's: both meet Store)."""
    with open_test_store(store_backend.kind, store_backend.url, tmp_path / "state" / "bulletin.db") as opened:
        opened.add_subscriber("анна@клиника.kz", "Анна")
        opened.add_subscriber("bob@example.org", None)
        number = opened.create_digest(
            [DigestPost("/blog/a", "A", "https://clinic.example/blog/a", NOW)], RENDERED, NONCE, NOW
        )
        assert number == 1
        yield opened


def person(store: SqliteStore, email: str) -> Subscriber:
    found = store.subscriber(email=email)
    assert found is not None
    return found


def event(kind: EventKind, key: str, when: dt.datetime = NOW, **fields: str) -> DeliveryEvent:
    return DeliveryEvent(kind=kind, source="dsn", key=key, occurred_at=when, **fields)


def test_a_hard_bounce_to_a_verp_address_bounces_its_subscriber_and_cancels_what_is_queued(
    store: SqliteStore,
) -> None:
    anna = person(store, "анна@клиника.kz")
    token = VERP.make(1, anna.id, anna.token_nonce)

    outcome = apply_event(store, event("hard_bounce", "k1", verp_token=token, code="5.1.1"), SETTINGS, NOW)

    assert (outcome.match.by, outcome.match.digest_id, outcome.changed) == ("verp", 1, True)
    assert (outcome.status_before, outcome.status_after) == ("active", "bounced")
    assert person(store, "анна@клиника.kz").status == "bounced"
    assert person(store, "bob@example.org").status == "active"
    assert store.delivery_counts(1).cancelled == 1
    assert store.event_counts(1) == EventCounts(hard_bounces=1)
    [stored] = store.delivery_events(anna.id)
    assert (stored.kind, stored.code, stored.digest_id) == ("hard_bounce", "5.1.1", 1)
    assert stored.recorded_at == NOW
    assert outcome.describe() == "анна@клиника.kz: hard bounce 5.1.1, active -> bounced"


def test_the_same_event_twice_changes_nothing_the_second_time(store: SqliteStore) -> None:
    bob = person(store, "bob@example.org")
    first = apply_event(store, event("complaint", "arf-1", recipient="bob@example.org"), SETTINGS, NOW)
    store.set_subscriber_status(bob.id, "active")  # a person puts them back by hand
    again = apply_event(store, event("complaint", "arf-1", recipient="bob@example.org"), SETTINGS, NOW)

    assert first.recorded and first.status_after == "unsubscribed"
    assert not again.recorded and not again.changed
    assert person(store, "bob@example.org").status == "active"
    assert len(store.delivery_events(bob.id)) == 1


def test_a_complaint_unsubscribes_even_a_bounced_subscriber_and_is_recorded_as_a_complaint(
    store: SqliteStore,
) -> None:
    bob = person(store, "bob@example.org")
    store.set_subscriber_status(bob.id, "bounced")
    outcome = apply_event(store, event("complaint", "arf-2", recipient="BOB@example.org"), SETTINGS, NOW)

    assert (outcome.match.by, outcome.status_after) == ("recipient", "unsubscribed")
    assert [e.kind for e in store.delivery_events(bob.id)] == ["complaint"]


def test_a_bounce_never_turns_an_unsubscribed_subscriber_into_a_bounced_one(store: SqliteStore) -> None:
    bob = person(store, "bob@example.org")
    store.set_subscriber_status(bob.id, "unsubscribed")
    outcome = apply_event(store, event("hard_bounce", "k", recipient="bob@example.org"), SETTINGS, NOW)
    assert outcome.recorded and not outcome.changed
    assert person(store, "bob@example.org").status == "unsubscribed"


def test_soft_bounces_bounce_at_the_limit_within_the_window_only(store: SqliteStore) -> None:
    bob = person(store, "bob@example.org")
    old = NOW - dt.timedelta(days=31)
    outcomes = [
        apply_event(store, event("soft_bounce", key, when, recipient=bob.email), SETTINGS, NOW)
        for key, when in (("s0", old), ("s1", NOW - dt.timedelta(days=2)), ("s2", NOW))
    ]
    assert [o.soft_bounces for o in outcomes] == [0, 1, 2]
    assert person(store, "bob@example.org").status == "active"
    assert outcomes[-1].describe() == "bob@example.org: soft bounce, 2 within the window, still active"

    third = apply_event(store, event("soft_bounce", "s3", code="4.2.2", recipient=bob.email), SETTINGS, NOW)
    assert (third.soft_bounces, third.status_after) == (3, "bounced")


def test_the_message_id_names_digest_and_subscriber_when_there_is_no_token(store: SqliteStore) -> None:
    anna = person(store, "анна@клиника.kz")
    mid = f"<{NONCE}.1.{anna.id}@clinic.example>"
    outcome = apply_event(store, event("hard_bounce", "m", message_id=mid), SETTINGS, NOW)
    assert (outcome.match.by, outcome.match.digest_id, outcome.status_after) == ("message-id", 1, "bounced")


def test_a_message_id_with_another_nonce_is_not_ours_and_falls_back_to_the_recipient(
    store: SqliteStore,
) -> None:
    anna = person(store, "анна@клиника.kz")
    mid = f"<ffffffffffffffff.1.{anna.id}@clinic.example>"
    outcome = apply_event(
        store, event("hard_bounce", "m", message_id=mid, recipient="bob@example.org"), SETTINGS, NOW
    )
    assert (outcome.match.by, outcome.match.subscriber and outcome.match.subscriber.email) == (
        "recipient",
        "bob@example.org",
    )
    assert person(store, "анна@клиника.kz").status == "active"


def test_a_forged_verp_token_matches_nobody(store: SqliteStore) -> None:
    anna = person(store, "анна@клиника.kz")
    forged = VerpSigner(TokenSigner("another-secret-9876543210-zyxw")).make(1, anna.id, anna.token_nonce)
    outcome = apply_event(store, event("hard_bounce", "f", verp_token=forged), SETTINGS, NOW)
    assert outcome.match.subscriber is None and outcome.recorded
    assert outcome.describe() == "unknown: hard bounce kept, no subscriber found"
    assert person(store, "анна@клиника.kz").status == "active"
    [kept] = store.unmatched_delivery_events()
    assert (kept.key, kept.subscriber_id) == ("f", None)


def test_an_event_about_nobody_is_kept_once_and_changes_nothing(store: SqliteStore) -> None:
    first = apply_event(store, event("hard_bounce", "n", recipient="ghost@example.org"), SETTINGS, NOW)
    again = apply_event(store, event("hard_bounce", "n", recipient="ghost@example.org"), SETTINGS, NOW)
    assert first.recorded and not again.recorded
    assert [e.recipient for e in store.unmatched_delivery_events()] == ["ghost@example.org"]
    assert store.count_subscribers("active") == 2


def test_the_same_key_from_two_sources_is_two_events(store: SqliteStore) -> None:
    one = apply_event(store, event("soft_bounce", "id-7", recipient="bob@example.org"), SETTINGS, NOW)
    other = DeliveryEvent("soft_bounce", "postmark", "id-7", NOW, recipient="bob@example.org")
    assert one.recorded and apply_event(store, other, SETTINGS, NOW).recorded


def test_removing_a_subscriber_removes_their_events(store: SqliteStore) -> None:
    apply_event(store, event("complaint", "c", recipient="bob@example.org"), SETTINGS, NOW)
    assert store.remove_subscriber("bob@example.org")
    assert store.unmatched_delivery_events() == [] and store.event_counts(1) == EventCounts()


def test_a_verp_address_fits_a_local_part_and_gives_its_token_back() -> None:
    token = VERP.make(999_999_999_999, 999_999_999_999, "a" * 24)
    address = verp_address("bounces@clinic.kz", token)
    assert len(address.partition("@")[0]) <= 64
    assert token_in(address.upper()) == token  # a relay that upper-cases it changes nothing
    parsed = parse_token(token)
    assert parsed is not None and VERP.check(parsed, "a" * 24)
    assert not VERP.check(parsed, "b" * 24)
    assert token_in("bounces@clinic.kz") is None and token_in("bounces+x-1-2@clinic.kz") is None


def test_a_token_made_before_a_secret_rotation_still_checks() -> None:
    old = VerpSigner(TokenSigner("the-old-secret-0123456789-abc"))
    rotated = VerpSigner(TokenSigner(SECRET, ("the-old-secret-0123456789-abc",)))
    parsed = parse_token(old.make(1, 2, None))
    assert parsed is not None and rotated.check(parsed, None) and not VERP.check(parsed, None)

"""The PostgreSQL store's subscribers: their rows, language and topics, sign-ups and confirmations.

The language is a column of ``subscribers`` (NULL: the site's default language); the
topics are rows of ``subscriber_topics``, read for a page of subscribers in one query,
as in SQLite (``sqlite_preferences``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from ..errors import SubscriberError
from .pg_connection import Connections, reported, scalar
from .records import SUBSCRIBER_STATUSES, NewSubscriber, Subscriber, Topic
from .sqlite_connection import iso

LARGEST_ID = 2**63 - 1  # bigint: a larger number names no row
SUBSCRIBER_COLUMNS = "s.id, s.email, s.name, s.status, s.created_at, s.token_nonce, s.language"
# A new, unsubscribed or bounced address becomes 'pending'; an active or pending one stays.
_REQUEST_SUBSCRIPTION = (
    "INSERT INTO subscribers AS s (email, name, status, created_at, updated_at)"
    " VALUES (%(email)s, %(name)s, 'pending', %(now)s, %(now)s) ON CONFLICT (email) DO UPDATE SET"
    " status = 'pending', updated_at = excluded.updated_at WHERE s.status IN ('unsubscribed', 'bounced')"
)


def subscriber_from_row(row: Any, topics: frozenset[Topic] = frozenset()) -> Subscriber:
    return Subscriber(
        row.id, row.email, row.name, row.status, iso(row.created_at), row.token_nonce, row.language, topics
    )


def subscribers_from_rows(db: Any, rows: Sequence[Any]) -> list[Subscriber]:
    """The subscribers of ``rows`` (with SUBSCRIBER_COLUMNS), each with their topics."""
    found: dict[int, set[Topic]] = {}
    if rows:
        for topic in db.execute(
            "SELECT subscriber_id, taxonomy, term FROM subscriber_topics WHERE subscriber_id = ANY(%s)",
            ([row.id for row in rows],),
        ):
            found.setdefault(topic.subscriber_id, set()).add((topic.taxonomy, topic.term))
    return [subscriber_from_row(row, frozenset(found.get(row.id, ()))) for row in rows]


def _write_topics(db: Any, subscriber_id: int, topics: Iterable[Topic]) -> None:
    db.execute("DELETE FROM subscriber_topics WHERE subscriber_id = %s", (subscriber_id,))
    with db.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO subscriber_topics (subscriber_id, taxonomy, term) VALUES (%s, %s, %s)",
            [(subscriber_id, taxonomy, term) for taxonomy, term in sorted(set(topics))],
        )


class PgSubscribers:
    """The subscriber methods of ``PostgresStore`` (which sets ``connections``)."""

    connections: Connections

    @reported
    def add_subscriber(
        self,
        email: str,
        name: str | None,
        status: str = "active",
        *,
        language: str | None = None,
        topics: frozenset[Topic] = frozenset(),
    ) -> bool:
        with self.connections.transaction() as db:
            return _insert(db, NewSubscriber(email, name, language, topics), status)

    @reported
    def add_subscribers(self, people: Sequence[tuple[str, str | None] | NewSubscriber]) -> list[bool]:
        with self.connections.transaction() as db:
            return [_insert(db, NewSubscriber(*person)) for person in people]

    @reported
    def set_subscriber_preferences(
        self, subscriber_id: int, language: str | None, topics: frozenset[Topic]
    ) -> None:
        with self.connections.transaction() as db:
            db.execute(
                "UPDATE subscribers SET language = %s, updated_at = now() WHERE id = %s",
                (language, subscriber_id),
            )
            _write_topics(db, subscriber_id, topics)

    @reported
    def subscriber(self, *, email: str | None = None, id: int | None = None) -> Subscriber | None:
        if id is not None and not -LARGEST_ID <= id <= LARGEST_ID:
            return None
        column, value = ("email", email) if email is not None else ("id", id)
        with self.connections.transaction() as db:
            row = db.execute(f"SELECT {SUBSCRIBER_COLUMNS} FROM subscribers s WHERE {column} = %s", (value,))
            found = subscribers_from_rows(db, row.fetchall())
        return found[0] if found else None

    def subscribers(self, status: str | None = None, batch: int = 500) -> Iterator[Subscriber]:
        if status is not None and status not in SUBSCRIBER_STATUSES:
            raise SubscriberError(f"unknown status {status!r}: use one of {', '.join(SUBSCRIBER_STATUSES)}")
        after = 0
        while page := self._subscriber_page(status, after, batch):
            yield from page
            after = page[-1].id

    @reported
    def _subscriber_page(self, status: str | None, after: int, batch: int) -> list[Subscriber]:
        with self.connections.transaction() as db:
            rows = db.execute(
                f"SELECT {SUBSCRIBER_COLUMNS} FROM subscribers s WHERE id > %s"
                " AND (%s::text IS NULL OR status = %s) ORDER BY id LIMIT %s",
                (after, status, status, batch),
            ).fetchall()
            return subscribers_from_rows(db, rows)

    @reported
    def count_subscribers(self, status: str = "active") -> int:
        with self.connections.transaction() as db:
            return int(scalar(db, "SELECT count(*) FROM subscribers WHERE status = %s", (status,)))

    @reported
    def set_subscriber_status(self, subscriber_id: int, status: str) -> None:
        with self.connections.transaction() as db:
            db.execute(
                "UPDATE subscribers SET status = %s, updated_at = now() WHERE id = %s",
                (status, subscriber_id),
            )
            if status != "active":
                # Anything still queued for this subscriber must not go out.
                db.execute(
                    "UPDATE deliveries SET status = 'cancelled', last_error = %s"
                    " WHERE subscriber_id = %s AND status = 'pending'",
                    (f"subscriber {status}", subscriber_id),
                )

    @reported
    def request_subscription(
        self,
        email: str,
        name: str | None,
        now: dt.datetime,
        *,
        language: str | None = None,
        topics: frozenset[Topic] = frozenset(),
    ) -> Subscriber:
        with self.connections.transaction() as db:
            _request(db, email, name, now, language, topics)
        subscriber = self.subscriber(email=email)
        assert subscriber is not None
        return subscriber

    @reported
    def confirm_subscriber(self, subscriber_id: int) -> bool:
        # Only 'pending' may be confirmed: an old link must not bring back someone who left.
        with self.connections.transaction() as db:
            cursor = db.execute(
                "UPDATE subscribers SET status = 'active', updated_at = now()"
                " WHERE id = %s AND status = 'pending'",
                (subscriber_id,),
            )
            return cursor.rowcount == 1

    @reported
    def claim_confirmation_slot(self, subscriber_id: int, now: dt.datetime, interval: dt.timedelta) -> bool:
        with self.connections.transaction() as db:
            cursor = db.execute(
                "UPDATE subscribers SET confirm_sent_at = %s WHERE id = %s"
                " AND (confirm_sent_at IS NULL OR confirm_sent_at <= %s)",
                (now, subscriber_id, now - interval),
            )
            return cursor.rowcount == 1

    @reported
    def sign_up(
        self,
        email: str,
        name: str | None,
        now: dt.datetime,
        interval: dt.timedelta,
        *,
        language: str | None = None,
        topics: frozenset[Topic] = frozenset(),
    ) -> None:
        with self.connections.transaction() as db:
            # The same statements for every address, whatever it finds.
            _request(db, email, name, now, language, topics)
            db.execute(
                "UPDATE subscribers SET confirm_sent_at = %(now)s, confirm_queued_at = %(now)s"
                " WHERE email = %(email)s AND status = 'pending'"
                " AND (confirm_sent_at IS NULL OR confirm_sent_at <= %(since)s)",
                {"now": now, "email": email, "since": now - interval},
            )

    @reported
    def remove_subscriber(self, email: str) -> bool:
        with self.connections.transaction() as db:
            return bool(db.execute("DELETE FROM subscribers WHERE email = %s", (email,)).rowcount == 1)


def _insert(db: Any, person: NewSubscriber, status: str = "active") -> bool:
    """Insert a subscriber with their topics, inside the caller's transaction."""
    row = db.execute(
        "INSERT INTO subscribers (email, name, status, created_at, updated_at, language)"
        " VALUES (%s, %s, %s, now(), now(), %s) ON CONFLICT (email) DO NOTHING RETURNING id",
        (person.email, person.name, status, person.language),
    ).fetchone()
    if row is not None and person.topics:
        _write_topics(db, row.id, person.topics)
    return row is not None


def _request(
    db: Any, email: str, name: str | None, now: dt.datetime, language: str | None, topics: frozenset[Topic]
) -> None:
    """A sign-up's row: pending as _REQUEST_SUBSCRIPTION says, with the choices made on the form
    while it is pending (an active subscriber's stay as they are)."""
    db.execute(_REQUEST_SUBSCRIPTION, {"email": email, "name": name, "now": now})
    db.execute(
        "UPDATE subscribers SET language = %s WHERE email = %s AND status = 'pending'", (language, email)
    )
    pending = "(SELECT id FROM subscribers WHERE email = %s AND status = 'pending')"
    db.execute(f"DELETE FROM subscriber_topics WHERE subscriber_id IN {pending}", (email,))
    with db.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO subscriber_topics (subscriber_id, taxonomy, term)"
            " SELECT id, %s, %s FROM subscribers WHERE email = %s AND status = 'pending'",
            [(taxonomy, term, email) for taxonomy, term in sorted(set(topics))],
        )

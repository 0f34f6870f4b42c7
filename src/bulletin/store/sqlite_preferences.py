"""The SQLite store's subscriber preferences: each subscriber's language and the topics they chose.

The language is a column of ``subscribers`` (NULL: the site's default language); the
topics are rows of ``subscriber_topics``, read for a page of subscribers in one query.
"""

from __future__ import annotations

import dataclasses
import sqlite3
from collections.abc import Iterable, Sequence

from .records import Subscriber, Topic

# SQLite allows 32,766 parameters per statement since 3.32; a page of ids stays far below.
_IDS_PER_QUERY = 900


def subscriber_from_row(row: sqlite3.Row, topics: frozenset[Topic] = frozenset()) -> Subscriber:
    return Subscriber(
        row["id"],
        row["email"],
        row["name"],
        row["status"],
        row["created_at"],
        row["token_nonce"],
        row["language"],
        topics,
    )


def topics_of(db: sqlite3.Connection, subscriber_ids: Sequence[int]) -> dict[int, frozenset[Topic]]:
    """The topics of each of these subscribers that has any."""
    found: dict[int, set[Topic]] = {}
    for start in range(0, len(subscriber_ids), _IDS_PER_QUERY):
        chunk = subscriber_ids[start : start + _IDS_PER_QUERY]
        rows = db.execute(
            "SELECT subscriber_id, taxonomy, term FROM subscriber_topics"
            f" WHERE subscriber_id IN ({','.join('?' * len(chunk))})",
            chunk,
        )
        for subscriber_id, taxonomy, term in rows:
            found.setdefault(subscriber_id, set()).add((taxonomy, term))
    return {subscriber_id: frozenset(topics) for subscriber_id, topics in found.items()}


def subscribers_from_rows(db: sqlite3.Connection, rows: Sequence[sqlite3.Row]) -> list[Subscriber]:
    """The subscribers of ``rows`` (whole subscriber rows), each with their topics."""
    topics = topics_of(db, [row["id"] for row in rows])
    return [subscriber_from_row(row, topics.get(row["id"], frozenset())) for row in rows]


def write_topics(db: sqlite3.Connection, subscriber_id: int, topics: Iterable[Topic]) -> None:
    """Replace the subscriber's topics; inside the caller's transaction."""
    db.execute("DELETE FROM subscriber_topics WHERE subscriber_id = ?", (subscriber_id,))
    db.executemany(
        "INSERT INTO subscriber_topics (subscriber_id, taxonomy, term) VALUES (?, ?, ?)",
        [(subscriber_id, taxonomy, term) for taxonomy, term in sorted(set(topics))],
    )


def write_topics_of_pending(db: sqlite3.Connection, email: str, topics: Iterable[Topic]) -> None:
    """A web sign-up's topics, for the address only if it is pending (an active subscriber
    changes theirs on the preferences page, never through someone's sign-up)."""
    pending = "(SELECT id FROM subscribers WHERE email = ? AND status = 'pending')"
    db.execute(f"DELETE FROM subscriber_topics WHERE subscriber_id IN {pending}", (email,))
    db.executemany(
        "INSERT INTO subscriber_topics (subscriber_id, taxonomy, term)"
        " SELECT id, ?, ? FROM subscribers WHERE email = ? AND status = 'pending'",
        [(taxonomy, term, email) for taxonomy, term in sorted(set(topics))],
    )


def with_topics(subscriber: Subscriber, topics: frozenset[Topic]) -> Subscriber:
    return dataclasses.replace(subscriber, topics=topics)

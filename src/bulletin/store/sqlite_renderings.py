"""A digest's renderings in SQLite (one per distinct language and posts) and the deliveries naming them."""

from __future__ import annotations

import json
import sqlite3

from ..errors import StoreError
from .records import DigestRendering, DigestSplit, RenderedDigest
from .sqlite_preferences import subscribers_from_rows

_PAGE = 2000  # active subscribers read at a time while the deliveries are written


def write_deliveries(db: sqlite3.Connection, number: int, split: DigestSplit | None) -> None:
    """A delivery per active subscriber: pending with the rendering ``split`` gives them, or
    'empty' when the digest holds nothing for them; then the renderings made. Inside the
    transaction that stores the digest. Without ``split`` every delivery is made from the
    digest's main rendering (NULL), as before digests had several."""
    if split is None:
        db.execute(
            "INSERT INTO deliveries (digest_id, subscriber_id, status)"
            " SELECT ?, id, 'pending' FROM subscribers WHERE status = 'active'",
            (number,),
        )
        return
    after = 0
    while rows := db.execute(
        "SELECT * FROM subscribers WHERE status = 'active' AND id > ? ORDER BY id LIMIT ?", (after, _PAGE)
    ).fetchall():
        rows_out = []
        for subscriber in subscribers_from_rows(db, rows):
            key = split.rendering_for(subscriber)
            rows_out.append((number, subscriber.id, "empty" if key is None else "pending", key))
        db.executemany(
            "INSERT INTO deliveries (digest_id, subscriber_id, status, rendering) VALUES (?, ?, ?, ?)",
            rows_out,
        )
        after = rows[-1]["id"]
    db.executemany(
        "INSERT INTO digest_renderings (digest_id, key, language, routes, whole, rendered)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        [
            (
                number,
                part.key,
                part.language,
                json.dumps(part.routes, ensure_ascii=False),
                int(part.whole),
                json.dumps(part.rendered.as_json(), ensure_ascii=False),
            )
            for part in split.renderings()
        ],
    )


def read_renderings(db: sqlite3.Connection, number: int, where: str) -> list[DigestRendering]:
    """The digest's renderings by key (none for a digest rendered once for everyone)."""
    rows = db.execute(
        "SELECT key, language, routes, whole, rendered FROM digest_renderings"
        " WHERE digest_id = ? ORDER BY key",
        (number,),
    ).fetchall()
    found = []
    for row in rows:
        try:
            routes = tuple(str(route) for route in json.loads(row["routes"]))
            rendered = RenderedDigest.from_json(json.loads(row["rendered"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise StoreError(
                f"{where}: digest {number}, rendering {row['key']} is damaged: {exc!r}"
            ) from None
        found.append(DigestRendering(row["key"], row["language"], routes, rendered, bool(row["whole"])))
    return found

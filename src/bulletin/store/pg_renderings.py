"""A digest's renderings in PostgreSQL (one per distinct language and posts), the deliveries naming them."""

from __future__ import annotations

import json
from typing import Any

from ..errors import StoreError
from .pg_subscribers import SUBSCRIBER_COLUMNS, subscribers_from_rows
from .records import DigestRendering, DigestSplit, RenderedDigest

_PAGE = 2000  # active subscribers read at a time while the deliveries are written


def write_deliveries(db: Any, number: int, split: DigestSplit | None) -> None:
    """A delivery per active subscriber: pending with the rendering ``split`` gives them, or
    'empty' when the digest holds nothing for them; then the renderings made. Inside the
    transaction that stores the digest. Without ``split`` every delivery is made from the
    digest's main rendering (NULL)."""
    if split is None:
        db.execute(
            "INSERT INTO deliveries (digest_id, subscriber_id, status)"
            " SELECT %s, id, 'pending' FROM subscribers WHERE status = 'active'",
            (number,),
        )
        return
    after = 0
    while rows := db.execute(
        f"SELECT {SUBSCRIBER_COLUMNS} FROM subscribers s WHERE status = 'active' AND id > %s"
        " ORDER BY id LIMIT %s",
        (after, _PAGE),
    ).fetchall():
        deliveries = []
        for subscriber in subscribers_from_rows(db, rows):
            key = split.rendering_for(subscriber)
            deliveries.append((number, subscriber.id, "empty" if key is None else "pending", key))
        with db.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO deliveries (digest_id, subscriber_id, status, rendering)"
                " VALUES (%s, %s, %s, %s)",
                deliveries,
            )
        after = rows[-1].id
    with db.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO digest_renderings (digest_id, key, language, routes, whole, rendered)"
            " VALUES (%s, %s, %s, %s, %s, %s)",
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


def read_renderings(db: Any, number: int, where: str) -> list[DigestRendering]:
    """The digest's renderings by key (none for a digest rendered once for everyone)."""
    rows = db.execute(
        "SELECT key, language, routes, whole, rendered FROM digest_renderings"
        " WHERE digest_id = %s ORDER BY key",
        (number,),
    ).fetchall()
    found = []
    for row in rows:
        try:
            routes = tuple(str(route) for route in json.loads(row.routes))
            rendered = RenderedDigest.from_json(json.loads(row.rendered))
        except (ValueError, KeyError, TypeError) as exc:
            raise StoreError(f"{where}: digest {number}, rendering {row.key} is damaged: {exc!r}") from None
        found.append(DigestRendering(row.key, row.language, routes, rendered, bool(row.whole)))
    return found

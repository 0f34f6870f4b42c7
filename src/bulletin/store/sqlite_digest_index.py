"""The archive index's row per digest in SQLite: number, date and post links, no rendering.

The index page once read every digest's whole rendered JSON to show three fields of
it; these rows let a page of the index be one indexed query, however many digests
there are.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Sequence

from .records import DigestPost, DigestSummary, PostLink


def write_index_row(
    db: sqlite3.Connection, number: int, created_at: str, posts: Sequence[DigestPost]
) -> None:
    """The digest's row; called inside the transaction that stores the digest."""
    ordered = sorted(posts, key=lambda post: (post.published_at, post.route))  # as digest_posts() gives them
    db.execute(
        "INSERT INTO digest_index (digest_id, created_at, posts) VALUES (?, ?, ?)",
        (number, created_at, _links_json([_link(post) for post in ordered])),
    )


def _link(post: DigestPost) -> list[str]:
    """[title, url], and the language on a multi-language site: what the index shows of a post."""
    return [post.title, post.url] if post.language is None else [post.title, post.url, post.language]


def summaries(db: sqlite3.Connection, limit: int, offset: int) -> list[DigestSummary]:
    rows = db.execute(
        "SELECT digest_id, created_at, posts FROM digest_index ORDER BY digest_id DESC LIMIT ? OFFSET ?",
        (limit, offset),
    )
    return [_summary(row[0], row[1], row[2]) for row in rows]


def _summary(number: int, created_at: str, posts: str) -> DigestSummary:
    try:
        links = tuple(
            PostLink(str(title), str(url), str(language[0]) if language else None)
            for title, url, *language in json.loads(posts)
        )
    except (ValueError, TypeError):
        # A damaged row costs its titles, not the index page: the digest is still listed.
        links = ()
    return DigestSummary(number, dt.datetime.fromisoformat(created_at), links)


def _links_json(links: list[list[str]] | list[tuple[str, str]]) -> str:
    return json.dumps(links, ensure_ascii=False)


def fill_index(db: sqlite3.Connection) -> None:
    """Rows for the digests stored before the index existed, from their dates and posts (the
    same tables the index page read then; the rendered JSON is neither needed nor decoded)."""
    links: dict[int, list[tuple[str, str]]] = {}
    # One pass over the posts: digest_posts has no index on digest_id.
    for digest_id, title, url in db.execute(
        "SELECT digest_id, title, url FROM digest_posts ORDER BY digest_id, published_at, route"
    ):
        links.setdefault(digest_id, []).append((title, url))
    db.executemany(
        "INSERT INTO digest_index (digest_id, created_at, posts) VALUES (?, ?, ?)",
        [
            (digest_id, created_at, _links_json(links.get(digest_id, [])))
            for digest_id, created_at in db.execute("SELECT id, created_at FROM digests ORDER BY id")
        ],
    )

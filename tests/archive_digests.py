"""Digests stored straight into a site's store, for the archive index tests and bench."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from bulletin.store import DigestPost, RenderedDigest, RenderedVariant
from bulletin.store.sqlite import SqliteStore

FIRST_SENT = dt.datetime(2026, 1, 5, 4, 0, tzinfo=dt.UTC)
RENDERED = RenderedDigest(*[RenderedVariant("Выпуск", "Текст", "<html><body><p>Сәлем</p></body></html>")] * 2)
# Russian, Kazakh, and characters HTML must escape.
TITLES = ("Приём в субботу", "Жаңа дәрігер қабылдайды", 'Скидки <до> 20% & "подарки"')


def posts_of(number: int) -> list[DigestPost]:
    """Digest ``number``'s posts: 1 to 3 of them, given newest first so order is the store's work."""
    count = number % 3 + 1
    published = FIRST_SENT + dt.timedelta(days=7 * number)
    return [
        DigestPost(
            f"/blog/{number}-{index}",
            f"{TITLES[index]} №{number}",
            f"https://clinic.example/blog/{number}-{index}",
            published - dt.timedelta(hours=index),
        )
        for index in range(count)
    ]


def store_digests(store_path: Path, count: int) -> None:
    """Digests 1..count, a week apart (those already there are kept and numbering goes on)."""
    store_path.parent.mkdir(parents=True, exist_ok=True)
    with SqliteStore(store_path) as store:
        first = store.next_digest_number()
        for number in range(first, first + count):
            sent = FIRST_SENT + dt.timedelta(days=7 * number, hours=1)
            assert store.create_digest(posts_of(number), RENDERED, f"nonce-{number}", sent) == number

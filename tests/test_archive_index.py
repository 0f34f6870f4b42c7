"""The digest archive's index (issue 16 item 9): a small row per digest, written with it and
filled for older stores; pages of 50, served and built alike; damaged digests still listed."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import pytest

from bulletin.store import DigestSummary, PostLink
from bulletin.store.sqlite import SqliteStore

from .archive_digests import FIRST_SENT, posts_of, store_digests
from .digest_site import DigestSite
from .test_store_migrations import make_old_store
from .test_web import client_for

GOLDEN = Path(__file__).parent / "golden" / "archive"
BUILD_AT = "2026-11-27T10:00:00+05:00"


def listed(html: str) -> list[int]:
    return [int(number) for number in re.findall(r'<li><a href="/archive/(\d+)/">', html)]


def links(html: str, rel: str) -> list[str]:
    return re.findall(rf'<a rel="{rel}" href="([^"]+)">', html)


def test_a_new_digest_gets_its_index_row_in_the_same_write(outbox_site: DigestSite) -> None:
    store_digests(outbox_site.store_path, 2)

    rows = outbox_site.rows("SELECT digest_id, created_at, posts FROM digest_index ORDER BY digest_id")
    assert [row[0] for row in rows] == [1, 2]
    assert rows[0][1] == outbox_site.rows("SELECT created_at FROM digests WHERE id = 1")[0][0]
    # Oldest post first, as the digest lists them, though they were given newest first.
    assert json.loads(rows[1][2]) == [[post.title, post.url] for post in reversed(posts_of(2))]
    with SqliteStore(outbox_site.store_path) as store:
        assert store.digest_count() == 2
        [second, first] = store.digest_summaries(50)
        assert store.digest_summaries(1, offset=1) == [first]
    assert first.number == 1 and first.created_at > FIRST_SENT
    assert first.posts == tuple(PostLink(post.title, post.url) for post in reversed(posts_of(1)))


def test_a_digest_refused_as_a_duplicate_leaves_no_index_row(outbox_site: DigestSite) -> None:
    store_digests(outbox_site.store_path, 1)
    with SqliteStore(outbox_site.store_path) as store:
        record = store.digest(1)
        assert record is not None
        assert store.create_digest(posts_of(1), record.rendered, "again", FIRST_SENT) is None
        assert store.digest_count() == 1


def add_old_posts(path: Path) -> None:
    """Posts of the old store's digest 1, and a digest 2 whose rendering no code can read."""
    db = sqlite3.connect(path, isolation_level=None)
    db.executemany(
        "INSERT INTO digest_posts VALUES (?, ?, ?, ?, ?)",
        [
            ("/b", 1, "Вторая", "https://c.example/b", "2025-11-01T10:00:00+00:00"),
            ("/a", 1, "Первая <b>", "https://c.example/a", "2025-10-30T10:00:00+00:00"),
            ("/c", 2, "Үшінші", "https://c.example/c", "2025-11-08T10:00:00+00:00"),
        ],
    )
    db.execute(
        "INSERT INTO digests VALUES (2, ?, 'n2', ?)", ("2025-11-09T08:30:00.000000+00:00", '{"variants": 7}')
    )
    db.close()


def test_a_store_made_by_older_code_gets_rows_for_its_digests(tmp_path: Path) -> None:
    old = tmp_path / "old.db"
    make_old_store(old)
    add_old_posts(old)

    with SqliteStore(old) as store:
        summaries = store.digest_summaries(50)
        count = store.digest_count()

    assert count == 2
    assert [(s.number, s.created_at.isoformat()) for s in summaries] == [
        (2, "2025-11-09T08:30:00+00:00"),
        (1, "2025-11-02T08:30:00+00:00"),
    ]
    assert summaries[0].posts == (PostLink("Үшінші", "https://c.example/c"),)
    assert summaries[1].posts == (
        PostLink("Первая <b>", "https://c.example/a"),
        PostLink("Вторая", "https://c.example/b"),
    )


@pytest.mark.parametrize(("language", "digests"), [("ru", 4), ("kk", 4)], ids=["ru", "kk"])
def test_a_one_page_index_is_the_page_the_old_code_showed(
    outbox_site: DigestSite, language: str, digests: int
) -> None:
    # The golden files were written by the code before the index rows, on these digests.
    outbox_site.configure(site={"language": language})
    store_digests(outbox_site.store_path, digests)
    with client_for(outbox_site) as client:
        page = client.get("/archive/").text
    assert page == (GOLDEN / f"index-{digests}-digests-{language}.html").read_text(encoding="utf-8")


@pytest.mark.parametrize(("digests", "pages"), [(0, 1), (1, 1), (50, 1), (51, 2), (101, 3)])
def test_pages_of_fifty_newest_first(outbox_site: DigestSite, digests: int, pages: int) -> None:
    store_digests(outbox_site.store_path, digests)
    with client_for(outbox_site) as client:
        served = [client.get("/archive/")] + [client.get(f"/archive/page/{n}/") for n in range(2, pages + 1)]
        beyond = [client.get(f"/archive/page/{n}/") for n in (0, pages + 1, 10**30)]
        first_again = client.get("/archive/page/1/", follow_redirects=False)
        no_slash = client.get("/archive/page/2").status_code if pages > 1 else None

    assert [response.status_code for response in served] == [200] * pages
    html = [response.text for response in served]
    assert [number for page in html for number in listed(page)] == list(range(digests, 0, -1))
    assert [len(listed(page)) for page in html[:-1]] == [50] * (pages - 1)
    assert ("Выпусков пока не было." in html[0]) == (digests == 0)
    for n, page in enumerate(html, start=1):
        newer = "/archive/" if n == 2 else f"/archive/page/{n - 1}/"
        assert links(page, "prev") == ([] if n == 1 else [newer])
        assert links(page, "next") == ([f"/archive/page/{n + 1}/"] if n < pages else [])
        assert (f"Страница {n} из {pages}" in page) == (pages > 1)
    assert [response.status_code for response in beyond] == [404, 404, 404]
    assert first_again.status_code == 301 and first_again.headers["location"] == "/archive/"
    assert no_slash in (None, 200)


def test_a_page_kept_in_memory_shows_a_digest_stored_while_the_server_runs(outbox_site: DigestSite) -> None:
    store_digests(outbox_site.store_path, 50)
    with client_for(outbox_site) as client:
        before = [client.get("/archive/").text for _ in range(2)]
        store_digests(outbox_site.store_path, 1)  # as `bulletin send` stores one, another process
        after = client.get("/archive/").text
        page_2 = client.get("/archive/page/2/")

    assert before[0] == before[1] and listed(before[0]) == list(range(50, 0, -1))
    assert listed(after) == list(range(51, 1, -1))
    assert page_2.status_code == 200 and listed(page_2.text) == [1]


def test_the_build_writes_every_page_as_served(outbox_site: DigestSite) -> None:
    outbox_site.post("one", "Первая новость", "2026-04-01 10:00")
    store_digests(outbox_site.store_path, 51)

    result = outbox_site.cli("build", "--now", BUILD_AT)

    assert result.exit_code == 0, result.output
    archive = outbox_site.root / "public" / "archive"
    assert sorted(p.relative_to(archive).as_posix() for p in archive.glob("*index.html")) == ["index.html"]
    assert sorted(p.relative_to(archive).as_posix() for p in (archive / "page").rglob("*.html")) == [
        "page/2/index.html"
    ]
    with client_for(outbox_site) as client:
        assert (archive / "index.html").read_text(encoding="utf-8") == client.get("/archive/").text
        page_2 = (archive / "page" / "2" / "index.html").read_text(encoding="utf-8")
        assert page_2 == client.get("/archive/page/2/").text
    assert listed(page_2) == [1]


def test_damaged_digests_do_not_break_the_index(outbox_site: DigestSite) -> None:
    store_digests(outbox_site.store_path, 3)
    db = sqlite3.connect(outbox_site.store_path, isolation_level=None)
    db.execute("UPDATE digests SET rendered = 'not json' WHERE id = 1")  # its rendering cannot be read
    db.execute("UPDATE digest_index SET posts = '{\"titles\": 1' WHERE digest_id = 2")  # nor its row's posts
    db.close()

    with client_for(outbox_site) as client:
        response = client.get("/archive/")

    assert response.status_code == 200
    assert listed(response.text) == [3, 2, 1]
    entries = response.text.split("<li>")
    assert "Приём в субботу №1" in entries[3]  # the index row does not need the rendering
    assert "№2" not in entries[2]  # the damaged row is listed without titles
    with SqliteStore(outbox_site.store_path) as store:
        [damaged] = store.digest_summaries(1, offset=1)
    assert damaged == DigestSummary(2, damaged.created_at, ())

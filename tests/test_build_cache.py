"""Incremental builds (issue 7): the build cache makes a rebuild faster, never different."""

from __future__ import annotations

import datetime as dt
import os
import pickle
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from bulletin.cli import main
from bulletin.config import Config, load_config
from bulletin.feeds import build_cache
from bulletin.feeds.build import build
from bulletin.feeds.paths import FEED_STYLE_FILE

from .digest_site import NOW as DIGEST_NOW
from .digest_site import DigestSite
from .feed_site import NOW, WriteConfig, parse_feed, simple_post, write_post

FEATURES = {"taxonomies": ["tag", "category"], "archive": True, "limit": 3}
JPEG = b"\xff\xd8\xff\xe0" + b"\0" * 500 + b"\xff\xd9"


def post_text(n: int, title: str | None = None) -> str:
    tag = "чётные" if n % 2 == 0 else "нечётные"
    return simple_post(
        title or f"Пост {n}",
        f"{1 + n:02}-03-2025 10:00",
        body=f"Текст {n}.\n\n![ф](photo.jpg)",
        extra=f"taxonomy:\n  tag: [{tag}]\n  category: [Новости]\n",
    )


def post_path(content: Path, n: int) -> Path:
    return content / "01.blog" / f"post-{n}" / "item.md"


def make_site(write_config: WriteConfig, tmp_path: Path, posts: int = 8, **feeds: Any) -> Config:
    content = tmp_path / "content"
    for n in range(posts):
        write_post(content, f"01.blog/post-{n}/item.md", post_text(n))
        write_post(content, f"01.blog/post-{n}/photo.jpg", JPEG)
    return load_config(write_config(feeds={**FEATURES, **feeds}, site={"icon": "/icon.png"}))


def backdate(root: Path, seconds: int = 60) -> None:
    """Move every file's and folder's mtime into the past, as if written a while ago."""
    for path in [root, *root.rglob("*")]:
        stat = path.stat()
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns - seconds * 10**9))


def snapshot(config: Config) -> dict[str, bytes]:
    output = config.feeds.output_dir
    return {
        p.relative_to(output).as_posix(): p.read_bytes() for p in sorted(output.rglob("*")) if p.is_file()
    }


def entries(config: Config, name: str = "atom.xml") -> dict[str, str]:
    """Entry id -> title of one feed, read as a reader would."""
    feed = parse_feed((config.feeds.output_dir / name).read_bytes())
    return {entry.id: entry.title for entry in feed.entries}


def all_entries(config: Config) -> dict[str, str]:
    """Every post of the site, walked back from the current Atom feed through the archive."""
    found: dict[str, str] = {}
    for page in [
        "atom.xml",
        *sorted(p.name for p in (config.feeds.output_dir / "feed-archive").glob("atom-*")),
    ]:
        name = page if page == "atom.xml" else f"feed-archive/{page}"
        for entry_id, title in entries(config, name).items():
            assert entry_id not in found
            found[entry_id] = title
    return found


def url(n: int) -> str:
    return f"https://clinic.example/blog/post-{n}"


def cold_output(config: Config) -> dict[str, bytes]:
    """What a build without any cache writes, into a fresh output folder."""
    output = config.feeds.output_dir
    moved = output.with_name(output.name + ".cached")
    output.rename(moved)
    try:
        build(config, NOW, use_cache=False)
        return snapshot(config)
    finally:
        for path in sorted(output.rglob("*"), reverse=True):
            path.unlink() if path.is_file() else path.rmdir()
        output.rmdir()
        moved.rename(output)


def settled(config: Config, tmp_path: Path) -> None:
    """Build, as if the posts had been written a minute ago, then build again."""
    backdate(tmp_path)
    build(config, NOW)
    backdate(tmp_path)
    build(config, NOW)


def test_cache_file_lives_beside_the_store_not_in_the_output(
    write_config: WriteConfig, tmp_path: Path
) -> None:
    config = make_site(write_config, tmp_path)
    backdate(tmp_path)
    build(config, NOW)
    cache = build_cache.BuildCache(config)
    assert cache.cache_path == config.store.path.parent / "build-cache.pickle"
    assert cache.cache_path.is_file() and cache.manifest_path.is_file()
    assert not any(p.name.endswith(".pickle") for p in config.feeds.output_dir.rglob("*"))


def test_unchanged_rebuild_leaves_every_output_alone(write_config: WriteConfig, tmp_path: Path) -> None:
    config = make_site(write_config, tmp_path)
    settled(config, tmp_path)
    assert build_cache.BuildCache(config).manifest_path.is_file()
    output = config.feeds.output_dir
    before = {p: p.stat().st_mtime_ns for p in output.rglob("*") if p.is_file()}
    for _ in range(2):
        result = build(config, NOW)
        assert result.changed == ()
        assert sorted(result.files) == sorted(p for p in before if p.name != FEED_STYLE_FILE)  # feeds only
    assert {p: p.stat().st_mtime_ns for p in output.rglob("*") if p.is_file()} == before


def test_editing_one_title_changes_exactly_that_post(write_config: WriteConfig, tmp_path: Path) -> None:
    config = make_site(write_config, tmp_path)
    build(config, NOW)
    backdate(tmp_path)
    before = all_entries(config)
    write_post(tmp_path / "content", "01.blog/post-6/item.md", post_text(6, "Пост шесть, исправленный"))
    build(config, NOW)
    after = all_entries(config)
    assert after == {**before, url(6): "Пост шесть, исправленный"}
    assert snapshot(config) == cold_output(config)


def test_deleting_and_adding_posts(write_config: WriteConfig, tmp_path: Path) -> None:
    config = make_site(write_config, tmp_path)
    build(config, NOW)
    backdate(tmp_path)
    before = all_entries(config)
    content = tmp_path / "content"
    post_path(content, 7).unlink()
    build(config, NOW)
    assert all_entries(config) == {k: v for k, v in before.items() if k != url(7)}
    assert url(7) not in entries(config, "tag/nechetnye/atom.xml")
    backdate(tmp_path)
    write_post(content, "01.blog/post-20/item.md", post_text(20))
    build(config, NOW)
    after = all_entries(config)
    assert after[url(20)] == "Пост 20"
    assert len(after) == len(before)
    assert snapshot(config) == cold_output(config)


def test_cached_and_uncached_builds_are_byte_identical(write_config: WriteConfig, tmp_path: Path) -> None:
    config = make_site(write_config, tmp_path)
    build(config, NOW)
    backdate(tmp_path)
    # Outputs gone, cache kept: every post comes from the cache this time.
    cached_first = snapshot(config)
    for path in config.feeds.output_dir.rglob("*.xml"):
        path.unlink()
    build(config, NOW)
    assert snapshot(config) == cached_first == cold_output(config)


def test_no_cache_reads_every_post_again(write_config: WriteConfig, tmp_path: Path) -> None:
    config = make_site(write_config, tmp_path)
    build(config, NOW)
    backdate(tmp_path)
    # A file changed behind the cache's back: same size, same mtime. Only a build
    # that ignores the cache can see it, which is what --no-cache is for.
    path = post_path(tmp_path / "content", 5)
    stat = path.stat()
    path.write_text(post_text(5, "Пост Z"), encoding="utf-8")
    assert path.stat().st_size == stat.st_size
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    result = CliRunner().invoke(
        main, ["build", "--config", str(config.path), "--no-cache", "--now", NOW.isoformat()]
    )
    assert result.exit_code == 0, result.output
    assert entries(config)[url(5)] == "Пост Z"


def test_same_size_new_mtime_is_noticed(write_config: WriteConfig, tmp_path: Path) -> None:
    config = make_site(write_config, tmp_path)
    build(config, NOW)
    backdate(tmp_path)
    path = post_path(tmp_path / "content", 6)
    size = path.stat().st_size
    path.write_text(post_text(6, "Пост W"), encoding="utf-8")
    assert path.stat().st_size == size
    build(config, NOW)
    assert entries(config)[url(6)] == "Пост W"


def test_a_post_rewritten_within_the_same_clock_tick_is_noticed(
    write_config: WriteConfig, tmp_path: Path
) -> None:
    # A file system stamps mtimes with a coarse clock (a jiffy, or a whole second on
    # some), so an edit right after a build can keep size and mtime. Files that new
    # when the cache was written are not trusted.
    config = make_site(write_config, tmp_path)
    path = post_path(tmp_path / "content", 6)
    build(config, NOW)
    stat = path.stat()
    path.write_text(post_text(6, "Пост W"), encoding="utf-8")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    build(config, NOW)
    assert entries(config)[url(6)] == "Пост W"


def test_changing_the_image_beside_a_post_updates_the_enclosure(
    write_config: WriteConfig, tmp_path: Path
) -> None:
    config = make_site(write_config, tmp_path)
    settled(config, tmp_path)
    folder = post_path(tmp_path / "content", 7).parent
    mtime = folder.stat().st_mtime_ns
    (folder / "photo.jpg").write_bytes(JPEG * 3)  # in place: the folder's mtime stays
    assert folder.stat().st_mtime_ns == mtime
    build(config, NOW)
    feed = parse_feed((config.feeds.output_dir / "feed.xml").read_bytes())
    [newest] = [entry for entry in feed.entries if entry.id == url(7)]
    assert newest.enclosures[0].length == str(len(JPEG) * 3)


def test_site_url_change_invalidates_cached_posts(write_config: WriteConfig, tmp_path: Path) -> None:
    config = make_site(write_config, tmp_path)
    build(config, NOW)
    backdate(tmp_path)
    config = load_config(
        write_config(feeds=FEATURES, site={"url": "https://new.example", "icon": "/icon.png"})
    )
    build(config, NOW)
    ids = all_entries(config)
    assert sorted(ids) == sorted(f"https://new.example/blog/post-{n}" for n in range(8))
    json_text = (config.feeds.output_dir / "feed.json").read_text(encoding="utf-8")
    assert "clinic.example" not in json_text
    assert snapshot(config) == cold_output(config)


def test_other_config_change_rebuilds(write_config: WriteConfig, tmp_path: Path) -> None:
    config = make_site(write_config, tmp_path)
    build(config, NOW)
    backdate(tmp_path)
    config = load_config(write_config(feeds=FEATURES, site={"title": "Новое имя", "icon": "/icon.png"}))
    build(config, NOW)
    assert parse_feed((config.feeds.output_dir / "atom.xml").read_bytes()).feed.title == "Новое имя"


def foreign_files(config: Config) -> dict[str, bytes]:
    fingerprint = build_cache.BuildCache(config, enabled=False).fingerprint
    some_post = str(post_path(config.content.dir, 3))
    folder = str(config.content.dir)
    return {
        "empty": b"",
        "garbage": bytes(range(256)) + b"\x00garbage",
        "truncated": pickle.dumps(("x" * 100, {}, {}))[:40],
        "other shape": pickle.dumps({"version": 1, "posts": [["a", 1]]}),
        "four items": pickle.dumps(("a", "b", "c", "d")),
        "number": pickle.dumps(42),
        # An older bulletin's cache naming a module or class that no longer exists.
        "missing module": b"cbulletin.old_cache\nEntry\n(tR.",
        "missing class": b"cbulletin.feeds.build_cache\nOldEntry\n(tR.",
        # The right fingerprint, but entries and listings of another shape.
        "bad entries": pickle.dumps((fingerprint, {some_post: 7}, {folder: 9})),
        "short entries": pickle.dumps((fingerprint, {some_post: (1,)}, {folder: ()})),
        "wrong fields": pickle.dumps((fingerprint, {some_post: (0, 0, ("x",))}, {folder: (0, "a", None)})),
    }


KINDS = [
    "empty",
    "garbage",
    "truncated",
    "other shape",
    "four items",
    "number",
    "missing module",
    "missing class",
    "bad entries",
    "short entries",
    "wrong fields",
]


@pytest.mark.parametrize("which", ["cache_path", "manifest_path"])
@pytest.mark.parametrize("kind", KINDS)
def test_corrupt_or_foreign_cache_is_ignored(
    write_config: WriteConfig, tmp_path: Path, kind: str, which: str
) -> None:
    config = make_site(write_config, tmp_path)
    path = getattr(build_cache.BuildCache(config), which)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(foreign_files(config)[kind])
    result = CliRunner().invoke(main, ["build", "--config", str(config.path), "--now", NOW.isoformat()])
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    assert snapshot(config) == cold_output(config)


@pytest.mark.parametrize("kind", ["bad entries", "short entries", "wrong fields"])
def test_cache_of_another_shape_is_ignored_on_a_rebuild(
    write_config: WriteConfig, tmp_path: Path, kind: str
) -> None:
    # The same, with listings of the folders in the file (a rebuild after a change).
    config = make_site(write_config, tmp_path)
    build(config, NOW)
    backdate(tmp_path)
    cache = build_cache.BuildCache(config)
    with open(cache.cache_path, "rb") as handle:
        fingerprint, entries, listings = pickle.load(handle)
    bad = pickle.loads(foreign_files(config)[kind])
    odd_entry = next(iter(bad[1].values()))
    odd_listing = next(iter(bad[2].values()))
    cache.cache_path.write_bytes(
        pickle.dumps((fingerprint, dict.fromkeys(entries, odd_entry), dict.fromkeys(listings, odd_listing)))
    )
    write_post(tmp_path / "content", "01.blog/post-6/item.md", post_text(6, "Пост шесть, исправленный"))
    build(config, NOW)
    assert entries_of_site(config)[url(6)] == "Пост шесть, исправленный"
    assert snapshot(config) == cold_output(config)


def entries_of_site(config: Config) -> dict[str, str]:
    return all_entries(config)


# The digest archive pages ------------------------------------------------------------------


def test_digest_archive_pages_update_when_a_digest_is_added(tmp_path: Path, secret: str) -> None:
    site = DigestSite(tmp_path / "site", None)
    site.subscribe("reader@example.org")
    site.post("one", "Первая новость", "2026-04-01 10:00")
    assert site.send(DIGEST_NOW).composed == 1
    build(site.config, DIGEST_NOW)
    archive = site.root / "public" / "archive"
    assert (archive / "1" / "index.html").is_file()
    assert not (archive / "2").exists()
    index_before = (archive / "index.html").read_bytes()
    # Nothing changed: the cached rebuild leaves it as it is.
    assert build(site.config, DIGEST_NOW).changed == ()
    site.post("two", "Вторая новость", "2026-04-10 10:00")
    later = DIGEST_NOW + dt.timedelta(days=1)
    assert site.send(later).composed
    result = build(site.config, later)
    assert (archive / "2" / "index.html").is_file()
    index = (archive / "index.html").read_text(encoding="utf-8")
    assert index.encode() != index_before
    assert 'href="/archive/2/"' in index
    assert archive / "2" / "index.html" in result.changed
    assert "Вторая новость" in (archive / "2" / "index.html").read_text(encoding="utf-8")


def test_feeds_of_a_vanished_tag_are_removed(write_config, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from bulletin.config import load_config
    from bulletin.feeds.build import build

    content = tmp_path / "content"
    write_post(content, "a.md", simple_post("A", "01-01-2025", extra="taxonomy:\n    tag: [одинокий]\n"))
    write_post(content, "b.md", simple_post("B", "02-01-2025", extra="taxonomy:\n    tag: [common]\n"))
    config = load_config(write_config(content, feeds={"taxonomies": ["tag"]}))
    moment = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    build(config, moment)
    lonely = tmp_path / "public" / "tag" / "odinokii"
    assert (lonely / "feed.xml").is_file()
    stranger = tmp_path / "public" / "tag" / "mine.txt"
    stranger.write_text("not bulletin's", encoding="utf-8")
    (content / "a.md").unlink()
    build(config, moment)
    assert not lonely.exists()  # its three feeds and the emptied folder are gone
    assert (tmp_path / "public" / "tag" / "common" / "feed.xml").is_file()
    assert stranger.read_text(encoding="utf-8") == "not bulletin's"  # never ours to delete

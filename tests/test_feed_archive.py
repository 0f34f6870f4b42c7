"""RFC 5005 archived feeds (issue 7): paged history a reader can walk, full pages that never change."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from lxml import etree

from bulletin.config import Config, load_config
from bulletin.feeds.build import build

from .feed_site import NOW, SITE_URL, WriteConfig, parse_feed, simple_post, write_post

LIMIT = 3
HISTORY_NS = "http://purl.org/syndication/history/1.0"


def add_posts(content: Path, first: int, count: int) -> None:
    """Posts number first .. first+count-1, one a day from 1 March 2025 on."""
    for n in range(first, first + count):
        day = 1 + n // 24
        write_post(content, f"post-{n:02}.md", simple_post(f"Пост {n}", f"{day:02}-03-2025 {n % 24:02}:00"))


def archive_site(write_config: WriteConfig, tmp_path: Path, posts: int) -> Config:
    add_posts(tmp_path / "content", 0, posts)
    config = load_config(write_config(feeds={"limit": LIMIT, "archive": True}))
    build(config, NOW)
    return config


def links(feed: Any, rel: str) -> list[str]:
    return [str(link["href"]) for link in feed.feed.links if link.get("rel") == rel]


def local(config: Config, url: str) -> Path:
    assert url.startswith(SITE_URL + "/"), url
    return config.feeds.output_dir / url[len(SITE_URL) + 1 :]


def walk(config: Config, current: str) -> tuple[list[str], list[Path]]:
    """Entry ids from the current feed back through every prev-archive link, and the pages seen."""
    ids: list[str] = []
    pages: list[Path] = []
    path = config.feeds.output_dir / current
    while True:
        feed = parse_feed(path.read_bytes())
        ids.extend(entry.id for entry in feed.entries)
        older = links(feed, "prev-archive")
        if not older:
            return ids, pages
        [url] = older
        path = local(config, url)
        assert path not in pages, "prev-archive links go round in a circle"
        pages.append(path)


def post_urls(numbers: range) -> list[str]:
    return [f"{SITE_URL}/post-{n:02}" for n in reversed(numbers)]


def has_archive_marker(data: bytes) -> bool:
    return etree.fromstring(data).find(f".//{{{HISTORY_NS}}}archive") is not None


def test_current_feed_links_to_the_newest_archive_page(write_config: WriteConfig, tmp_path: Path) -> None:
    config = archive_site(write_config, tmp_path, 10)
    output = config.feeds.output_dir
    for name, page in (("feed.xml", "rss-3.xml"), ("atom.xml", "atom-3.xml")):
        feed = parse_feed((output / name).read_bytes())
        assert len(feed.entries) == LIMIT
        assert links(feed, "prev-archive") == [f"{SITE_URL}/feed-archive/{page}"]
        assert links(feed, "next-archive") == []
        assert not has_archive_marker((output / name).read_bytes())
    assert len(json.loads((output / "feed.json").read_bytes())["items"]) == LIMIT


def test_walking_back_from_the_current_feed_finds_every_post_once(
    write_config: WriteConfig, tmp_path: Path
) -> None:
    config = archive_site(write_config, tmp_path, 10)
    for current, prefix in (("feed.xml", "rss"), ("atom.xml", "atom")):
        ids, pages = walk(config, current)
        assert ids == post_urls(range(10))
        assert [p.name for p in pages] == [f"{prefix}-{n}.xml" for n in (3, 2, 1)]


def test_archive_pages_link_both_ways_and_to_current(write_config: WriteConfig, tmp_path: Path) -> None:
    config = archive_site(write_config, tmp_path, 10)
    archive = f"{SITE_URL}/feed-archive"
    for prefix, current in (("rss", "feed.xml"), ("atom", "atom.xml")):
        for page in (1, 2, 3):
            data = (config.feeds.output_dir / "feed-archive" / f"{prefix}-{page}.xml").read_bytes()
            feed = parse_feed(data)
            assert has_archive_marker(data)
            assert links(feed, "current") == [f"{SITE_URL}/{current}"]
            assert links(feed, "self") == [f"{archive}/{prefix}-{page}.xml"]
            assert links(feed, "prev-archive") == ([f"{archive}/{prefix}-{page - 1}.xml"] if page > 1 else [])
            assert links(feed, "next-archive") == ([f"{archive}/{prefix}-{page + 1}.xml"] if page < 3 else [])


def test_archive_pages_hold_the_oldest_posts_first(write_config: WriteConfig, tmp_path: Path) -> None:
    config = archive_site(write_config, tmp_path, 10)
    folder = config.feeds.output_dir / "feed-archive"
    for page, numbers in ((1, range(0, 3)), (2, range(3, 6)), (3, range(6, 7))):
        for prefix in ("rss", "atom"):
            feed = parse_feed((folder / f"{prefix}-{page}.xml").read_bytes())
            assert [entry.id for entry in feed.entries] == post_urls(numbers)


def test_full_pages_stay_byte_identical_as_posts_are_added(write_config: WriteConfig, tmp_path: Path) -> None:
    config = archive_site(write_config, tmp_path, 10)
    folder = config.feeds.output_dir / "feed-archive"
    full = {p.name: p.read_bytes() for p in folder.iterdir() if p.name[-5] in "12"}
    assert sorted(full) == ["atom-1.xml", "atom-2.xml", "rss-1.xml", "rss-2.xml"]
    content = tmp_path / "content"
    for first, count in ((10, 1), (11, 4), (15, 7)):
        add_posts(content, first, count)
        build(config, NOW)
        for name, data in full.items():
            assert (folder / name).read_bytes() == data, name
        ids, _ = walk(config, "atom.xml")
        assert ids == post_urls(range(first + count))
        # Every page that is full now joins the ones that must never change.
        for page in folder.iterdir():
            if len(parse_feed(page.read_bytes()).entries) == LIMIT:
                full.setdefault(page.name, page.read_bytes())
    assert len(full) == 2 * 6  # 22 posts: 3 current, 19 archived = 6 full pages + 1


def test_without_older_posts_the_archive_has_one_empty_page(
    write_config: WriteConfig, tmp_path: Path
) -> None:
    config = archive_site(write_config, tmp_path, 2)
    ids, pages = walk(config, "feed.xml")
    assert ids == post_urls(range(2))
    assert [p.name for p in pages] == ["rss-1.xml"]


def test_without_archive_there_are_no_archive_links(write_config: WriteConfig, tmp_path: Path) -> None:
    add_posts(tmp_path / "content", 0, 10)
    config = load_config(write_config(feeds={"limit": LIMIT}))
    build(config, NOW)
    feed = parse_feed((config.feeds.output_dir / "atom.xml").read_bytes())
    assert links(feed, "prev-archive") == []
    assert not (config.feeds.output_dir / "feed-archive").exists()

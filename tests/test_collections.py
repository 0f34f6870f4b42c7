"""Grav collections: which pages a `content.items` names, in which order, and the build cache."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import feedparser
import pytest
import yaml
from click.testing import CliRunner

from bulletin.cli import main
from bulletin.config import load_config
from bulletin.feeds.build import build
from bulletin.site.grav_site import collection_posts
from bulletin.site.reading import read_site

from .feed_site import ALMATY, NOW, write_post

URL = "https://clinic.example"


def grav_site(tmp_path: Path, pages: dict[str, str], system: dict[str, object] | None = None) -> Path:
    """A Grav user/ tree with ``pages`` (path under pages/ -> file text); returns config.yaml."""
    user = tmp_path / "user"
    (user / "config").mkdir(parents=True)
    (user / "config" / "system.yaml").write_text(
        yaml.safe_dump({"timezone": "Asia/Almaty", **(system or {})}), encoding="utf-8"
    )
    (user / "config" / "site.yaml").write_text("title: 'Клиника'\n", encoding="utf-8")
    (user / "pages").mkdir()
    for name, text in pages.items():
        write_post(user / "pages", name, text)
    config = tmp_path / "config.yaml"
    config.write_text(f"site:\n  url: '{URL}'\ncontent:\n  dir: user\n", encoding="utf-8")
    return config


def item(title: str, date: str, extra: str = "") -> str:
    return f"---\ntitle: '{title}'\ndate: '{date}'\n{extra}---\n\nТекст.\n"


def listing(items: str, extra: str = "") -> str:
    return f"---\ntitle: 'Список'\ncontent:\n{items}{extra}---\n"


BLOG = {
    "01.blog/01.first/item.md": item("Бета", "01-01-2025 10:00", "taxonomy:\n  tag: [a]\n"),
    "01.blog/02.second/item.md": item("альфа", "03-01-2025 10:00", "taxonomy:\n  tag: [a, b]\n"),
    "01.blog/10.third/item.md": item("Гамма", "02-01-2025 10:00", "taxonomy:\n  category: [x]\n"),
    "01.blog/03.sub/item.md": item("Вложенная", "04-01-2025 10:00"),
    "01.blog/03.sub/01.deep/item.md": item("Глубокая", "05-01-2025 10:00", "taxonomy:\n  tag: [b]\n"),
    "02.about/default.md": "---\ntitle: 'О нас'\n---\n",
}


def members(config_path: Path, route: str) -> list[str]:
    """The routes of the posts the collection page at ``route`` holds at NOW, in its order."""
    site, problems = read_site(load_config(config_path))
    assert problems == []
    [collection] = [c for c in site.collections if c.page.route == route]
    return [post.route for post in collection_posts(collection, NOW)]


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        # Children in folder order (Grav's default: by path), never the grandchildren.
        ("  items: '@self.children'\n", ["/blog/first", "/blog/second", "/blog/sub", "/blog/third"]),
        (
            "  items: '@self.descendants'\n",
            ["/blog/first", "/blog/second", "/blog/sub", "/blog/sub/deep", "/blog/third"],
        ),
        ("  items:\n    '@taxonomy.tag': a\n", ["/blog/first", "/blog/second"]),
        # Every term asked for must be there (findTaxonomy's 'and').
        ("  items:\n    '@taxonomy': {tag: [a, b]}\n", ["/blog/second"]),
        ("  items:\n    '@taxonomy': {tag: b, category: x}\n", []),
        # A list: the union, first occurrence kept.
        (
            "  items:\n    - '@taxonomy.category': x\n    - '@taxonomy.tag': b\n",
            ["/blog/third", "/blog/second", "/blog/sub/deep"],
        ),
    ],
)
def test_collection_forms(tmp_path: Path, items: str, expected: list[str]) -> None:
    config = grav_site(tmp_path, {**BLOG, "01.blog/blog.md": listing(items)})
    assert members(config, "/blog") == expected


def test_page_children_names_another_page(tmp_path: Path) -> None:
    pages = {
        **BLOG,
        "01.blog/blog.md": "---\ntitle: 'Блог'\n---\n",
        "03.news/news.md": listing("  items:\n    '@page.children': '/blog'\n"),
    }
    config = grav_site(tmp_path, pages)
    assert members(config, "/news") == ["/blog/first", "/blog/second", "/blog/sub", "/blog/third"]
    pages["03.news/news.md"] = listing("  items:\n    '@page.descendants': '/blog/sub'\n")
    assert members(grav_site(tmp_path / "2", pages), "/news") == ["/blog/sub/deep"]


@pytest.mark.parametrize(
    ("order", "expected"),
    [
        ("by: date\n    dir: desc", ["/blog/sub", "/blog/second", "/blog/third", "/blog/first"]),
        ("by: date", ["/blog/first", "/blog/third", "/blog/second", "/blog/sub"]),
        # Natural and case-insensitive: "альфа" before "Бета"; ASCII digits by value.
        ("by: title", ["/blog/second", "/blog/first", "/blog/sub", "/blog/third"]),
        ("by: folder\n    dir: desc", ["/blog/third", "/blog/sub", "/blog/second", "/blog/first"]),
        ("by: header.rank", ["/blog/second", "/blog/third", "/blog/first", "/blog/sub"]),
        (
            "by: default\n    custom: [third, sub]",
            ["/blog/third", "/blog/sub", "/blog/first", "/blog/second"],
        ),
    ],
)
def test_collection_order(tmp_path: Path, order: str, expected: list[str]) -> None:
    pages = dict(BLOG)
    for name, rank in (("01.first", 30), ("02.second", 4), ("10.third", 12), ("03.sub", 100)):
        path = f"01.blog/{name}/item.md"
        pages[path] = pages[path].replace("---\n\n", f"rank: {rank}\n---\n\n", 1)
    items = f"  items: '@self.children'\n  order:\n    {order}\n"
    config = grav_site(tmp_path, {**pages, "01.blog/blog.md": listing(items)})
    assert members(config, "/blog") == expected


def test_limit_is_the_pages_feed_limit_else_the_plugins(tmp_path: Path) -> None:
    items = "  items: '@self.children'\n  order:\n    by: date\n    dir: desc\n  limit: 1\n"
    pages = {**BLOG, "01.blog/blog.md": listing(items, "feed:\n  limit: 2\n")}
    config = load_config(grav_site(tmp_path, pages))
    build(config, NOW)
    feed = feedparser.parse(config.feeds.output_dir / "blog.rss")
    assert [e.link for e in feed.entries] == [f"{URL}/blog/sub", f"{URL}/blog/second"]
    # The main feed: no home page collection here, so the union, newest first, feeds.limit (10).
    main_feed = feedparser.parse(config.feeds.output_dir / "feed.xml")
    assert [e.link for e in main_feed.entries] == [
        f"{URL}/blog/sub",
        f"{URL}/blog/second",
        f"{URL}/blog/third",
        f"{URL}/blog/first",
    ]
    assert main_feed.feed.title == "Клиника"


def test_without_a_collection_page_every_dated_page_is_a_post(tmp_path: Path) -> None:
    pages = {**BLOG, "01.blog/blog.md": "---\ntitle: 'Блог'\n---\n", "03.untitled/item.md": "---\n---\n"}
    site, problems = read_site(load_config(grav_site(tmp_path, pages)))
    assert problems == []
    routes = sorted(post.route for post in site.posts)
    assert routes == ["/blog/first", "/blog/second", "/blog/sub", "/blog/sub/deep", "/blog/third"]


def test_a_post_without_date_takes_the_file_mtime_with_a_warning(tmp_path: Path) -> None:
    pages = {
        "01.blog/blog.md": listing("  items: '@self.children'\n"),
        "01.blog/undated/item.md": "---\n---\n\nБез даты и заголовка.\n",
    }
    config_path = grav_site(tmp_path, pages)
    path = tmp_path / "user/pages/01.blog/undated/item.md"
    moment = dt.datetime(2025, 6, 1, 9, 30, tzinfo=ALMATY)
    os.utime(path, (moment.timestamp(), moment.timestamp()))
    site, problems = read_site(load_config(config_path))
    [post] = site.posts
    assert problems == [] and post.date == moment and post.title == "Undated"
    result = CliRunner().invoke(
        main,
        ["check", "--config", str(config_path), "--now", NOW.isoformat()],
        env={"BULLETIN_SECRET": "collections-test-secret-0123456789"},  # check reports its absence
    )
    assert result.exit_code == 0, result.output
    assert (
        f"Warning: {path}: no date; the file's modification time (2025-06-01 09:30) is used" in result.output
    )


def test_hide_in_urls_and_a_parent_slug_shape_the_routes(tmp_path: Path) -> None:
    pages = {
        "01.blog/blog.md": listing("  items: '@self.children'\n", "slug: novosti\n"),
        "01.blog/01.first/item.md": item("Первая", "01-01-2025 10:00"),
    }
    system = {"home": {"alias": "/novosti", "hide_in_urls": True}}
    site, problems = read_site(load_config(grav_site(tmp_path, pages, system)))
    assert problems == []
    [post] = site.posts
    assert post.route == "/first" and post.url == f"{URL}/first"
    assert site.home is not None and site.home.page.post.url == f"{URL}/"


def test_editing_the_collection_changes_a_cached_build(tmp_path: Path) -> None:
    blog = tmp_path / "user/pages/01.blog/blog.md"
    config_path = grav_site(tmp_path, {**BLOG, "01.blog/blog.md": listing("  items: '@self.children'\n")})
    config = load_config(config_path)
    feed_path = config.feeds.output_dir / "blog.rss"
    build(config, NOW)
    assert len(feedparser.parse(feed_path).entries) == 4
    # Past the build cache's racy window, so that the second build takes pages from it.
    old = dt.datetime(2025, 1, 1).timestamp()
    for path in (tmp_path / "user").rglob("*"):
        os.utime(path, (old, old))
    build(config, NOW)
    blog.write_text(listing("  items:\n    '@taxonomy.category': x\n"), encoding="utf-8")
    build(config, NOW)
    assert [e.link for e in feedparser.parse(feed_path).entries] == [f"{URL}/blog/third"]


def test_a_parent_slug_change_moves_cached_children(tmp_path: Path) -> None:
    items = "  items: '@self.children'\n"
    config_path = grav_site(tmp_path, {**BLOG, "01.blog/blog.md": listing(items)})
    config = load_config(config_path)
    old = dt.datetime(2025, 1, 1).timestamp()
    for path in (tmp_path / "user").rglob("*"):
        os.utime(path, (old, old))
    build(config, NOW)
    (tmp_path / "user/pages/01.blog/blog.md").write_text(listing(items, "slug: news\n"), encoding="utf-8")
    build(config, NOW)
    links = {e.link for e in feedparser.parse(config.feeds.output_dir / "news.rss").entries}
    assert f"{URL}/news/first" in links and not (config.feeds.output_dir / "blog.rss").exists()


def test_a_folders_frontmatter_yaml_counts_for_collections(tmp_path: Path) -> None:
    pages = {**BLOG, "01.blog/blog.md": listing("  items:\n    '@taxonomy.tag': z\n")}
    config_path = grav_site(tmp_path, pages)
    (tmp_path / "user/pages/01.blog/10.third/frontmatter.yaml").write_text(
        "taxonomy:\n  tag: [z]\n", encoding="utf-8"
    )
    assert members(config_path, "/blog") == ["/blog/third"]


def test_the_sites_dateformat_and_a_pages_own(tmp_path: Path) -> None:
    pages = {
        "01.blog/blog.md": listing("  items: '@self.children'\n"),
        "01.blog/a/item.md": "---\ntitle: A\ndate: '02/11/2025 09:00'\n---\n",
        "01.blog/b/item.md": "---\ntitle: B\ndate: '11/03/2025 09:00'\ndateformat: 'm/d/Y H:i'\n---\n",
    }
    config_path = grav_site(tmp_path, pages, {"pages": {"dateformat": {"default": "d/m/Y H:i"}}})
    site, problems = read_site(load_config(config_path))
    assert problems == []
    dates = {post.route: post.date for post in site.posts}
    # Slashes alone would be month/day/year; the site's format says day first, and
    # page b's own dateformat wins over the site's (the site's would read 11 March).
    assert dates["/blog/a"] == dt.datetime(2025, 11, 2, 9, tzinfo=ALMATY)
    assert dates["/blog/b"] == dt.datetime(2025, 11, 3, 9, tzinfo=ALMATY)


def test_editing_grav_config_changes_a_cached_build(tmp_path: Path) -> None:
    config_path = grav_site(tmp_path, {**BLOG, "01.blog/blog.md": listing("  items: '@self.children'\n")})
    old = dt.datetime(2025, 1, 1).timestamp()
    for path in (tmp_path / "user").rglob("*"):
        os.utime(path, (old, old))
    config = load_config(config_path)
    build(config, NOW)
    (tmp_path / "user/config/site.yaml").write_text("title: 'Новое имя'\n", encoding="utf-8")
    config = load_config(config_path)
    build(config, NOW)
    assert feedparser.parse(config.feeds.output_dir / "feed.xml").feed.title == "Новое имя"


def test_a_taxonomy_bulletin_does_not_keep_is_a_check_warning(tmp_path: Path) -> None:
    pages = {**BLOG, "01.blog/blog.md": listing("  items:\n    '@taxonomy.month': jan\n")}
    config_path = grav_site(tmp_path, pages)
    result = CliRunner().invoke(
        main,
        ["check", "--config", str(config_path), "--now", NOW.isoformat()],
        env={"BULLETIN_SECRET": "collections-test-secret-0123456789"},  # check reports its absence
    )
    assert result.exit_code == 0, result.output
    blog = tmp_path / "user/pages/01.blog/blog.md"
    assert f"Warning: {blog}: taxonomy 'month' is not read (only category and tag)" in result.output
    # The other warning: no digest.footer (a postal address).
    assert "Read 0 posts in 1 collection page: 0 errors, 2 warnings." in result.output


def test_an_empty_date_is_no_date(tmp_path: Path) -> None:
    pages = {
        "01.blog/blog.md": listing("  items: '@self.children'\n"),
        "01.blog/a/item.md": "---\ntitle: A\ndate: ''\npublish_date: ''\nunpublish_date:\n---\n",
    }
    site, problems = read_site(load_config(grav_site(tmp_path, pages)))
    assert problems == [] and len(site.posts) == 1 and len(site.warnings) == 1
    assert "no date; the file's modification time" in site.warnings[0]

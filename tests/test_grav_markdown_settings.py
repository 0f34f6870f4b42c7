"""Grav's system.yaml `pages.markdown` reaches every renderer: feeds, digests, check, and the build cache."""

from __future__ import annotations

from pathlib import Path

import feedparser
import pytest

from bulletin.config import MarkdownSettings, load_config
from bulletin.errors import ConfigError
from bulletin.feeds.build import build
from bulletin.mail.digest import render_digest
from bulletin.site.reading import load_site_posts

from .feed_site import NOW
from .test_build_cache import backdate

POST = "user/pages/01.blog/winter-hours/item.md"
# Two lines of one paragraph: Parsedown joins them, or breaks the line with auto_line_breaks.
BODY = "---\ntitle: 'Зимний график'\ndate: 10:00 05-01-2026\n---\n\nПервая строка\nвторая строка\n"


@pytest.fixture
def blog_site(grav_blog: Path) -> Path:
    """The blog site with a post of two lines in one paragraph."""
    (grav_blog.parent / POST).write_text(BODY, encoding="utf-8")
    return grav_blog


def set_markdown(config_path: Path, settings: str) -> None:
    """Replace the fixture's pages.markdown section (it lies just before pages.process)."""
    path = config_path.parent / "user/config/system.yaml"
    text = path.read_text(encoding="utf-8")
    start, end = text.index("  markdown:\n"), text.index("  process:\n")
    path.write_text(text[:start] + "  markdown:\n" + settings + text[end:], encoding="utf-8")


def summary(config_path: Path) -> str:
    config = load_config(config_path)
    feed = feedparser.parse(config.feeds.output_dir / "atom.xml")
    return next(entry.summary for entry in feed.entries if entry.link.endswith("/winter-hours"))


def test_pages_markdown_is_read(blog_site: Path) -> None:
    assert load_config(blog_site).content.markdown == MarkdownSettings()
    set_markdown(blog_site, "    extra: true\n    auto_line_breaks: true\n")
    assert load_config(blog_site).content.markdown == MarkdownSettings(extra=True, auto_line_breaks=True)
    set_markdown(blog_site, "    escape_markup: 'yes'\n")
    with pytest.raises(
        ConfigError, match=r"system.yaml: 'pages.markdown.escape_markup' must be true or false"
    ):
        load_config(blog_site)


def test_feeds_and_digests_render_with_it_and_a_cached_build_follows_a_change(blog_site: Path) -> None:
    build(load_config(blog_site), NOW)
    assert "<br" not in summary(blog_site)
    backdate(blog_site.parent)
    set_markdown(blog_site, "    auto_line_breaks: true\n")
    build(load_config(blog_site), NOW)  # the cache's fingerprint holds system.yaml
    assert "Первая строка<br />" in summary(blog_site) or "Первая строка<br>" in summary(blog_site)
    config = load_config(blog_site)
    post = next(p for p in load_site_posts(config) if p.route == "/blog/winter-hours")
    digest = render_digest(config, [post], 1, NOW)
    assert "Первая строка<br" in digest.anonymous.html

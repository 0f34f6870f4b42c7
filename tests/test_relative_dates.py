"""Dates read against the build's moment (`--now`), as Grav reads them against its clock: never cached."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import feedparser
import pytest

from bulletin.config import load_config
from bulletin.errors import ContentError
from bulletin.feeds.build import build
from bulletin.site.reading import load_site

from .feed_site import ALMATY, NOW
from .test_build_cache import backdate

POST = "user/pages/01.blog/winter-hours/item.md"
URL = "https://clinic.example/blog/winter-hours"


@pytest.fixture
def blog_site(grav_blog: Path) -> Path:
    """The blog site with a date read against the build's moment."""
    page = grav_blog.parent / POST
    text = page.read_text(encoding="utf-8")
    page.write_text(text.replace("date: 10:00 05-01-2026", "date: 'yesterday 09:00'"), encoding="utf-8")
    return grav_blog


def published(config_path: Path) -> dt.datetime:
    feed = feedparser.parse(load_config(config_path).feeds.output_dir / "atom.xml")
    entry = next(entry for entry in feed.entries if entry.link == URL)
    return dt.datetime.fromisoformat(entry.published)


def test_a_relative_date_is_read_against_the_builds_moment(blog_site: Path) -> None:
    build(load_config(blog_site), NOW)
    assert published(blog_site) == dt.datetime(2026, 1, 14, 9, 0, tzinfo=ALMATY)
    # Without a moment to read it against, "yesterday" is no date (never silently the clock).
    with pytest.raises(ContentError, match="bad date: 'yesterday 09:00'"):
        load_site(load_config(blog_site))


def test_a_relative_date_moves_with_the_next_cached_build(blog_site: Path) -> None:
    backdate(blog_site.parent)  # old enough files are cached
    config = load_config(blog_site)
    build(config, NOW)
    build(config, NOW + dt.timedelta(days=3))  # nothing changed on disk
    assert published(blog_site) == dt.datetime(2026, 1, 17, 9, 0, tzinfo=ALMATY)

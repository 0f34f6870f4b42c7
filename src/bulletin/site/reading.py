"""Reading a whole site, the entry point of site/: a plain folder of posts, a Grav site, or
each language version of a multi-language Grav site."""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
from collections.abc import Iterator

from ..config import Config
from ..errors import ContentError
from .grav_site import Site, read_grav_site
from .languages import read_language_versions
from .pages import PageCache
from .posts import Post, PostCache, load_posts, read_posts


def load_site_posts(
    config: Config, cache: PostCache | None = None, now: dt.datetime | None = None
) -> list[Post]:
    """All posts of the site that ``config`` describes, newest first (the default language's)."""
    if config.content.grav:
        return load_site(config, now=now).posts  # a Grav user/ folder: its collections choose the posts
    content = config.content
    return load_posts(content.dir, config.site, content.page_files, cache, content.max_post_bytes, now=now)


def load_site(config: Config, cache: PageCache | None = None, now: dt.datetime | None = None) -> Site:
    """The site ``config`` describes; every problem with a post raised at once. ``now`` is the
    moment relative dates ("today", "+1 day") are read against; without it they are errors."""
    with cyclic_gc_paused():
        site, problems = read_site(config, cache, now)
    if problems:
        raise ContentError(*problems)
    return site


@contextlib.contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Reading a site makes a few objects per post and no reference cycles, but each young
    generation that fills up makes the collector walk all it holds: at 10,000 posts that was
    a tenth of a cold build, freeing nothing."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def read_site(
    config: Config, cache: PageCache | None = None, now: dt.datetime | None = None
) -> tuple[Site, list[str]]:
    """The site as far as it could be read, and a line per problem."""
    content = config.content
    if not content.grav:
        plain, problems = read_posts(
            content.dir, config.site, content.page_files, cache, content.max_post_bytes, now=now
        )
        return Site(plain), problems
    if content.languages is not None:
        return read_language_versions(config, cache, now)
    return read_grav_site(config, cache, None, now)

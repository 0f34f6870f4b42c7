"""A multi-language Grav site's feeds: each language's under public/<lang>/, the default's at the root."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

from ..config import Config
from ..site.grav_site import Site
from ..site.languages import translations
from ..site.posts import visible_posts
from .feed_files import feed_files
from .feed_style import feed_stylesheet
from .paths import FEED_STYLE_FILE
from .term_slugs import TermSlugs


def language_feed_files(
    config: Config, site: Site, now: dt.datetime, depends: set[Path], slugs: TermSlugs | None = None
) -> dict[str, bytes]:
    """Path relative to feeds.output_dir -> bytes: ``<lang>/feed.xml``, ``<lang>/blog.rss``, ...
    for each language version, and the root feeds, which are the default language's (as
    Grav serves its default language at the site's root)."""
    languages = config.content.languages
    assert languages is not None
    links = translations(site, now, languages.default)
    root = language_config(config, languages.default, in_folder=False)
    slugs = slugs or TermSlugs(None, {})
    files = feed_files(root, visible_posts(site.posts, now), depends, site, now, links, slugs)
    for version in site.versions:
        assert version.language is not None
        local = language_config(config, version.language, in_folder=True)
        version_files = feed_files(
            local,
            visible_posts(version.posts, now),
            depends,
            version,
            now,
            links,
            slugs.in_folder(version.language),
        )
        files.update((f"{version.language}/{path}", data) for path, data in version_files.items())
    return files


def language_config(config: Config, language: str, *, in_folder: bool) -> Config:
    """``config`` as one language version's feeds see it: their language, the home page under
    the language's prefix, and (``in_folder``) their own URLs under ``<feeds.url>/<lang>``."""
    languages = config.content.languages
    assert languages is not None
    site = config.site
    local_site = dataclasses.replace(
        site,
        language=language if in_folder else site.language,
        home_path=languages.prefix(language) or "/",
    )
    feeds = config.feeds
    if in_folder:
        feeds = dataclasses.replace(feeds, url=f"{feeds.url}/{language}")
    return dataclasses.replace(config, site=local_site, feeds=feeds)


def language_stylesheets(config: Config) -> dict[str, bytes]:
    """``<lang>/feed.xsl`` for each language: the stylesheet its feeds name, in its language."""
    languages = config.content.languages
    assert languages is not None
    return {
        f"{language}/{FEED_STYLE_FILE}": feed_stylesheet(language_config(config, language, in_folder=True))
        for language in languages.supported
    }

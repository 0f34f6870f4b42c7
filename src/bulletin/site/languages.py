"""A multi-language Grav site: one version of the site per language, and the links between them.

Grav reads a site once per language: in each folder the page is the file of that
language (``item.kk.md``), else of its fallback languages (``content_fallback``; by
default the default language's ``item.ru.md``, then ``item.md``). So every language
has its own pages, routes, collections and feeds, and a post in three languages is
three posts, one per version, never a route used twice.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from collections.abc import Sequence

from ..config import Config
from .grav_site import Site, read_grav_site
from .pages import PageCache
from .posts import Post

Translations = dict[str, tuple[tuple[str, str], ...]]  # page folder -> (language, URL) pairs


def read_language_versions(
    config: Config, cache: PageCache | None = None, now: dt.datetime | None = None
) -> tuple[Site, list[str]]:
    """The default language's version of the site, holding the others; a line per problem.

    A file read by several versions (a fallback) reports its problems once.
    """
    languages = config.content.languages
    assert languages is not None
    versions: dict[str, Site] = {}
    problems: list[str] = []
    for language in languages.supported:
        versions[language], found = read_grav_site(config, cache, language, now)
        problems.extend(found)
    default = versions[languages.default]
    others = tuple(site for language, site in versions.items() if language != languages.default)
    warnings = dict.fromkeys(w for site in versions.values() for w in site.warnings)
    skipped = dict.fromkeys(entry for site in versions.values() for entry in site.skipped)
    site = dataclasses.replace(default, others=others, warnings=tuple(warnings), skipped=tuple(skipped))
    return site, list(dict.fromkeys(problems))


def translations(site: Site, now: dt.datetime, default: str) -> Translations:
    """Each page folder's own-language versions visible at ``now``: (language, URL).

    A page shown through a fallback file (the Russian text at /kk/...) is no translation;
    a file without a language is the default language's.
    """
    found: dict[str, list[tuple[str, str]]] = {}
    for version in site.versions:
        for page in version.pages:
            if (page.language or default) == version.language and _online(page.post, now):
                assert version.language is not None
                found.setdefault(page.folder, []).append((version.language, page.post.url))
    return {folder: tuple(pairs) for folder, pairs in found.items() if len(pairs) > 1}


def _online(post: Post, now: dt.datetime) -> bool:
    """On the site at ``now`` (listed or not: a translation hidden from lists is still a page)."""
    unpublished = post.unpublish_date is not None and post.unpublish_date <= now
    return post.published and post.date <= now and not unpublished


def with_translations(posts: Sequence[Post], table: Translations) -> list[Post]:
    """``posts``, each with links to its translations (not to itself)."""
    linked = []
    for post in posts:
        pairs = table.get(os.path.dirname(post.source), ())
        others = tuple(pair for pair in pairs if pair[0] != post.language)
        linked.append(dataclasses.replace(post, translations=others) if others else post)
    return linked

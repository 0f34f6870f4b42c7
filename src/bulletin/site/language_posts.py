"""The posts a digest chooses from, in every language of the site, each with its language.

A single-language site's posts are all in its one language. On a multi-language Grav
site every language version has its own posts; a page shown in a version through
another language's file (Grav's fallback) is that version's post only when the site
sets ``languages.content_fallback`` (or ``pages_fallback_only``): without it a
subscriber reading Kazakh gets no Russian text.

Grav gives a post one route in every version (/blog/vaccination in ru, kk and en), but
a digest holds each language's post once and apart, so a post of a version other than
the default language is keyed ``<language>:<route>`` (a route always starts with "/",
so the two can never meet). The default language keeps the bare route: digests made
before languages hold those, and none is sent again.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from ..config import Config
from .posts import Post
from .reading import load_site, load_site_posts


def digest_key(route: str, language: str, default: str) -> str:
    """The key a digest stores a post under: its route, language-qualified outside the default."""
    return route if language == default else f"{language}:{route}"


def in_other_language(post: Post) -> bool:
    """Whether ``post`` (from ``language_posts``) is in a language other than the site's default."""
    return not post.route.startswith("/")


def language_posts(config: Config, now: dt.datetime) -> list[Post]:
    """Every language's posts (``route`` the digest key), newest first. On a multi-language site
    each has its ``language``; a single-language site's are its posts as read (language None:
    the one language), so a cron run that finds nothing new copies none of them."""
    languages = config.content.languages
    if languages is None or not config.content.grav:
        return load_site_posts(config, now=now)
    falls_back = bool(languages.fallbacks) or languages.pages_fallback_only
    found: list[Post] = []
    for version in load_site(config, now=now).versions:
        language = version.language or languages.default
        # The pages of this version read from another language's file (the fallback).
        borrowed = {
            page.post.source for page in version.pages if (page.language or languages.default) != language
        }
        for post in version.posts:
            if post.source in borrowed and not falls_back:
                continue
            key = digest_key(post.route, language, languages.default)
            found.append(dataclasses.replace(post, route=key, language=language))
    found.sort(key=lambda post: (post.date, post.route), reverse=True)
    return found

"""Each subscriber's part of a digest: the posts in their language carrying their topics.

A digest covers the new posts once; a subscriber's message holds the part of them in
their language (a language the site no longer offers reads as the default) and, when
they chose topics, only the posts carrying one of them. The digest is rendered once per
distinct (language, posts), never once per subscriber: thousands of subscribers with
the same choices share one rendering, and so do choices that pick the same posts.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Sequence

from ..config import Config, TopicChoice
from ..preferences import site_languages
from ..site.posts import Post
from ..store import DigestRendering, RenderedDigest, Subscriber, Topic
from .digest import render_digest

Reader = tuple[str, frozenset[Topic]]  # (language, topics): all that decides a subscriber's part


def reader_language(language: str | None, languages: Sequence[str]) -> str:
    """The language a subscriber reads: theirs when the site offers it, else the default (first)."""
    return language if language is not None and language in languages else languages[0]


def _carries(topic: Topic, choices: Sequence[TopicChoice]) -> Callable[[Post], bool]:
    """Whether a post carries ``topic``: its term, or another digest.topics gives for it."""
    taxonomy, term = topic
    choice = next((c for c in choices if c.key == topic), TopicChoice(taxonomy, term))

    def carried(post: Post) -> bool:
        return choice.matches(post.categories if taxonomy == "category" else post.tags)

    return carried


def posts_for(
    posts: Sequence[Post],
    language: str,
    topics: frozenset[Topic],
    choices: Sequence[TopicChoice] = (),
    default: str | None = None,
) -> list[Post]:
    """The part of ``posts`` for a reader of ``language`` who chose ``topics`` (none: every post);
    a post without a language is in ``default`` (a single-language site's)."""
    theirs = [post for post in posts if (post.language or default) == language]
    if not topics:
        return theirs
    tests = [_carries(topic, choices) for topic in sorted(topics)]
    return [post for post in theirs if any(test(post) for test in tests)]


class DigestParts:
    """The renderings of one digest, made as the store asks for each subscriber's (a ``DigestSplit``).

    Each language's whole part is rendered first: it is what that language's archive
    shows, and the main rendering (the default language's) is what the digest row keeps.
    """

    def __init__(self, config: Config, posts: Sequence[Post], number: int, now: dt.datetime) -> None:
        self._config = config
        self._languages = site_languages(config)
        # A post read without languages (load_site_posts) is the default language's.
        default = self._languages[0]
        self._posts = [
            post if post.language else dataclasses.replace(post, language=default) for post in posts
        ]
        self._number = number
        self._now = now
        self._by_reader: dict[Reader, int | None] = {}
        self._by_posts: dict[tuple[str, tuple[str, ...]], int] = {}
        self._made: list[DigestRendering] = []
        for language in self._languages:
            whole = posts_for(self._posts, language, frozenset())
            if whole:
                self._render(language, whole, whole=True)

    @property
    def main(self) -> RenderedDigest:
        """The default language's whole digest (another language's when it has no post in it)."""
        if not self._made:
            raise ValueError("a digest needs a post in some language")
        return self._made[0].rendered

    def rendering_for(self, subscriber: Subscriber) -> int | None:
        reader = (reader_language(subscriber.language, self._languages), subscriber.topics)
        if reader not in self._by_reader:
            part = posts_for(self._posts, *reader, self._config.digest.topics)
            self._by_reader[reader] = self._render(reader[0], part) if part else None
        return self._by_reader[reader]

    def renderings(self) -> Sequence[DigestRendering]:
        return tuple(self._made)

    def _render(self, language: str, posts: list[Post], whole: bool = False) -> int:
        routes = tuple(post.route for post in posts)
        key = self._by_posts.get((language, routes))
        if key is None:
            rendered = render_digest(self._config, posts, self._number, self._now, language)
            key = len(self._made) + 1
            self._made.append(DigestRendering(key, language, routes, rendered, whole))
            self._by_posts[(language, routes)] = key
        return key

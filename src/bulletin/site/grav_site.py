"""Which pages of a site are posts, and which feeds it has: Grav's collections, or every post."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from ..config import Config
from .collections import CollectionPage, PageIndex, evaluate, feed_setting, order
from .flags import published_note
from .pages import Page, PageCache, undated_warning, walk_pages
from .posts import Post


@dataclass(frozen=True)
class Site:
    posts: list[Post]  # every post, newest first: what feeds and digests choose from
    collections: tuple[CollectionPage, ...] = ()  # a Grav site's feed sources
    home: CollectionPage | None = None  # the home page's collection: the main feed
    pages: tuple[Page, ...] = ()  # every page of a Grav site, posts or not
    skipped: tuple[tuple[str, str], ...] = ()  # (file, why it is no post), for check --verbose
    warnings: tuple[str, ...] = ()
    grav: bool = False
    # A multi-language site: this version's language; the default language's Site holds
    # the other languages' versions (each with its own posts, collections and feeds).
    language: str | None = None
    others: tuple[Site, ...] = ()

    @property
    def versions(self) -> tuple[Site, ...]:
        """Every language version of the site, the default first (just itself without languages)."""
        return (self, *self.others)


def read_grav_site(
    config: Config,
    cache: PageCache | None = None,
    language: str | None = None,
    now: dt.datetime | None = None,
) -> tuple[Site, list[str]]:
    """A Grav site (one language version of it, given ``language``) and a line per problem."""
    content = config.content
    tree = walk_pages(config, cache, language, now)
    problems = list(tree.problems)
    notes: list[str] = []
    index = PageIndex(tree.pages, content.home, str(content.pages_dir))
    collections = [_collection(page, index, config, notes) for page in tree.pages if page.collection]
    if collections:
        chosen = {member.folder: member for c in collections for member in c.members}
        post_pages = [page for page in tree.pages if page.folder in chosen]
    else:
        post_pages = [page for page in tree.pages if page.dated]  # no collection: every dated page
    posts: list[Post] = []
    seen: dict[str, str] = {}
    for page in post_pages:
        problems.extend(page.problems)
        if page.route in seen:
            problems.append(f"{page.post.source}: route {page.route} is also used by {seen[page.route]}")
        seen[page.route] = page.post.source
        if not page.dated:
            notes.append(undated_warning(page, config.site.timezone))
        if note := published_note(page.post.source, page.header.get("published")):
            notes.append(note)
        posts.append(page.post)
    posts.sort(key=lambda p: (p.date, p.route), reverse=True)
    post_files = {page.post.source for page in post_pages}
    not_posts = [
        (p.post.source, _why_not(p, collections)) for p in tree.pages if p.post.source not in post_files
    ]
    site = Site(
        posts,
        tuple(collections),
        next((c for c in collections if c.page.route == content.home), None),
        tree.pages,
        (*tree.skipped, *not_posts),
        tuple(notes),
        grav=True,
        language=language,
    )
    return site, problems


def _why_not(page: Page, collections: Sequence[CollectionPage]) -> str:
    if page.collection:
        return "a collection page (its feed is its own)"
    if not collections:
        return "no date (with no collection page, the dated pages are the posts)"
    return "in no collection"


def _collection(page: Page, index: PageIndex, config: Config, notes: list[str]) -> CollectionPage:
    members = [m for m in evaluate(page.collection, page, index, notes) if m is not page]
    limit = feed_setting(page, "limit")
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        limit = config.feeds.limit
    title = feed_setting(page, "title")
    description = feed_setting(page, "description")
    return CollectionPage(
        page,
        tuple(members),
        limit,
        str(title) if title else config.feeds.title or page.post.title,
        str(description) if description else config.feeds.description or config.site.description,
    )


def collection_posts(collection: CollectionPage, now: dt.datetime) -> list[Post]:
    """The collection's posts visible at ``now``, in the order its page asks for (not yet limited)."""
    visible = [page for page in collection.members if page.post.is_visible(now)]
    content = collection.page.header.get("content")
    spec = content.get("order") if isinstance(content, dict) else None
    return [page.post for page in order(visible, spec)]

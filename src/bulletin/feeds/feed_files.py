"""Every feed file a build writes: the main feed, a feed per tag or category, archive pages."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Sequence
from pathlib import Path

from ..config import Config
from ..site.collections import CollectionPage
from ..site.grav_site import Site, collection_posts
from ..site.languages import Translations, with_translations
from ..site.posts import Post
from .documents import (
    FeedItem,
    FeedSpec,
    enclosure_file,
    feed_documents,
    main_spec,
    public_url,
)
from .documents import feed_items as render_items
from .paths import ATOM_FILE, JSON_FILE, RSS_FILE, archive_paths
from .term_slugs import TermSlugs


def feed_files(
    config: Config,
    visible: Sequence[Post],
    depends: set[Path] | None = None,
    site: Site | None = None,
    now: dt.datetime | None = None,
    translations: Translations | None = None,
    slugs: TermSlugs | None = None,
) -> dict[str, bytes]:
    """Path relative to feeds.output_dir -> bytes, for every feed of the site.

    ``visible`` is every visible post, newest first. The files the feeds were made
    from besides the posts (images given as enclosures) are added to ``depends``.
    A Grav ``site`` (read at ``now``) adds a feed per collection page at its route.
    ``translations`` (of a multi-language site) gives each item links to its translations.
    Tag and category feeds take their folders from ``slugs`` (new terms are added to it).
    """
    slugs = slugs or TermSlugs(None, {})

    def items_of(posts: Sequence[Post], config: Config) -> list[FeedItem]:
        items = render_items(with_translations(posts, translations) if translations else posts, config)
        if depends is not None:
            depends.update(path for item in items if (path := enclosure_file(item)) is not None)
        return items

    main_posts, spec, limit = visible, main_spec(config), config.feeds.limit
    files: dict[str, bytes] = {}
    if site is not None and site.grav and now is not None:
        files.update(collection_feeds(config, site, now, items_of))
        if site.home is not None:
            # The home page's collection is the site's main feed, as on the Grav site itself.
            main_posts, limit = collection_posts(site.home, now), site.home.limit
            spec = dataclasses.replace(
                collection_spec(config, site.home),
                rss_path=RSS_FILE,
                atom_path=ATOM_FILE,
                json_path=JSON_FILE,
            )
    if config.feeds.archive:
        archive, pages = archive_files(config, main_posts, limit, spec, items_of)
        files.update(archive)
        rss_newest, atom_newest = archive_paths(pages)
        spec = dataclasses.replace(
            spec, links=(("rss", "prev-archive", rss_newest), ("atom", "prev-archive", atom_newest))
        )
    files.update(feed_documents(config, items_of(main_posts[:limit], config), spec))
    for taxonomy in config.feeds.taxonomies:
        for term_spec, posts in term_feeds(config, taxonomy, visible, slugs):
            files.update(feed_documents(config, items_of(posts[: config.feeds.limit], config), term_spec))
    return files


def collection_feeds(
    config: Config,
    site: Site,
    now: dt.datetime,
    items_of: Callable[[Sequence[Post], Config], list[FeedItem]],
) -> dict[str, bytes]:
    """Each collection page's feeds at its route, its posts visible at ``now`` in its order."""
    files: dict[str, bytes] = {}
    for collection in site.collections:
        if not collection.members:
            continue  # nothing it names can be a post (only modular parts): no feed
        spec = collection_spec(config, collection)
        posts = collection_posts(collection, now)[: collection.limit]
        documents = feed_documents(config, items_of(posts, config), spec)
        if not config.feeds.route_json:
            del documents[spec.json_path]
        files.update(documents)
    return files


def collection_spec(config: Config, collection: CollectionPage) -> FeedSpec:
    """A collection page's feed, where Grav's feed plugin serves it: /blog -> blog.rss, blog.atom."""
    base = collection.feed_base
    return FeedSpec(
        title=collection.title,
        description=collection.description,
        home_url=collection.page.post.url,
        rss_path=f"{base}.rss",
        atom_path=f"{base}.atom",
        json_path=f"{base}.json",
    )


def archive_files(
    config: Config,
    posts: Sequence[Post],
    limit: int,
    feed: FeedSpec,
    feed_items: Callable[[Sequence[Post], Config], list[FeedItem]] = render_items,
) -> tuple[dict[str, bytes], int]:
    """RFC 5005 archive pages of ``feed``: its ``posts`` (newest first) beyond the first
    ``limit``, oldest page first. Returns (files, pages).

    Page n holds the n-th run of ``limit`` posts counted from the oldest, so once a
    page is full it never changes again: new posts only ever reach the last page.
    There is always one page more than the full ones (possibly empty), so a full
    page's next-archive link points at a page that exists. Each page has the feed's
    title and Atom id: it is the same feed, further back.
    """
    archived = posts[limit:]
    oldest_first = list(reversed(archived))
    pages = len(oldest_first) // limit + 1
    # An empty last page has been as it is since the newest post before it (or, with
    # nothing archived, since the feed's first post).
    before = archived[0] if archived else (posts[-1] if posts else None)
    files: dict[str, bytes] = {}
    for page in range(1, pages + 1):
        chunk = oldest_first[(page - 1) * limit : page * limit]
        rss_path, atom_path = archive_paths(page)
        links = [("rss", "current", RSS_FILE), ("atom", "current", ATOM_FILE)]
        if page > 1:
            older_rss, older_atom = archive_paths(page - 1)
            links += [("rss", "prev-archive", older_rss), ("atom", "prev-archive", older_atom)]
        if page < pages:
            newer_rss, newer_atom = archive_paths(page + 1)
            links += [("rss", "next-archive", newer_rss), ("atom", "next-archive", newer_atom)]
        spec = dataclasses.replace(
            feed,
            rss_path=rss_path,
            atom_path=atom_path,
            links=tuple(links),
            is_archive=True,
            feed_id=feed.feed_id or feed.home_url,
            updated_if_empty=before.date if before else feed.updated_if_empty,
        )
        documents = feed_documents(config, feed_items(list(reversed(chunk)), config), spec)
        files[rss_path] = documents[rss_path]
        files[atom_path] = documents[atom_path]
    return files, pages


def term_feeds(
    config: Config, taxonomy: str, visible: Sequence[Post], slugs: TermSlugs
) -> list[tuple[FeedSpec, list[Post]]]:
    by_term: dict[str, list[Post]] = {}
    for post in visible:
        for term in post.tags if taxonomy == "tag" else post.categories:
            by_term.setdefault(term, []).append(post)
    feeds = []
    for term, slug in sorted(slugs.slugs(taxonomy, by_term).items()):
        folder = f"{taxonomy}/{slug}"
        spec = FeedSpec(
            title=f"{config.site.title} — {term}",
            description=config.site.description,
            home_url=config.site.home_url,
            rss_path=f"{folder}/{RSS_FILE}",
            atom_path=f"{folder}/{ATOM_FILE}",
            json_path=f"{folder}/feed.json",
            # Its own Atom id, as permanent as the folder the term keeps.
            feed_id=public_url(config, f"{folder}/{ATOM_FILE}"),
        )
        feeds.append((spec, by_term[term]))
    return feeds

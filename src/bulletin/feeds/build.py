"""`bulletin build`: every feed and the digest archive pages, written atomically."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..config.defaults import LOGO_FOLDER
from ..errors import ConfigError
from ..files import write_files_atomically
from ..store import store_exists
from .build_cache import BuildCache
from .paths import FEED_STYLE_FILE

if TYPE_CHECKING:  # an unchanged rebuild (a cron run) imports none of the site reader
    from ..config import Config
    from ..site.grav_site import Site
    from ..site.posts import Post
    from .term_slugs import TermSlugs

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BuildResult:
    files: tuple[Path, ...]  # every feed file of the build
    items: int  # posts in the main feed
    visible: int  # posts visible at `now`
    total: int  # posts read
    archive_pages: int = 0
    changed: tuple[Path, ...] = ()  # files whose content changed
    warnings: tuple[str, ...] = ()


def build(config: Config, now: dt.datetime, *, use_cache: bool = True) -> BuildResult:
    """Write every feed (and the digest archive); nothing is written if any post is bad.

    Posts whose file is unchanged since the last build come from the build cache,
    and when nothing the output depends on has changed, the output is left as it is.
    """
    cache = BuildCache(config, enabled=use_cache)
    previous = cache.last_build()
    last = cache.unchanged(now)
    if last is not None:
        log.debug("nothing changed since the last build: outputs left as they are")
        return BuildResult(
            tuple(Path(p) for p in last.feeds), last.items, last.visible, last.total, last.archive_pages
        )
    from ..site.posts import visible_posts  # not needed by an unchanged rebuild
    from ..site.reading import load_site

    # --no-cache saves no posts (only the outputs' list), so nothing is looked up or kept
    # for them: no stat of every file and folder for a cache key that would go unused.
    site = load_site(config, cache if cache.enabled else None, now)
    posts = site.posts
    visible = visible_posts(posts, now)
    log.debug("read %d posts (%d from the build cache), %d visible", len(posts), cache.hits, len(visible))
    items = min(len(visible), config.feeds.limit)

    from .term_slugs import TermSlugs  # here: an unchanged rebuild never needs them

    depends: set[Path] = set()
    slugs = TermSlugs.load(config)
    feeds, assets = feed_outputs(config, site, visible, now, depends, slugs)
    archive: dict[Path, bytes] = {}
    if store_exists(config):
        # The archive of sent digests, as static pages beside the feeds.
        from ..store import open_store
        from ..templating import template_environment
        from ..web.digest_archive import archive_files, stylesheet_file

        env = template_environment(config)
        with open_store(config) as store:
            archive = archive_files(config, env, store)
        assets.update(stylesheet_file(config, env))  # the stylesheet the archive pages link
    written = {**feeds, **archive, **assets, **published_logo(config, depends)}
    slugs.save()  # before the feeds: no feed is served from a folder not yet recorded as its term's
    changed = write_files_atomically(written)
    log.debug("wrote %d of %d files (the rest were unchanged)", len(changed), len(written))
    if previous is not None:
        remove_stale_outputs(config.feeds.output_dir, [Path(p) for p in previous.outputs], set(written))
    # Every language's posts: a translation's publish date must end the manifest's validity too.
    every_post = [post for version in site.versions for post in version.posts]
    cache.save(
        now, every_post, items, len(visible), list(written), feeds, len(archive), depends, total=len(posts)
    )
    changed_feeds = [path for path in changed if path in feeds]
    warnings: list[str] = []
    if config.feeds.websub_hubs and changed_feeds:
        from .documents import public_url
        from .websub import ping_hubs

        urls = [
            public_url(config, path.relative_to(config.feeds.output_dir).as_posix()) for path in changed_feeds
        ]
        warnings = ping_hubs(config.feeds.websub_hubs, urls)
    return BuildResult(
        tuple(feeds), items, len(visible), len(posts), len(archive), tuple(changed), tuple(warnings)
    )


def published_logo(config: Config, depends: set[Path]) -> dict[Path, bytes]:
    """The digest's logo file, copied beside the feeds: mails link it at digest.logo's URL."""
    source = config.digest.logo_file
    if source is None:
        return {}
    try:
        data = source.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{config.path}: 'digest.logo' {source}: {exc.strerror or exc}") from None
    depends.add(source)  # a new logo under the same name is copied by the next build
    return {config.feeds.output_dir / LOGO_FOLDER / source.name: data}


def feed_outputs(
    config: Config, site: Site, visible: list[Post], now: dt.datetime, depends: set[Path], slugs: TermSlugs
) -> tuple[dict[Path, bytes], dict[Path, bytes]]:
    """(feeds, stylesheets) by output path: every feed of the site (each language's on a
    multi-language one) and the XSLT stylesheets they name, which are no feeds themselves.
    Tag and category feeds take their folders from ``slugs``."""
    # Imported here: an unchanged rebuild never needs Markdown, feedgen or lxml.
    from .feed_files import feed_files
    from .feed_style import feed_stylesheet

    output = config.feeds.output_dir
    styles = {FEED_STYLE_FILE: feed_stylesheet(config)}
    if config.content.languages is not None and site.grav:
        from .language_feeds import language_feed_files, language_stylesheets

        documents = language_feed_files(config, site, now, depends, slugs)
        styles.update(language_stylesheets(config))
    else:
        documents = feed_files(config, visible, depends, site, now, slugs=slugs)
    return (
        {output / path: data for path, data in documents.items()},
        {output / path: data for path, data in styles.items()},
    )


def remove_stale_outputs(output_dir: Path, earlier: list[Path], current: set[Path]) -> None:
    """Delete the files an earlier build wrote that this one no longer makes.

    A tag that lost its last post, or an archive page no longer needed, would
    otherwise go on being served. Only files bulletin itself recorded writing,
    inside the output folder, are touched; folders left empty go too.
    """
    root = output_dir.resolve()
    for path in earlier:
        if path in current or not path.resolve().is_relative_to(root):
            continue
        path.unlink(missing_ok=True)
        log.debug("removed %s: no longer part of the site", path)
        folder = path.parent.resolve()
        while folder != root and folder.is_relative_to(root):
            try:
                folder.rmdir()  # only succeeds when empty
            except OSError:
                break
            folder = folder.parent

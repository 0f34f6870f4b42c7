"""Incremental builds.

Two files beside the store: the post cache (every post read, without its Markdown,
keyed by file path, size and mtime, plus folder listings keyed by folder mtime) and
the manifest of the last build (what its outputs were made from). A rebuild first
checks the manifest alone: when no file, folder, setting or template changed and no
post's publish or unpublish date was crossed, the outputs stand as they are and not
even the post cache is read. Otherwise posts come from the cache where their file
is unchanged. The cache can make a build faster, never different: anything it
cannot read back, or that is of another shape, is ignored.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import operator
import os
import pickle
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TypeGuard

from .. import __version__
from ..config.grav import GRAV_CONFIG_FILES
from ..files import write_file_atomically
from ..store import state_dir, store_files

if TYPE_CHECKING:
    # An unchanged rebuild (a cron run) reads the manifest alone: no site reader is imported
    # for it, and a plain folder's build never loads Grav's page reader.
    from ..config import Config
    from ..site.discovery import FolderListing
    from ..site.pages import Page
    from ..site.posts import Post

CACHE_NAME = "build-cache.pickle"
MANIFEST_NAME = "build-manifest.pickle"
CACHE_FORMAT = "11"  # bump when what the files hold changes shape (11: the manifest's total)
# size, mtime_ns, and the post's fields without its Markdown. Plain tuples, not Post
# objects: unpickling 10,000 dataclass instances took longer than making them anew.
Entry = tuple[int, int, tuple[object, ...]]
Listing = tuple[int, list[str], list[str], bool]  # folder mtime_ns, sub-folders, Markdown files, defaults
_READ_ERRORS = (
    OSError,
    pickle.UnpicklingError,
    EOFError,
    ValueError,
    TypeError,
    AttributeError,
    ImportError,
    IndexError,
    KeyError,
    OverflowError,
    MemoryError,
    RecursionError,
)
# File systems stamp mtimes with a coarse clock (a jiffy; a second or two on some), so
# a file changed again within the tick it was read in keeps its size and mtime. A file
# or folder whose mtime is this close to the start of the build is not cached, and the
# build writes no manifest (git calls this the racy-git problem).
RACY_NS = 2_000_000_000


@dataclasses.dataclass(frozen=True)
class Manifest:
    fingerprint: str  # bulletin version, cache format and the config file's bytes
    now: dt.datetime  # the build's moment
    next_change: dt.datetime | None  # the first publish/unpublish date after `now`
    files: dict[str, tuple[int, int]]  # every post file: (size, mtime_ns)
    folders: dict[str, int]  # every content folder: mtime_ns
    extras: dict[str, tuple[int, int] | None]  # store and templates, for the archive pages
    depends: dict[str, tuple[int, int] | None]  # other files the feeds were made from (enclosures)
    outputs: dict[str, tuple[int, int]]  # every file written: (size, mtime_ns)
    feeds: tuple[str, ...]
    archive_pages: int
    items: int  # posts in the main feed
    visible: int
    total: int = 0  # posts read (a Grav site's files also hold pages that are no posts)


def _stat_key(path: str | Path) -> tuple[int, int] | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_size, stat.st_mtime_ns


def _load(path: Path) -> object:
    try:
        with open(path, "rb") as handle:
            return pickle.load(handle)  # noqa: S301 - a file only bulletin writes
    except _READ_ERRORS:
        return None


class BuildCache:
    def __init__(self, config: Config, *, enabled: bool = True) -> None:
        self.config = config
        folder = state_dir(config)
        self.cache_path = folder / CACHE_NAME
        self.manifest_path = folder / MANIFEST_NAME
        self.enabled = enabled
        self.started_ns = time.time_ns()
        self.fingerprint = self._fingerprint()
        self._old: dict[str, Entry] | None = None
        self._old_listings: dict[str, Listing] = {}
        self.new: dict[str, Entry] = {}
        self.hits = 0  # posts served from the cache this build
        self.new_listings: dict[str, Listing] = {}

    def _fingerprint(self) -> str:
        digest = hashlib.sha256(f"{CACHE_FORMAT}\0{__version__}\0".encode())
        # A Grav site's own config files count as much as config.yaml does.
        grav_files = GRAV_CONFIG_FILES if self.config.content.grav else ()
        for path in (self.config.path, *(self.config.content.dir / name for name in grav_files)):
            try:
                digest.update(path.read_bytes())
            except OSError:
                pass
            digest.update(b"\0")
        return digest.hexdigest()

    def _extras(self) -> dict[str, tuple[int, int] | None]:
        paths = [str(path) for path in store_files(self.config) or ()]
        for root, _, files in os.walk(self.config.digest.templates_dir):
            paths.extend(os.path.join(root, name) for name in sorted(files))
        return {path: _stat_key(path) for path in paths}

    # The manifest: is the last build still current? -------------------------

    def last_build(self) -> Manifest | None:
        """The manifest the last cached build left, if it can be read."""
        manifest = _load(self.manifest_path)
        return manifest if isinstance(manifest, Manifest) else None

    def unchanged(self, now: dt.datetime) -> Manifest | None:
        """The last build's manifest when its outputs are still exactly what a build at
        ``now`` would write; None when anything may differ."""
        if not self.enabled or store_files(self.config) is None:
            return None  # a server store's archive may have changed with no file to show it
        manifest = self.last_build()
        if manifest is None or manifest.fingerprint != self.fingerprint:
            return None
        if now < manifest.now or (manifest.next_change is not None and now >= manifest.next_change):
            return None  # a post's publish or unpublish date lies between the two moments
        if any(_stat_key(path) != key for path, key in manifest.outputs.items()):
            return None
        for folder, mtime in manifest.folders.items():
            try:
                if os.stat(folder).st_mtime_ns != mtime:
                    return None  # a file or folder was added, removed or renamed
            except OSError:
                return None
        if any(_stat_key(path) != key for path, key in manifest.files.items()):
            return None
        if any(_stat_key(path) != key for path, key in manifest.depends.items()):
            return None
        if self._extras() != manifest.extras:
            return None
        return manifest

    def save(
        self,
        now: dt.datetime,
        posts: Sequence[Post],
        items: int,
        visible: int,
        outputs: Iterable[Path],
        feeds: Iterable[Path],
        archive_pages: int,
        depends: Iterable[Path] = (),
        total: int = 0,
    ) -> None:
        if not self.enabled:
            # No cache this time, but the next build still learns which files this
            # one wrote (to remove those that later drop out of the site).
            self._write_outputs_only(outputs)
            return
        racy = self.started_ns - RACY_NS
        extras = self._extras()
        depends_keys = {str(path): _stat_key(path) for path in depends}
        entries = {path: entry for path, entry in self.new.items() if entry[1] < racy}
        listings = {folder: listing for folder, listing in self.new_listings.items() if listing[0] < racy}
        cache = (self.fingerprint, entries, listings)
        write_file_atomically(self.cache_path, pickle.dumps(cache, protocol=pickle.HIGHEST_PROTOCOL))
        stamps = [key[1] for key in (*extras.values(), *depends_keys.values()) if key is not None]
        if (
            any(post.clock_dated for post in posts)  # a date such as "today" moves with every build
            or len(entries) < len(self.new)
            or len(listings) < len(self.new_listings)
            or any(mtime >= racy for mtime in stamps)
        ):
            # Something changed too recently to be told apart from a later change:
            # the next build looks at the posts again.
            self._write_outputs_only(outputs)
            return
        changes = [
            moment
            for post in posts
            for moment in (post.date, post.unpublish_date)
            if moment is not None and moment > now
        ]
        manifest = Manifest(
            fingerprint=self.fingerprint,
            now=now,
            next_change=min(changes, default=None),
            files={path: entry[:2] for path, entry in self.new.items()},
            folders={folder: listing[0] for folder, listing in self.new_listings.items()},
            extras=extras,
            depends=depends_keys,
            outputs={str(path): key for path in outputs if (key := _stat_key(path)) is not None},
            feeds=tuple(str(path) for path in feeds),
            archive_pages=archive_pages,
            items=items,
            visible=visible,
            total=total,
        )
        write_file_atomically(self.manifest_path, pickle.dumps(manifest, protocol=pickle.HIGHEST_PROTOCOL))

    def _write_outputs_only(self, outputs: Iterable[Path]) -> None:
        """A manifest that records the outputs but can never pass as current."""
        manifest = Manifest(
            fingerprint="",
            now=dt.datetime.min.replace(tzinfo=dt.UTC),
            next_change=None,
            files={},
            folders={},
            extras={},
            depends={},
            outputs={str(path): key for path in outputs if (key := _stat_key(path)) is not None},
            feeds=(),
            archive_pages=0,
            items=0,
            visible=0,
        )
        write_file_atomically(self.manifest_path, pickle.dumps(manifest, protocol=pickle.HIGHEST_PROTOCOL))

    # The post cache (content.PostCache) --------------------------------------

    def _entries(self) -> dict[str, Entry]:
        if self._old is None:
            self._old = {}
            loaded = _load(self.cache_path) if self.enabled else None
            if isinstance(loaded, tuple) and len(loaded) == 3 and loaded[0] == self.fingerprint:
                _, entries, listings = loaded
                if isinstance(entries, dict) and isinstance(listings, dict):
                    self._old, self._old_listings = entries, listings
        return self._old

    def lookup(self, path: str, stat: os.stat_result) -> Post | None:
        entry = self._entries().get(path)
        if not _is_entry(entry) or entry[:2] != (stat.st_size, stat.st_mtime_ns):
            return None
        from ..site.posts import Post

        try:
            post = Post(*entry[2])  # type: ignore[arg-type]
        except TypeError:
            return None
        self.hits += 1
        self.new[path] = entry
        return post

    def store(self, path: str, stat: os.stat_result, post: Post) -> None:
        if post.clock_dated:
            return  # its date moves with the build's moment ("today")
        # Without its Markdown: only the few posts that reach a feed need it, and
        # content.with_body reads it again for them.
        self.new[path] = (stat.st_size, stat.st_mtime_ns, _fields_without_body(post))

    def lookup_page(self, path: str, stat: os.stat_result, parent_route: str) -> Page | None:
        """A Grav page read before, if its file is unchanged and its parent's route too."""
        entry = self._entries().get(path)
        if not _is_entry(entry) or entry[:2] != (stat.st_size, stat.st_mtime_ns) or len(entry[2]) != 2:
            return None
        post_fields, extra = entry[2]
        from ..site.posts import Post

        try:
            from ..site.pages import Page

            page = Page(Post(*post_fields), *extra)  # type: ignore[misc]
        except TypeError:
            return None
        if page.parent_route != parent_route:
            return None  # a parent's slug changed: the route must be built again
        self.hits += 1
        self.new[path] = entry
        return page

    def store_page(self, path: str, stat: os.stat_result, page: Page) -> None:
        if page.post.clock_dated:
            return  # its date moves with the build's moment ("today")
        post_fields = _fields_without_body(page.post)
        extra = tuple(getattr(page, field.name) for field in dataclasses.fields(page)[1:])  # all but post
        self.new[path] = (stat.st_size, stat.st_mtime_ns, (post_fields, extra))

    def listing(self, folder: str, mtime_ns: int) -> FolderListing | None:
        self._entries()
        entry = self._old_listings.get(folder)
        if not _is_listing(entry) or entry[0] != mtime_ns:
            return None
        self.new_listings[folder] = entry
        return entry[1], entry[2], entry[3]

    def store_listing(self, folder: str, mtime_ns: int, listing: FolderListing) -> None:
        self.new_listings[folder] = (mtime_ns, *listing)


def _fields_without_body(post: Post) -> tuple[object, ...]:
    """The post's fields in order, its Markdown left out ("")."""
    read_fields, body_at = _post_fields()
    fields = read_fields(post)
    return (*fields[:body_at], "", *fields[body_at + 1 :])


@functools.cache
def _post_fields() -> tuple[Callable[[Post], tuple[object, ...]], int]:
    """(a reader of every field of a Post, in order, as one tuple; where the body is in it)."""
    from ..site.posts import Post

    names = [field.name for field in dataclasses.fields(Post)]
    return operator.attrgetter(*names), names.index("body")


# A cache file of the right fingerprint holds what this version wrote; these checks
# are for one damaged or hand-made, so that it costs a re-read, never a crash.
def _is_entry(entry: object) -> TypeGuard[Entry]:
    return isinstance(entry, tuple) and len(entry) == 3 and isinstance(entry[2], tuple)


def _is_listing(entry: object) -> TypeGuard[Listing]:
    return (
        isinstance(entry, tuple)
        and len(entry) == 4
        and isinstance(entry[3], bool)
        and all(isinstance(names, list) and all(isinstance(n, str) for n in names) for names in entry[1:3])
    )

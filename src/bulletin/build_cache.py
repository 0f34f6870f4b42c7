"""Incremental builds: parsed posts cached by file path, size and modification time,
and the outputs of the last build with the inputs they were made from."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import pickle
from collections.abc import Iterable, Sequence
from pathlib import Path

from . import __version__
from .config import Config
from .content import Post
from .files import write_file_atomically

CACHE_NAME = "build-cache.pickle"
CACHE_FORMAT = "3"  # bump when what the cache file holds changes shape
# size, mtime_ns, and the post's fields without its Markdown. Plain tuples, not Post
# objects: unpickling 10,000 dataclass instances took longer than making them anew.
Entry = tuple[int, int, tuple[object, ...]]
_FIELDS = tuple(field.name for field in dataclasses.fields(Post))
Listing = tuple[int, list[str], list[str]]  # folder mtime_ns, sub-folders, Markdown files


@dataclasses.dataclass(frozen=True)
class LastBuild:
    inputs: str  # digest of everything the outputs were made from
    outputs: dict[str, tuple[int, int]]  # path -> (size, mtime_ns) as written
    feeds: tuple[str, ...]
    archive_pages: int


def cache_path(config: Config) -> Path:
    return config.store.path.parent / CACHE_NAME


def _fingerprint(config: Config) -> str:
    """What the parsed posts depend on besides their files; a change empties the cache."""
    parts = (
        CACHE_FORMAT, __version__, config.site.url, config.site.timezone.key, str(config.content.dir),
        ",".join(config.content.page_files),
    )
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def _stat_key(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_size, stat.st_mtime_ns


class BuildCache:
    """Maps a post file's (path, size, mtime) to the Post read from it.

    Only what this process wrote can be in the file, and a file that cannot be
    read back is ignored: the cache can make a build faster, never different.
    """

    def __init__(self, config: Config, *, enabled: bool = True) -> None:
        self.config = config
        self.path = cache_path(config)
        self.fingerprint = _fingerprint(config)
        self.enabled = enabled
        self.old: dict[str, Entry] = {}
        self.new: dict[str, Entry] = {}
        self.old_listings: dict[str, Listing] = {}
        self.new_listings: dict[str, Listing] = {}
        self.last: LastBuild | None = None
        self.hits = 0
        if enabled:
            self._load()

    def _load(self) -> None:
        try:
            with open(self.path, "rb") as handle:
                fingerprint, entries, listings, last = pickle.load(handle)  # noqa: S301 - our own file
        except (OSError, pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError):
            return
        if fingerprint == self.fingerprint and isinstance(entries, dict) and isinstance(listings, dict):
            self.old = entries
            self.old_listings = listings
            self.last = last if isinstance(last, LastBuild) else None

    def lookup(self, path: str, stat: os.stat_result) -> Post | None:
        entry = self.old.get(path)
        if entry is None or entry[:2] != (stat.st_size, stat.st_mtime_ns):
            return None
        try:
            post = Post(*entry[2])  # type: ignore[arg-type]
        except TypeError:
            return None  # an entry of another shape: read the file instead
        self.hits += 1
        self.new[path] = entry
        return post

    def store(self, path: str, stat: os.stat_result, post: Post) -> None:
        # Without its Markdown: only the few posts that reach a feed need it, and
        # content.with_body reads it again for them.
        fields = tuple("" if name == "body" else getattr(post, name) for name in _FIELDS)
        self.new[path] = (stat.st_size, stat.st_mtime_ns, fields)

    def listing(self, folder: str, mtime_ns: int) -> tuple[list[str], list[str]] | None:
        entry = self.old_listings.get(folder)
        if entry is None or entry[0] != mtime_ns:
            return None
        self.new_listings[folder] = entry
        return entry[1], entry[2]

    def store_listing(self, folder: str, mtime_ns: int, listing: tuple[list[str], list[str]]) -> None:
        self.new_listings[folder] = (mtime_ns, *listing)

    def inputs_digest(self, visible: Sequence[Post]) -> str:
        """A digest of everything a build's output depends on.

        The config file, every post file's identity (adding or deleting a hidden
        post changes nothing visible, but is cheap to count in), which posts are
        visible now, and, for the digest archive, the store and the templates.
        """
        h = hashlib.sha256(self.fingerprint.encode())
        h.update(self.config.path.read_bytes())
        for path in sorted(self.new):
            size, mtime, _ = self.new[path]
            h.update(f"{path}\0{size}\0{mtime}\n".encode())
        h.update("\0".join(post.route for post in visible).encode())
        store = self.config.store.path
        for extra in (store, store.with_name(store.name + "-wal"), *_files_below(self.config.digest.templates_dir)):
            h.update(f"{extra}\0{_stat_key(extra)}\n".encode())
        return h.hexdigest()

    def unchanged_since_last_build(self, inputs: str) -> LastBuild | None:
        """The last build, if it was made from these inputs and its files are untouched."""
        last = self.last
        if not self.enabled or last is None or last.inputs != inputs:
            return None
        if all(_stat_key(Path(path)) == key for path, key in last.outputs.items()):
            return last
        return None

    def save(self, inputs: str, outputs: Iterable[Path], feeds: Iterable[Path], archive_pages: int) -> None:
        """Keep exactly the posts of this build (deleted files drop out) and its outputs."""
        if not self.enabled:
            return
        last = LastBuild(
            inputs,
            {str(path): key for path in outputs if (key := _stat_key(path)) is not None},
            tuple(str(path) for path in feeds),
            archive_pages,
        )
        data = pickle.dumps(
            (self.fingerprint, self.new, self.new_listings, last), protocol=pickle.HIGHEST_PROTOCOL
        )
        write_file_atomically(self.path, data)


def _files_below(folder: Path) -> list[Path]:
    found: list[Path] = []
    for root, _, files in os.walk(folder):
        found.extend(Path(root) / name for name in sorted(files))
    return found

"""Feed files as `bulletin serve` hands them out: read once per change, with their ETag."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from ..feeds.paths import ARCHIVE_DIR, ATOM_FILE, FEED_STYLE_FILE, JSON_FILE, RSS_FILE

FEED_TYPES = {
    RSS_FILE: "application/rss+xml; charset=utf-8",
    ATOM_FILE: "application/atom+xml; charset=utf-8",
    JSON_FILE: "application/feed+json; charset=utf-8",
    # The stylesheet a browser shows the RSS and Atom feeds with (an XML type, as browsers require).
    FEED_STYLE_FILE: "text/xsl; charset=utf-8",
}
# A Grav collection page's feeds, where Grav's feed plugin serves them: /blog.rss, /blog.atom, /blog.json.
ROUTE_FEED_TYPES = {
    ".rss": FEED_TYPES[RSS_FILE],
    ".atom": FEED_TYPES[ATOM_FILE],
    ".json": FEED_TYPES[JSON_FILE],
}
# RFC 5005 archive pages (feeds.paths.archive_paths): feed-archive/rss-N.xml, atom-N.xml.
_ARCHIVE_PAGE = re.compile(r"(rss|atom)-[0-9]+\.xml")


def feed_media_type(path: Path) -> str | None:
    """The media type of a feed file bulletin writes, or None for any other file."""
    if path.name in FEED_TYPES:
        return FEED_TYPES[path.name]
    if path.suffix in ROUTE_FEED_TYPES and path.stem:
        return ROUTE_FEED_TYPES[path.suffix]
    if path.parent.name == ARCHIVE_DIR and (match := _ARCHIVE_PAGE.fullmatch(path.name)):
        return FEED_TYPES[RSS_FILE if match.group(1) == "rss" else ATOM_FILE]
    return None


@dataclass(frozen=True)
class FeedFile:
    data: bytes
    etag: str
    mtime: float


class FeedFiles:
    """Serves feed files with ETag/Last-Modified, reading each file only when it changes."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.cache: dict[Path, tuple[int, int, bytes, str]] = {}
        # Request path -> the feed file it resolved to. resolve() (a realpath walk)
        # was a tenth of the server's time under load; only paths that resolved to a
        # feed inside the root are kept, and only a bounded number of spellings.
        self.resolved: dict[str, Path] = {}

    def load(self, relative: str) -> FeedFile | None:
        path = self.resolved.get(relative) or self._resolve(relative)
        if path is None:
            return None
        try:
            stat = path.stat()
        except (OSError, ValueError):
            return None
        cached = self.cache.get(path)
        if cached is None or cached[:2] != (stat.st_mtime_ns, stat.st_size):
            data = path.read_bytes()
            etag = '"' + hashlib.sha256(data).hexdigest()[:32] + '"'
            cached = (stat.st_mtime_ns, stat.st_size, data, etag)
            self.cache[path] = cached
        return FeedFile(cached[2], cached[3], stat.st_mtime)

    def _resolve(self, relative: str) -> Path | None:
        """The feed file a request path names, inside the root; None for anything else."""
        try:
            path = (self.root / relative).resolve()
        except (OSError, ValueError):  # a NUL byte, a name too long
            return None
        if not path.is_relative_to(self.root) or feed_media_type(path) is None:
            return None
        if len(self.resolved) < 1024:
            self.resolved[relative] = path
        return path

"""The names of the files a build writes, which `bulletin serve` serves by the same names."""

from __future__ import annotations

RSS_FILE = "feed.xml"
ATOM_FILE = "atom.xml"
JSON_FILE = "feed.json"
# RFC 5005 archive pages of the main feed live in this folder.
ARCHIVE_DIR = "feed-archive"


def archive_paths(page: int) -> tuple[str, str]:
    return f"{ARCHIVE_DIR}/rss-{page}.xml", f"{ARCHIVE_DIR}/atom-{page}.xml"


# The XSLT stylesheet a browser shows RSS and Atom feeds with (feed readers ignore it).
FEED_STYLE_FILE = "feed.xsl"

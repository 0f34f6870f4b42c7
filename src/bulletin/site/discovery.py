"""Where the posts of a plain folder are: every Markdown file and the route it gets."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Protocol

from ..config import DEFAULT_PAGE_FILES
from .frontmatter import FOLDER_DEFAULTS

_NUMERIC_PREFIX = re.compile(r"^\d+\.")
_LANGUAGE_SUFFIX = re.compile(r"\.[a-z]{2}$")  # Grav's item.ru.md
# (sub-folders, Markdown files, whether a frontmatter.yaml is there): with the walk's one look at
# a folder, no page needs a stat of its own to learn that its folder has no defaults file.
FolderListing = tuple[list[str], list[str], bool]


class ListingCache(Protocol):
    """The folder-listing half of the build cache (posts.PostCache adds the posts)."""

    def listing(self, folder: str, mtime_ns: int) -> FolderListing | None: ...

    def store_listing(self, folder: str, mtime_ns: int, listing: FolderListing) -> None: ...


def discover(
    content_dir: Path, page_files: tuple[str, ...] = DEFAULT_PAGE_FILES, cache: ListingCache | None = None
) -> list[tuple[str, str]]:
    """(path, route) of every post file; see discover_posts."""
    return [(path, route) for path, route, _, _ in discover_posts(content_dir, page_files, cache)]


def discover_posts(
    content_dir: Path, page_files: tuple[str, ...] = DEFAULT_PAGE_FILES, cache: ListingCache | None = None
) -> list[tuple[str, str, bool, bool]]:
    """Every ``*.md`` below ``content_dir``: (path, route, is it a flat post, has its folder a
    frontmatter.yaml), in a stable order.

    Grav keeps one page per folder and names its file after the template:
    ``01.blog/my-post/item.md`` is ``/blog/my-post``. Any other file is a flat post
    whose name is the last route segment (``notes/parking.md`` is
    ``/notes/parking``). The rule looks at the file name only, so adding a file to
    a folder never changes another post's route, and with it its feed id.
    Folders starting with ``_`` (modular parts) or ``.`` are skipped; symlinked
    folders are not followed, so a link loop cannot trap the walk.
    """
    found: list[tuple[str, str, bool, bool]] = []
    # Plain strings and one scandir per folder, not os.walk and Path objects: at
    # 10,000 posts the walk is most of what an unchanged rebuild costs.
    pending: list[tuple[str, list[str]]] = [(str(content_dir), [])]
    while pending:
        folder, segments = pending.pop()
        try:
            subfolders, markdown, has_defaults = list_folder(folder, cache)
        except OSError:
            continue  # unreadable folder: nothing in it can be published
        for name in markdown:
            template = _LANGUAGE_SUFFIX.sub("", name[:-3])
            is_page_file = bool(segments) and template in page_files
            parts = segments if is_page_file else [*segments, route_segment(name[:-3])]
            found.append((folder + os.sep + name, "/" + "/".join(parts), not is_page_file, has_defaults))
        for name in reversed(subfolders):
            pending.append((folder + os.sep + name, [*segments, route_segment(name)]))
    return found


def list_folder(folder: str, cache: ListingCache | None) -> FolderListing:
    """(sub-folders, Markdown files, has it a frontmatter.yaml) of one folder, sorted; from the
    cache while the folder's mtime, which moves whenever an entry is added, removed or renamed,
    stays."""
    mtime = os.stat(folder).st_mtime_ns if cache is not None else 0
    if cache is not None and (listing := cache.listing(folder, mtime)) is not None:
        return listing
    subfolders: list[str] = []
    markdown: list[str] = []
    has_defaults = False
    with os.scandir(folder) as entries:
        for entry in entries:
            name = entry.name
            if name == FOLDER_DEFAULTS:
                has_defaults = True  # of any kind: the reader's own checks decide what it is
            if name.startswith("."):
                continue
            if entry.is_dir(follow_symlinks=False):
                if not name.startswith("_"):
                    subfolders.append(name)
            elif name.endswith(".md"):
                markdown.append(name)
    listing = (sorted(subfolders), sorted(markdown), has_defaults)
    if cache is not None:
        cache.store_listing(folder, mtime, listing)
    return listing


def route_segment(name: str) -> str:
    return _NUMERIC_PREFIX.sub("", name).lower()

"""Grav collections (a page's ``content.items``) -> which pages they hold, in Grav's order."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from .pages import Page

_DIGITS = re.compile(r"(\d+)")
# The taxonomies a Post keeps; Grav sites may define more (month, author), which match nothing here.
_TAXONOMIES = ("category", "tag")


class PageIndex:
    """The pages of a site by folder and route, for evaluating collections."""

    def __init__(self, pages: Sequence[Page], home: str, root: str) -> None:
        self.pages = list(pages)
        self.home = home
        self.root = root  # the pages/ folder: Grav's root page
        self.by_folder = {page.folder: page for page in pages}
        self.by_route = {page.route: page for page in pages}
        self.children: dict[str, list[Page]] = {}
        for page in pages:
            self.children.setdefault(os.path.dirname(page.folder), []).append(page)
        for siblings in self.children.values():
            siblings.sort(key=lambda page: page.folder)  # Grav's default order: the path

    def find(self, route: Any) -> Page | None:
        if not isinstance(route, str):
            return None
        route = "/" + route.strip().strip("/")
        return self.by_route.get(self.home if route == "/" else route)

    def descendants(self, page: Page) -> list[Page]:
        prefix = page.folder + os.sep
        return sorted((p for p in self.pages if p.folder.startswith(prefix)), key=lambda p: p.folder)


def evaluate(items: Any, page: Page, index: PageIndex, notes: list[str]) -> list[Page]:
    """The pages ``items`` names (Grav's Pages::evaluate), first occurrence kept."""
    if isinstance(items, list) or (isinstance(items, dict) and len(items) != 1):
        entries: Iterable[Any] = (
            items if isinstance(items, list) else ({key: value} for key, value in items.items())
        )
        found: dict[str, Page] = {}
        for entry in entries:
            for member in evaluate(entry, page, index, notes):
                found.setdefault(member.folder, member)
        return list(found.values())
    if isinstance(items, dict):
        [(command, params)] = items.items()
    else:
        command, params = items, None
    if not isinstance(command, str):
        notes.append(f"{page.post.source}: content.items {command!r:.60} is not a collection")
        return []
    scope, _, kind = command.strip().partition(".")
    if kind in ("modular", "modules") and params is False:
        kind = "children"  # Grav's '@self.modular: false'
    if scope in ("@taxonomy", "taxonomy@"):
        wanted = {kind: params} if kind else params
        return _by_taxonomy(wanted, page, index, notes)
    if scope in ("@self", "self@"):
        base: Page | None = page
    elif scope in ("@page", "page@"):
        base = index.find(params[0] if isinstance(params, list) and params else params)
    elif scope in ("@root", "root@"):
        return _relatives(kind or "children", None, index, page, notes)
    else:
        notes.append(f"{page.post.source}: unknown collection {command!r:.60}")
        return []
    if base is None:
        notes.append(f"{page.post.source}: {command} names no page: {params!r:.60}")
        return []
    return _relatives(kind or "children", base, index, page, notes)


def _relatives(kind: str, base: Page | None, index: PageIndex, page: Page, notes: list[str]) -> list[Page]:
    folder = base.folder if base is not None else index.root
    if kind in ("children", "pages", "all"):
        return list(index.children.get(folder, []))
    if kind == "descendants":
        if base is None:
            return sorted(index.pages, key=lambda p: p.folder)
        return index.descendants(base)
    if kind in ("modular", "modules"):
        return []  # modular parts are never posts
    if base is not None and kind in ("self", "page"):
        return [base]
    if base is not None and kind == "siblings":
        return [p for p in index.children.get(os.path.dirname(base.folder), []) if p is not base]
    if base is not None and kind == "parent":
        parent = index.by_folder.get(os.path.dirname(base.folder))
        return [parent] if parent is not None else []
    notes.append(f"{page.post.source}: unknown collection type {kind!r:.40}")
    return []


def _by_taxonomy(wanted: Any, page: Page, index: PageIndex, notes: list[str]) -> list[Page]:
    """Pages that carry every term asked for (Grav's findTaxonomy with its default 'and')."""
    if not isinstance(wanted, dict) or not wanted:
        notes.append(f"{page.post.source}: @taxonomy needs a taxonomy and terms: {wanted!r:.60}")
        return []
    members = list(index.pages)
    for taxonomy, terms in wanted.items():
        if taxonomy not in _TAXONOMIES:
            notes.append(f"{page.post.source}: taxonomy {taxonomy!r} is not read (only category and tag)")
            return []
        for term in terms if isinstance(terms, list) else [terms]:
            text = str(term).strip()
            members = [
                p for p in members if text in (p.post.categories if taxonomy == "category" else p.post.tags)
            ]
    return members


# Ordering -----------------------------------------------------------------


def natural_key(text: str) -> tuple[tuple[int, int, str], ...]:
    """PHP's SORT_NATURAL | SORT_FLAG_CASE: runs of digits compare as numbers."""
    return tuple(
        (1, int(part), "") if part.isdigit() else (0, 0, part.lower()) for part in _DIGITS.split(text) if part
    )


def _header_value(page: Page, dotted: str, default: str | None) -> str:
    value: Any = page.header
    for key in dotted.split("."):
        value = value.get(key) if isinstance(value, dict) else None
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value) if value else (default or page.folder)


def _sort_key(by: str) -> Callable[[Page], Any]:
    if by.startswith("header."):
        field, _, default = by[len("header.") :].partition("|")
        return lambda page: natural_key(_header_value(page, field, default or None))
    keys: dict[str, Callable[[Page], Any]] = {
        "date": lambda page: page.post.date,
        "publish_date": lambda page: page.post.date,
        "unpublish_date": lambda page: (page.post.unpublish_date is None, page.post.unpublish_date or 0),
        "modified": lambda page: os.stat(page.post.source).st_mtime_ns,
        "title": lambda page: natural_key(page.post.title),
        "slug": lambda page: natural_key(page.route.rsplit("/", 1)[-1]),
        "folder": lambda page: natural_key(os.path.basename(page.folder)),
        "basename": lambda page: natural_key(os.path.basename(page.folder)),
    }
    return keys.get(by, lambda page: page.folder)  # default, manual: the folder path


def order(pages: Sequence[Page], spec: Any) -> list[Page]:
    """``pages`` in the order ``content.order`` asks for (Grav sorts stably, then reverses for desc)."""
    if not isinstance(spec, dict):
        return list(pages)
    by = str(spec.get("by") or "default")
    ordered = sorted(pages, key=_sort_key(by))
    custom = spec.get("custom")
    if isinstance(custom, list) and custom:
        slugs = [str(slug) for slug in custom]
        rank = {
            page.folder: slugs.index(s) if (s := _slug(page)) in slugs else len(slugs) for page in ordered
        }
        ordered.sort(key=lambda page: rank[page.folder])
    if str(spec.get("dir") or "asc").lower() != "asc":
        ordered.reverse()
    return ordered


def _slug(page: Page) -> str:
    return page.route.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class CollectionPage:
    """A page whose header defines a collection: a feed source of its own."""

    page: Page
    members: tuple[Page, ...]  # what its items name, before visibility, order and limit
    limit: int
    title: str
    description: str

    @property
    def feed_base(self) -> str:
        """The feed's path without extension: ``blog`` for ``/blog`` (``blog.rss``, ``blog.atom``)."""
        return self.page.route.strip("/")


def feed_setting(page: Page, key: str) -> Any:
    feed = page.header.get("feed")
    return feed.get(key) if isinstance(feed, dict) else None

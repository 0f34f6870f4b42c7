"""A Grav ``user/pages`` tree as Grav walks it: one Page per folder, read leniently."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from dataclasses import dataclass
from typing import Any, Protocol

from ..config import Config
from ..errors import ContentError
from .content_files import ReadLimits
from .discovery import list_folder, route_segment
from .frontmatter import page_source_stat
from .frontmatter import read_page as read_page_file
from .posts import Post, PostCache, post_from_header


@dataclass(frozen=True)
class Page:
    """One page of a Grav site; it becomes a post only when a collection takes it in.

    ``post`` is the page read as Grav reads it: a missing title is ``ucfirst(slug)``,
    a missing date the file's modification time. ``problems`` are what would stop a
    build were the page a post (a bad date, say); a page no collection takes in is
    never an error for them.
    """

    post: Post
    template: str  # the file name without .md: "item", "blog", "default"
    header: dict[str, Any]  # the front matter as written (collections read content/feed/order keys)
    problems: tuple[str, ...] = ()
    dated: bool = True  # False: no date header, the file's mtime stands in
    parent_route: str = ""  # the route the page's folder was reached by (a cache hit must match it)
    language: str | None = None  # item.ru.md: a later step reads several per folder

    @property
    def route(self) -> str:
        return self.post.route

    @property
    def folder(self) -> str:
        return os.path.dirname(self.post.source)

    @property
    def collection(self) -> Any:
        """The header's ``content.items`` (a collection definition), None without one."""
        content = self.header.get("content")
        return content.get("items") if isinstance(content, dict) else None


class PageCache(PostCache, Protocol):
    def lookup_page(self, path: str, stat: os.stat_result, parent_route: str) -> Page | None: ...

    def store_page(self, path: str, stat: os.stat_result, page: Page) -> None: ...


@dataclass(frozen=True)
class PageTree:
    pages: tuple[Page, ...]  # in Grav's folder order (parents before children)
    skipped: tuple[tuple[str, str], ...]  # (file, why it is no page)
    problems: tuple[str, ...]  # files that cannot be read at all


def walk_pages(
    config: Config,
    cache: PageCache | None = None,
    language: str | None = None,
    now: dt.datetime | None = None,
) -> PageTree:
    """Every page under user/pages: one per folder, routes built top-down as Grav does.

    A folder's route is its parent's route plus its slug (the ``slug`` header, else
    the folder name without its ``01.`` prefix), so a renamed parent moves its
    children. Folders starting with ``_`` are modular parts and never pages here.
    On a multi-language site, ``language`` picks each folder's page file as Grav does
    for that language (``item.kk.md``, else its fallbacks such as ``item.ru.md``,
    ``item.md``), and the pages' URLs carry the language's prefix.
    """
    languages = config.content.languages
    extensions = languages.page_extensions(language) if languages and language else None
    pages: list[Page] = []
    skipped: list[tuple[str, str]] = []
    problems: list[str] = []
    root = str(config.content.pages_dir)
    limits = ReadLimits.of(config.content)  # one for the walk: it keeps the folders it resolved
    pending: list[tuple[str, str]] = [(root, "")]
    while pending:
        folder, route = pending.pop()
        try:
            subfolders, markdown, has_defaults = list_folder(folder, cache)
        except OSError:
            continue
        # A folder without a page file is still a page to Grav: its slug is in its children's routes.
        children_route = route if folder == root else _folder_route(route, folder, config)
        if folder == root:
            skipped.extend(
                (folder + os.sep + name, "the pages/ folder itself is no page") for name in markdown
            )
        elif markdown:
            chosen = markdown[0] if extensions is None else _page_file(markdown, extensions)
            skipped.extend(_not_pages(folder, markdown, chosen, config))
            if chosen is not None:
                try:
                    page = _cached_or_read(
                        folder + os.sep + chosen, route, config, cache, now, limits, has_defaults
                    )
                except ContentError as exc:
                    problems.extend(exc.problems)
                else:
                    if language is not None:
                        page = in_language(page, language, config)
                    pages.append(page)
                    children_route = page.route
        for name in reversed(subfolders):
            pending.append((folder + os.sep + name, children_route))
    return PageTree(tuple(pages), tuple(skipped), tuple(problems))


def _page_file(names: list[str], extensions: tuple[str, ...]) -> str | None:
    """The file Grav takes as the folder's page: the one whose ending (from its first dot)
    comes first in ``extensions``; of two with the same ending, the first by name."""
    chosen, rank = None, len(extensions)
    for name in names:
        dot = name.find(".")
        ending = name[dot:] if dot > 0 else ""
        if ending in extensions and extensions.index(ending) < rank:
            chosen, rank = name, extensions.index(ending)
    return chosen


def _not_pages(folder: str, names: list[str], chosen: str | None, config: Config) -> list[tuple[str, str]]:
    """(file, why) for the Markdown files of ``folder`` that are no page in any language."""
    languages = config.content.languages
    if languages is None:
        return [(folder + os.sep + n, f"{chosen} is the folder's page") for n in names if n != chosen]
    endings = {".md", *(f".{code}.md" for code in languages.supported)}
    found = []
    for name in names:
        dot = name.find(".")
        if dot <= 0 or name[dot:] not in endings:
            found.append((folder + os.sep + name, "not a page file of the site's languages (item.<lang>.md)"))
    return found


def in_language(page: Page, language: str, config: Config) -> Page:
    """``page`` as the ``language`` version of the site shows it: its URL under the language's prefix."""
    languages = config.content.languages
    assert languages is not None
    prefix = languages.prefix(language)
    post = page.post
    if post.route == config.content.home:
        url = config.site.url + (prefix or "/")  # Grav: /kk for the home page, the root without a prefix
    else:
        url = config.site.url + prefix + post.route
    return dataclasses.replace(page, post=dataclasses.replace(post, url=url, language=language))


def _cached_or_read(
    path: str,
    parent_route: str,
    config: Config,
    cache: PageCache | None,
    now: dt.datetime | None,
    limits: ReadLimits,
    listed: bool,
) -> Page:
    """``listed``: the folder's listing holds a frontmatter.yaml (without one, no stat looks for it)."""
    try:
        # Changes with the folder's frontmatter.yaml too, and says whether there is one.
        stat, has_defaults = page_source_stat(path) if listed else (os.stat(path), False)
    except OSError as exc:
        raise ContentError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if cache is not None and (page := cache.lookup_page(path, stat, parent_route)) is not None:
        return page
    page = read_page(path, parent_route, config, stat.st_mtime, now, limits, folder_defaults=has_defaults)
    if cache is not None:
        cache.store_page(path, stat, page)
    return page


def read_page(
    path: str,
    parent_route: str,
    config: Config,
    mtime: float,
    now: dt.datetime | None = None,
    limits: ReadLimits | None = None,
    *,
    folder_defaults: bool = True,
) -> Page:
    """One page file, read as Grav reads it; only unreadable files raise.

    ``folder_defaults=False`` when the caller knows the folder has no frontmatter.yaml.
    """
    limits = limits if limits is not None else ReadLimits.of(config.content)
    header, body = read_page_file(path, folder_defaults=folder_defaults, limits=limits)
    folder_slug = route_segment(os.path.basename(os.path.dirname(path)))
    route = _folder_route(parent_route, os.path.dirname(path), config)
    site = config.site
    lenient = dict(header)
    if not _has_text(header.get("title")):
        lenient["title"] = _ucfirst(_slug(header, folder_slug))
    for key in ("date", "publish_date", "unpublish_date"):
        if not _has_text(lenient.get(key)):
            lenient.pop(key, None)  # an empty date is no date to Grav
    dated = "date" in lenient or "publish_date" in lenient
    if not dated:
        lenient["date"] = int(mtime)  # Grav's Page::date() falls back to filemtime
    try:
        post = post_from_header(
            lenient, body, path, route, site, dateformat=config.content.dateformat, now=now
        )
        problems: tuple[str, ...] = ()
    except ContentError as exc:
        # Kept as a hidden stand-in: only a collection taking the page in makes these errors.
        problems = exc.problems
        moment = dt.datetime.fromtimestamp(int(mtime), site.timezone)
        post = Post(
            path, route, site.url + route, "", moment, None, False, False, (), (), None, None, True, body
        )
    if post.route == config.content.home:
        post = dataclasses.replace(post, url=site.url + "/")  # Grav's home page is the site root
    name = os.path.basename(path)
    template, _, language = name[:-3].partition(".")
    return Page(post, template, header, problems, dated, parent_route, language or None)


def _folder_route(parent_route: str, folder: str, config: Config) -> str:
    route = parent_route + "/" + route_segment(os.path.basename(folder))
    home = config.content.home
    if config.content.hide_home_in_urls and route.startswith(home + "/"):
        return route[len(home) :]
    return route


def _has_text(value: Any) -> bool:
    if isinstance(value, str):
        return bool(value.strip())
    return value is not None


def _slug(header: dict[str, Any], folder_slug: str) -> str:
    slug = header.get("slug")
    return str(slug).strip("/ ") if isinstance(slug, (str, int)) and str(slug).strip("/ ") else folder_slug


def _ucfirst(text: str) -> str:
    """PHP's ucfirst: upper-cases an ASCII first letter only (it works on bytes)."""
    return text[0].upper() + text[1:] if text[:1].isascii() and text[:1].isalpha() else text


def undated_warning(page: Page, tz: dt.tzinfo) -> str:
    when = page.post.date.astimezone(tz).strftime("%Y-%m-%d %H:%M")
    return f"{page.post.source}: no date; the file's modification time ({when}) is used, as Grav does"

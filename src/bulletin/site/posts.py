"""Find post files, turn their headers into Post values, decide visibility."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from ..config import DEFAULT_PAGE_FILES, SiteConfig
from ..errors import ContentError
from .content_files import ANY_FOLDER, ReadLimits, limits_for
from .dates import DateFormatError, parse_date
from .discovery import ListingCache, discover_posts
from .flags import flag, published_flag
from .frontmatter import page_source_stat, read_page

# Said with every date that cannot be read: the forms Grav (PHP's strtotime) reads.
DATE_FORMATS = (
    "dates are read as Grav reads them: 26-11-2026 09:00 or 26.11.2026 (day first),"
    " 11/26/2026 (with slashes the month first), 2026-11-26 09:00, 26 November 2026"
)

# Characters XML 1.0 forbids; they would make a feed unreadable (lxml refuses them too).
# DEL and the C1 controls are allowed but "discouraged": feed readers show U+0080 as
# cp1252's euro sign, so they go too (they only ever come from a mis-decoded paste).
# Spelled as the characters it takes out, the complement of XML's Char production less DEL and C1:
# the same set as [^\t\n\r\x20-\x7e\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff], but compiled
# in a twentieth of the time (that negated class took 9 ms of every command's start).
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
# Characters a permalink cannot hold: C0 and C1 controls.
_UNSAFE_ROUTE = re.compile("[\x00-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class Post:
    source: str  # path of the .md file (a str: 10,000 Path objects cost a cached build dearly)
    route: str  # "/blog/my-post": Grav's route, the stable identity of a post
    url: str  # permalink: site.url + route
    title: str
    date: dt.datetime  # publish_date, else date; aware
    unpublish_date: dt.datetime | None
    published: bool
    listed: bool  # False for hide_from_post_list, routable: false, feed: {skip: true}
    tags: tuple[str, ...]
    categories: tuple[str, ...]
    author: str | None
    image: str | None  # the `image` header as written (made absolute when rendered)
    continue_link: bool
    body: str  # Markdown, line endings normalised to \n
    flat: bool = False  # a flat file (notes/parking.md), not a Grav page folder
    # On a multi-language Grav site: the language version of the site the post is part of
    # (its feeds are under public/<language>/), and (language, URL) of its translations.
    language: str | None = None
    translations: tuple[tuple[str, str], ...] = ()
    clock_dated: bool = False  # a date read against the build's moment ("today"): never cached

    def is_visible(self, now: dt.datetime) -> bool:
        """Visible in feeds and digests at ``now`` (Grav's rules, minus feed issue #63)."""
        if not self.published or not self.listed or self.date > now:
            return False
        return self.unpublish_date is None or self.unpublish_date > now

    @property
    def folder(self) -> Path:
        """The folder holding the post (and its images)."""
        return Path(self.source).parent

    @property
    def folder_url(self) -> str:
        """The base for page-relative links: the URL of the folder the file lies in.

        For a Grav page that is the permalink itself (``/blog/my-post/`` holds
        ``photo.jpg``); a flat post shares its folder's URL (``/notes/`` for
        ``notes/parking.md``).
        """
        return self.url.rsplit("/", 1)[0] + "/" if self.flat else self.url + "/"


def xml_safe(text: str) -> str:
    """``text`` without the control characters XML 1.0 cannot carry."""
    return _XML_INVALID.sub("", text)


def load_posts(
    content_dir: Path,
    site: SiteConfig,
    page_files: tuple[str, ...] = DEFAULT_PAGE_FILES,
    cache: PostCache | None = None,
    max_bytes: int | None = None,
    now: dt.datetime | None = None,
) -> list[Post]:
    """Read every post under ``content_dir``, newest first; all problems raised at once."""
    posts, problems = read_posts(content_dir, site, page_files, cache, max_bytes, now=now)
    if problems:
        raise ContentError(*problems)
    return posts


class PostCache(ListingCache, Protocol):
    def lookup(self, path: str, stat: os.stat_result) -> Post | None: ...

    def store(self, path: str, stat: os.stat_result, post: Post) -> None: ...


def read_posts(
    content_dir: Path,
    site: SiteConfig,
    page_files: tuple[str, ...] = DEFAULT_PAGE_FILES,
    cache: PostCache | None = None,
    max_bytes: int | None = None,
    now: dt.datetime | None = None,
) -> tuple[list[Post], list[str]]:
    """The posts that could be read (newest first) and a line per problem with the others.

    Post files are read within ``max_bytes`` (content.max_post_bytes) each, and only
    regular files inside ``content_dir`` are read (see content_files). ``now`` is the
    moment relative dates ("today") are read against.
    """
    if not content_dir.is_dir():
        return [], [f"{content_dir}: content folder not found"]
    limits = limits_for(content_dir) if max_bytes is None else limits_for(content_dir, max_bytes)
    posts: list[Post] = []
    problems: list[str] = []
    for path, route, flat, has_defaults in discover_posts(content_dir, page_files, cache):
        defaults = has_defaults and not flat  # from the folder's listing: no stat to find out
        try:
            if cache is None:
                posts.append(
                    read_post(path, route, site, flat=flat, limits=limits, now=now, defaults=defaults)
                )
                continue
            stat = page_source_stat(path)[0] if defaults else os.stat(path)
            post = cache.lookup(path, stat)
            if post is None:
                post = read_post(path, route, site, flat=flat, limits=limits, now=now, defaults=defaults)
                cache.store(path, stat, post)
            posts.append(post)
        except ContentError as exc:
            problems.extend(exc.problems)
        except OSError as exc:
            problems.append(f"{path}: cannot read: {exc.strerror or exc}")
    seen: dict[str, str] = {}
    for post in posts:
        if post.route in seen:
            problems.append(f"{post.source}: route {post.route} is also used by {seen[post.route]}")
        seen[post.route] = post.source
    posts.sort(key=lambda p: (p.date, p.route), reverse=True)
    return posts, problems


def visible_posts(posts: Iterable[Post], now: dt.datetime) -> list[Post]:
    return [post for post in posts if post.is_visible(now)]


def read_post(
    path: str | Path,
    route: str,
    site: SiteConfig,
    *,
    flat: bool = False,
    limits: ReadLimits = ANY_FOLDER,
    now: dt.datetime | None = None,
    defaults: bool = True,
) -> Post:
    """The post in the file at ``path``; a flat post (``notes/parking.md``) never takes a
    frontmatter.yaml, nor does one whose caller knows (``defaults=False``) its folder has none."""
    header, body = read_page(path, folder_defaults=defaults and not flat, limits=limits)
    return post_from_header(header, body, path, route, site, flat=flat, now=now)


def with_body(post: Post, limits: ReadLimits = ANY_FOLDER) -> Post:
    """``post`` with its Markdown, read again from its file if it was left out.

    The build cache keeps posts without their text (most are never rendered);
    the few that go into a feed get it back here.
    """
    if post.body:
        return post
    _, body = read_page(post.source, limits=limits)
    return dataclasses.replace(post, body=body)


def page_dateformat(header: dict[str, Any], site_format: str | None) -> str | None:
    """The date format a page's dates are read with: its own `dateformat` header wins over the
    site's, as in Grav's Page::date()."""
    own_format = header.get("dateformat")
    return own_format if isinstance(own_format, str) and own_format.strip() else site_format


def post_from_header(
    header: dict[str, Any],
    body: str,
    path: str | Path,
    route: str,
    site: SiteConfig,
    *,
    flat: bool = False,
    dateformat: str | None = None,
    now: dt.datetime | None = None,
) -> Post:
    """A Post from a page's header; ``dateformat`` is the site's (Grav's pages.dateformat.default),
    ``now`` the build's moment, which dates such as "today" or "+1 week" are read against."""
    problems: list[str] = []
    tz = site.timezone
    date_format = page_dateformat(header, dateformat)

    title = _title(header.get("title"), path, problems)
    moment, unpublish, clock_dated = _dates(header, path, tz, date_format, now, problems)

    published = published_flag(header.get("published"))
    hidden = flag(header, "hide_from_post_list", False, path, problems)
    routable = flag(header, "routable", True, path, problems)
    continue_link = flag(header, "continue_link", True, path, problems)
    feed_header = header.get("feed")
    skip = isinstance(feed_header, dict) and flag(feed_header, "skip", False, path, problems)

    route = _slugged_route(header.get("slug"), route, path, problems)
    taxonomy = header.get("taxonomy") or {}
    if not isinstance(taxonomy, dict):
        problems.append(f"{path}: taxonomy must be a mapping such as {{tag: [a, b]}}")
        taxonomy = {}

    author = header.get("author")
    if isinstance(author, dict):
        author = author.get("name")
    image = header.get("image")

    if problems:
        raise ContentError(*problems)
    assert moment is not None
    return Post(
        source=str(path),
        route=route,
        url=site.url + route,
        title=title,
        date=moment,
        unpublish_date=unpublish,
        published=published,
        listed=routable and not hidden and not skip,
        tags=_terms(taxonomy.get("tag")),
        categories=_terms(taxonomy.get("category")),
        author=_text(author),
        image=_text(image),
        continue_link=continue_link,
        body=body,
        flat=flat,
        clock_dated=clock_dated,
    )


def _title(title: Any, path: str | Path, problems: list[str]) -> str:
    if isinstance(title, (int, float)) and not isinstance(title, bool):
        title = str(title)
    if isinstance(title, str):
        # Before the blank test: a title of control characters only is no title. One
        # line: a title is a feed's <title> and a mail's Subject, where breaks are noise.
        title = " ".join(xml_safe(title).split())
    if not isinstance(title, str) or not title:
        problems.append(f"{path}: missing title")
        return ""
    return title


def _slugged_route(slug: Any, route: str, path: str | Path, problems: list[str]) -> str:
    """``route`` with its last segment replaced by the ``slug`` header, if there is one."""
    if slug is not None:
        segment = str(slug).strip("/ ") if isinstance(slug, (str, int)) else ""
        # One path segment: "../../x" would make a permalink outside the post's folder.
        if not segment or segment in (".", "..") or "/" in segment or "\\" in segment:
            problems.append(f"{path}: bad slug: {slug!r:.80}")
        else:
            route = str(PurePosixPath(route).parent / segment)
    if _UNSAFE_ROUTE.search(route):
        # From a file or folder name or the slug; no URL or feed can carry it.
        problems.append(f"{path}: the route holds control characters: {route!r:.80}")
    return route


def _dates(
    header: dict[str, Any],
    path: str | Path,
    tz: ZoneInfo,
    date_format: str | None,
    now: dt.datetime | None,
    problems: list[str],
) -> tuple[dt.datetime | None, dt.datetime | None, bool]:
    """The post's moment (publish_date, else date), its unpublish_date, and whether a date
    was read against ``now``."""
    clock_dated = False

    def date_of(key: str) -> dt.datetime | None:
        nonlocal clock_dated
        value = header.get(key)
        if value is None:
            return None
        try:
            return parse_date(value, tz, dateformat=date_format)
        except DateFormatError:
            pass
        try:
            if now is not None:  # only a date that needs the clock reads now, and is never cached
                moment = parse_date(value, tz, dateformat=date_format, now=now)
                clock_dated = True
                return moment
        except DateFormatError:
            pass
        problems.append(f"{path}: bad {key}: {value!r:.80} ({DATE_FORMATS})")
        return None

    problems_before = len(problems)
    publish, date, unpublish = date_of("publish_date"), date_of("date"), date_of("unpublish_date")
    if publish is None and date is None and len(problems) == problems_before:
        problems.append(f"{path}: no date (set 'date' or 'publish_date')")
    return publish or date, unpublish, clock_dated


def _text(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    return xml_safe(value).strip() or None


def _terms(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    items = value if isinstance(value, list) else [value]
    terms: list[str] = []
    for item in items:
        if isinstance(item, (str, int, float)) and not isinstance(item, bool):
            term = xml_safe(str(item)).strip()
            if term and term not in terms:
                terms.append(term)
    return tuple(terms)

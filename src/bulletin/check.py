"""`bulletin check`: config, templates and every post, all problems at once, nothing written."""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

import jinja2
from babel.dates import format_date

from .config import Config, MarkdownSettings, load_config
from .errors import BulletinError
from .i18n import language_mismatch, missing_texts_note
from .mail.digest import HTML_TEMPLATE, TEXT_TEMPLATE, render_digest
from .mail.preflight import send_refusals
from .plurals import count_of
from .preferences import site_languages
from .site.content_files import ReadLimits
from .site.dates import DateFormatError, parse_date
from .site.frontmatter import read_page
from .site.grav_site import Site
from .site.markdown import markdown_to_html
from .site.markdown_cost import MarkdownTooCostly, check_markdown_cost
from .site.posts import Post, page_dateformat
from .site.reading import read_site
from .site.render import split_summary, text_of
from .templating import template_environment

_LOCAL_LINK = re.compile(r"""!\[[^\]]*\]\(\s*<?([^)\s>]+)""")  # Markdown images
_HTML_SRC = re.compile(r"""<img\b[^>]*\bsrc\s*=\s*["']([^"']+)["']""", re.I)
# Slashes are month/day/year to PHP's strtotime, so "05/11/2026" is 11 May.
_SLASH_DATE = re.compile(r"\s*(?P<m>\d{1,2})/(?P<d>\d{1,2})/(?P<y>\d{4})\b")
_DATE_KEYS = ("date", "publish_date", "unpublish_date")
# A file name holds 255 bytes; build writes each feed as ".<name>.XXXXXXXX.tmp" first.
_NAME_MAX = 255
_TEMPORARY_EXTRA = len("..XXXXXXXX.tmp")


@dataclass
class CheckReport:
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    posts: int = 0
    collections: int | None = None  # collection pages of a Grav site; None for a plain folder
    details: list[str] = field(default_factory=list)  # what --verbose shows: sources, skipped pages
    config_read: bool = False  # False: config.yaml itself is broken, so no post was read
    languages: tuple[tuple[str, int], ...] = ()  # posts per language of a multi-language site

    def summary(self, config_path: str) -> str:
        errors, warnings = count_of(len(self.errors), "error"), count_of(len(self.warnings), "warning")
        if not self.config_read:
            return f"No post read: {errors} in the configuration ({config_path})."
        each = ", ".join(f"{language} {count}" for language, count in self.languages)
        per_language = f" ({each})" if each else ""
        where = f" in {count_of(self.collections, 'collection page')}" if self.collections is not None else ""
        return f"Read {count_of(self.posts, 'post')}{per_language}{where}: {errors}, {warnings}."


def check_site(config_path: Path, now: dt.datetime | None = None) -> CheckReport:
    report = CheckReport()
    try:
        config = load_config(config_path)
    except BulletinError as exc:
        report.errors.extend(exc.problems)
        return report
    report.config_read = True
    now = now or dt.datetime.now(config.site.timezone)
    report.errors.extend(send_refusals(config))
    if mismatch := language_mismatch(config.site.language):
        report.warnings.append(f"{config_path}: {mismatch}")
    for language in site_languages(config):
        if language == config.site.language and mismatch:
            continue  # said already: the site's own language has no texts of its own
        if note := missing_texts_note(language):
            report.warnings.append(f"{config_path}: {note}")
    if not config.digest.footer:
        report.warnings.append(
            f"{config_path}: 'digest.footer' is not set: bulk mail should show the sender's postal address"
            " (CAN-SPAM-style rules ask for one in every message); put the address and a phone there"
        )
    report.warnings.extend(web_url_warnings(config))
    report.warnings.extend(bounce_warnings(config))
    site, problems = read_site(config, now=now)
    posts = site.posts
    report.errors.extend(problems)
    report.posts = sum(len(version.posts) for version in site.versions)
    if site.others:
        report.languages = tuple((version.language or "", len(version.posts)) for version in site.versions)
        # A fallback file is a post of several versions: its warnings are given once.
        posts = list({post.source: post for version in site.versions for post in version.posts}.values())
    if site.grav:
        report.collections = sum(len(version.collections) for version in site.versions)
        report.warnings.extend(site.warnings)
        report.details.extend(grav_details(config, site))
        report.errors.extend(_feed_names_too_long(site))
    costly = _too_costly_to_render(posts)
    report.errors.extend(costly.values())
    renderable = [post for post in posts if post.source not in costly]
    report.errors.extend(_check_templates(config, renderable, now))
    for post in renderable:
        report.warnings.extend(_post_warnings(post, config.content.markdown))
        report.warnings.extend(_slash_date_warnings(post, config))
    return report


def _feed_names_too_long(site: Site) -> list[str]:
    """A collection's feed file whose name no file system holds (build fails on it)."""
    problems = []
    for collection in site.collections:
        name = collection.feed_base.rsplit("/", 1)[-1] + ".atom"
        size = len(name.encode()) + _TEMPORARY_EXTRA
        if size > _NAME_MAX:
            problems.append(
                f"{collection.page.post.source}: its feed file {name[:40]}... needs a file name of {size}"
                f" bytes, more than the {_NAME_MAX} a file system allows; shorten its slug or folder name"
            )
    return problems


def _too_costly_to_render(posts: list[Post]) -> dict[str, str]:
    """source -> error line, for every post render_post would refuse as too costly (it renders
    only the posts a feed or digest takes, so build may meet such a post only later)."""
    costly: dict[str, str] = {}
    for post in posts:
        try:
            check_markdown_cost(post.body)
        except MarkdownTooCostly as exc:
            costly[post.source] = f"{post.source}: {exc.reason}"
    return costly


def _slash_date_warnings(post: Post, config: Config) -> list[str]:
    """A slash date whose two first parts could both be the month, read month first: warn.

    Read with parse_date as the build reads it, so a dateformat (the page's or Grav's
    pages.dateformat.default) that reads 05/11/2026 day first raises no warning.
    """
    try:
        header, _ = read_page(post.source, limits=ReadLimits.of(config.content))
    except BulletinError:
        return []
    dateformat = page_dateformat(header, config.content.dateformat)
    warnings = []
    for key in _DATE_KEYS:
        value = header.get(key)
        if not isinstance(value, str):
            continue
        match = _SLASH_DATE.match(value)
        if not match or match["m"] == match["d"] or int(match["m"]) > 12 or int(match["d"]) > 12:
            continue
        year, month, day = int(match["y"]), int(match["m"]), int(match["d"])
        try:
            read = parse_date(value, config.site.timezone, dateformat=dateformat)
        except DateFormatError:
            continue  # reported as a bad date already
        if (read.month, read.day) != (month, day):
            continue  # the date format reads it day first, as its author meant
        read_as = format_date(dt.date(year, month, day), "d MMMM y", locale="en")
        other = format_date(dt.date(year, day, month), "d MMMM y", locale="en")
        warnings.append(
            f"{post.source}: {key} {value.strip()!r} is read as {read_as} (with slashes the month"
            f" comes first, as in PHP); for {other} write {month:02d}.{day:02d}.{year}"
            f" (dots: day first), or {year}-{month:02d}-{day:02d} to keep {read_as}"
        )
    return warnings


def web_url_warnings(config: Config) -> list[str]:
    """Every digest offers one-click unsubscribe (List-Unsubscribe-Post), which RFC 8058
    allows only with an HTTPS URL: mailbox providers ignore or distrust it over http.

    A loopback address (localhost, 127.0.0.0/8, ::1) is exempt: it is someone testing
    on their own machine, where no mailbox provider will ever follow the link.
    """
    parts = urlsplit(config.web.url)
    if parts.scheme != "http" or _is_loopback(parts.hostname or ""):
        return []
    return [
        f"{config.path}: web.url {config.web.url} is not https: one-click unsubscribe"
        " (List-Unsubscribe-Post, RFC 8058) needs an https:// address, and mailbox providers"
        " may not offer it to readers otherwise"
    ]


def bounce_warnings(config: Config) -> list[str]:
    """digest.bounce_address without a mailbox to read: bounces and complaints would pile up unread."""
    address = config.digest.bounce_address
    if address is None or config.bounces.imap is not None or config.bounces.maildir is not None:
        return []
    return [
        f"{config.path}: bounces go to {address}, but neither bounces.imap nor bounces.maildir says"
        " where to read them: set one and run `bulletin bounces fetch` from cron"
    ]


def _is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def grav_details(config: Config, site: Site) -> list[str]:
    """Where each value came from and why each page is no post: for ``--verbose``."""
    lines = [f"{key}: {source}" for key, source in config.sources]
    for collection in site.collections:
        lines.append(
            f"{collection.page.post.source}: a collection of {len(collection.members)} pages,"
            f" feed {collection.feed_base}.rss (limit {collection.limit})"
        )
    lines.extend(f"{path}: {why}" for path, why in site.skipped)
    pages_dir = config.content.pages_dir
    lines.extend(f"{path}: a modular part (never a post)" for path in sorted(pages_dir.rglob("_*/*.md")))
    return lines


def _check_templates(config: Config, posts: list[Post], now: dt.datetime) -> list[str]:
    problems: list[str] = []
    env = template_environment(config)
    names = [HTML_TEMPLATE, TEXT_TEMPLATE, *(n for n in env.list_templates() if n.startswith("web/"))]
    for name in names:
        try:
            env.get_template(name)
        except jinja2.TemplateSyntaxError as exc:
            problems.append(f"{exc.filename or name}:{exc.lineno}: {exc.message}")
        except jinja2.TemplateNotFound:
            problems.append(f"template not found: {name}")
    if not problems:
        # Render a digest of real posts: an unknown variable only shows at render time.
        sample = sorted(posts, key=lambda p: p.date)[-3:]
        if sample:
            try:
                render_digest(config, sample, 1, now)
            except BulletinError as exc:
                problems.extend(exc.problems)
    return problems


def _post_warnings(post: Post, markdown: MarkdownSettings) -> list[str]:
    warnings: list[str] = []
    folder = post.folder
    links = _LOCAL_LINK.findall(post.body) + _HTML_SRC.findall(post.body)
    if post.image:
        links.append(post.image)
    for link in links:
        parts = urlsplit(link)
        if parts.scheme or link.startswith(("/", "#", "//")):
            continue
        if not (folder / unquote(parts.path)).exists():
            warnings.append(f"{post.source}: image {link} does not exist beside the post")
    summary, whole = split_summary(post.body)
    if summary is not None:
        summary_text = text_of(markdown_to_html(summary, markdown)).strip()
        rest_text = text_of(markdown_to_html(whole, markdown)).strip()
        if not summary_text:
            warnings.append(f"{post.source}: the summary above === is empty")
        elif len(summary_text) >= len(rest_text):
            warnings.append(f"{post.source}: the summary above === is the whole post")
    return warnings

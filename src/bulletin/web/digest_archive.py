"""The public digest archive: every digest as a web page, without per-subscriber parts."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import jinja2

from ..config import Config
from ..i18n import long_date, texts
from ..mail.markers import MARKS, PERSONAL_END, PERSONAL_START
from ..store import DigestSummary, RenderedDigest, Store
from .archive_languages import ArchiveLanguage, archive_languages, archived_rendering, in_language
from .languages import language_name

_PERSONAL = re.compile(re.escape(PERSONAL_START) + ".*?" + re.escape(PERSONAL_END), re.S)
_BODY_START = re.compile(r"<body\b[^>]*>", re.I)
_HEAD_START = re.compile(r"<head\b[^>]*>", re.I)
# Where the pages' stylesheet is: served by `bulletin serve`, and written by `bulletin build`
# beside the archive (the output folder is served at the site's root, as the archive links are).
STYLESHEET = "static/bulletin.css"
# Digests per page of the archive index: a page stays small however many were sent.
INDEX_PAGE_SIZE = 50


def public_html(rendered: RenderedDigest) -> str:
    """The digest as every subscriber got it, minus greeting, address and unsubscribe link."""
    html = _PERSONAL.sub("", rendered.anonymous.html)
    # A template that put a marker outside the personal blocks still leaks nothing.
    for mark in MARKS:
        html = html.replace(mark, "")
    return html


def issue_page(
    config: Config, env: jinja2.Environment, rendered: RenderedDigest, archive: ArchiveLanguage
) -> str:
    """The public digest with the archive's bar on top: the site, all digests, the sign-up form."""
    html = public_html(rendered)
    bar = env.get_template("web/archive_nav.html.j2").render(
        site=config.site,
        t=texts(archive.code),
        archive_url=archive.root,
        subscribe_url=subscribe_url(config, archive),
    )
    # The pages' stylesheet goes first in the head, so the digest's own rules win where both speak.
    link = f'<link rel="stylesheet" href="/{STYLESHEET}">'
    html = _HEAD_START.sub(lambda head: head.group(0) + "\n" + link, html, count=1)
    body = _BODY_START.search(html)
    at = body.end() if body else 0
    return html[:at] + "\n" + bar + html[at:]


def subscribe_url(config: Config, archive: ArchiveLanguage) -> str:
    """The sign-up form in the archive's language (serve answers /kk/subscribe in Kazakh)."""
    return f"{config.web.url}{archive.prefix}/subscribe"


def index_page_count(digests: int) -> int:
    """Pages of the archive index; an empty archive still has its first page, which says so."""
    return max(1, -(-digests // INDEX_PAGE_SIZE))


@dataclass(frozen=True)
class IndexPage:
    """One page of the index as the store gave it: which page, of how many, and its digests."""

    page: int
    pages: int
    digests: tuple[DigestSummary, ...]


def index_page(store: Store, page: int, archive: ArchiveLanguage) -> IndexPage | None:
    """Page ``page`` of the archive's index, newest digests first; None when there is no such page.

    One archive of a single-language site takes two small queries, whatever its size: its
    length, and this page's rows. A language's archive reads every row and keeps its own.
    """
    if archive.several:
        return _page_of(_language_summaries(store, archive), page)
    pages = index_page_count(store.digest_count())
    if not 1 <= page <= pages:
        return None
    summaries = store.digest_summaries(INDEX_PAGE_SIZE, (page - 1) * INDEX_PAGE_SIZE)
    return IndexPage(page, pages, tuple(summaries))


def index_pages(store: Store, archive: ArchiveLanguage) -> list[IndexPage]:
    """Every page of the archive's index, for `bulletin build` (a language's rows read once)."""
    if archive.several:
        summaries = _language_summaries(store, archive)
        found = (_page_of(summaries, page) for page in range(1, index_page_count(len(summaries)) + 1))
    else:
        pages = index_page_count(store.digest_count())
        found = (index_page(store, page, archive) for page in range(1, pages + 1))
    # None only if digests vanished meanwhile, which no command does.
    return [index for index in found if index is not None]


def _language_summaries(store: Store, archive: ArchiveLanguage) -> list[DigestSummary]:
    rows = (in_language(summary, archive) for summary in store.digest_summaries(store.digest_count()))
    return [row for row in rows if row is not None]


def _page_of(summaries: list[DigestSummary], page: int) -> IndexPage | None:
    pages = index_page_count(len(summaries))
    if not 1 <= page <= pages:
        return None
    return IndexPage(page, pages, tuple(summaries[(page - 1) * INDEX_PAGE_SIZE : page * INDEX_PAGE_SIZE]))


def render_index(config: Config, env: jinja2.Environment, index: IndexPage, archive: ArchiveLanguage) -> str:
    """The page's HTML in the archive's language; needs no store, so `serve` renders it off the
    store's thread."""
    digests = [
        {
            "number": summary.number,
            "date": long_date(summary.created_at, config.site.timezone, archive.code),
            "posts": [post.title for post in summary.posts],
        }
        for summary in index.digests
    ]
    others = [
        {"code": other.code, "name": language_name(other.code), "url": other.root}
        for other in archive_languages(config)
        if other.prefix and other.code != archive.code
    ]
    template = env.get_template("web/archive_index.html.j2")
    page, pages = index.page, index.pages
    return template.render(
        site=config.site,
        t=texts(archive.code),
        lang=archive.code,
        digests=digests,
        archive_url=archive.root,
        other_languages=others,
        subscribe_url=subscribe_url(config, archive),
        page=page,
        pages=pages,
        newer_url=archive.page_path(page - 1) if page > 1 else None,
        older_url=archive.page_path(page + 1) if page < pages else None,
    )


def stylesheet_text(env: jinja2.Environment) -> str:
    return env.get_template("web/bulletin.css").render()


def archive_files(config: Config, env: jinja2.Environment, store: Store) -> dict[Path, bytes]:
    """Each archive's index pages (archive/index.html, archive/page/N/index.html, and under kk/
    for a language's) and digests (archive/N/index.html), at the addresses `bulletin serve`
    answers, for a plain web server."""
    output = config.feeds.output_dir
    archives = archive_languages(config)
    files: dict[Path, bytes] = {}
    for archive in archives:
        for index in index_pages(store, archive):
            html = render_index(config, env, index, archive)
            files[output / archive.page_path(index.page).strip("/") / "index.html"] = html.encode("utf-8")
    for record in store.recent_digests(limit=100_000):
        renderings = store.digest_renderings(record.number) if archives[0].several else []
        for archive in archives:
            rendered = archived_rendering(record, renderings, archive)
            if rendered is not None:
                page_html = issue_page(config, env, rendered, archive)
                path = output / archive.root.strip("/") / str(record.number) / "index.html"
                files[path] = page_html.encode("utf-8")
    return files


def stylesheet_file(config: Config, env: jinja2.Environment) -> dict[Path, bytes]:
    """The stylesheet the archive pages link, where a web server serving the output folder finds it."""
    return {config.feeds.output_dir / STYLESHEET: stylesheet_text(env).encode("utf-8")}

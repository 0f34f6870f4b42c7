"""The public digest archive: every digest as a web page, without per-subscriber parts."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

import jinja2

from ..config import Config
from ..i18n import long_date, texts
from ..mail.markers import EMAIL_MARK, NAME_MARK, PERSONAL_END, PERSONAL_START, UNSUBSCRIBE_MARK
from ..store import DigestRecord, DigestSummary, Store

_PERSONAL = re.compile(re.escape(PERSONAL_START) + ".*?" + re.escape(PERSONAL_END), re.S)
_BODY_START = re.compile(r"<body\b[^>]*>", re.I)
_HEAD_START = re.compile(r"<head\b[^>]*>", re.I)
# Where the pages' stylesheet is: served by `bulletin serve`, and written by `bulletin build`
# beside the archive (the output folder is served at the site's root, as the archive links are).
STYLESHEET = "static/bulletin.css"
# Digests per page of the archive index: a page stays small however many were sent.
INDEX_PAGE_SIZE = 50


def public_html(digest: DigestRecord) -> str:
    """The digest as every subscriber got it, minus greeting, address and unsubscribe link."""
    html = _PERSONAL.sub("", digest.rendered.anonymous.html)
    # A template that put a marker outside the personal blocks still leaks nothing.
    for mark in (NAME_MARK, EMAIL_MARK, UNSUBSCRIBE_MARK):
        html = html.replace(mark, "")
    return html


def issue_page(config: Config, env: jinja2.Environment, digest: DigestRecord) -> str:
    """The public digest with the archive's bar on top: the site, all digests, the sign-up form."""
    html = public_html(digest)
    bar = env.get_template("web/archive_nav.html.j2").render(
        site=config.site, t=texts(config.site.language), subscribe_url=f"{config.web.url}/subscribe"
    )
    # The pages' stylesheet goes first in the head, so the digest's own rules win where both speak.
    link = f'<link rel="stylesheet" href="/{STYLESHEET}">'
    html = _HEAD_START.sub(lambda head: head.group(0) + "\n" + link, html, count=1)
    body = _BODY_START.search(html)
    at = body.end() if body else 0
    return html[:at] + "\n" + bar + html[at:]


def reading_date(moment: dt.datetime, config: Config) -> str:
    """The date as people read it in the site's language: "26 ноября 2026", "26 November 2026"."""
    return long_date(moment, config.site.timezone, config.site.language)


def index_page_count(digests: int) -> int:
    """Pages of the archive index; an empty archive still has its first page, which says so."""
    return max(1, -(-digests // INDEX_PAGE_SIZE))


def index_page_path(page: int) -> str:
    """Where page ``page`` of the index is; the first is the archive's own address."""
    return "/archive/" if page == 1 else f"/archive/page/{page}/"


@dataclass(frozen=True)
class IndexPage:
    """One page of the index as the store gave it: which page, of how many, and its digests."""

    page: int
    pages: int
    digests: tuple[DigestSummary, ...]


def index_page(store: Store, page: int) -> IndexPage | None:
    """Page ``page`` of the index, newest digests first; None when there is no such page.

    Two small queries, whatever the archive's size: its length, and this page's rows.
    """
    pages = index_page_count(store.digest_count())
    if not 1 <= page <= pages:
        return None
    summaries = store.digest_summaries(INDEX_PAGE_SIZE, (page - 1) * INDEX_PAGE_SIZE)
    return IndexPage(page, pages, tuple(summaries))


def render_index(config: Config, env: jinja2.Environment, index: IndexPage) -> str:
    """The page's HTML; needs no store, so `serve` renders it off the store's thread."""
    digests = [
        {
            "number": summary.number,
            "date": reading_date(summary.created_at, config),
            "posts": [post.title for post in summary.posts],
        }
        for summary in index.digests
    ]
    template = env.get_template("web/archive_index.html.j2")
    page, pages = index.page, index.pages
    return template.render(
        site=config.site,
        t=texts(config.site.language),
        lang=config.site.language,
        digests=digests,
        subscribe_url=f"{config.web.url}/subscribe",
        page=page,
        pages=pages,
        newer_url=index_page_path(page - 1) if page > 1 else None,
        older_url=index_page_path(page + 1) if page < pages else None,
    )


def stylesheet_text(env: jinja2.Environment) -> str:
    return env.get_template("web/bulletin.css").render()


def archive_files(config: Config, env: jinja2.Environment, store: Store) -> dict[Path, bytes]:
    """The index's pages (archive/index.html, archive/page/N/index.html) and each digest's
    archive/N/index.html, at the addresses `bulletin serve` answers, for a plain web server."""
    output = config.feeds.output_dir
    files: dict[Path, bytes] = {}
    for page in range(1, index_page_count(store.digest_count()) + 1):
        index = index_page(store, page)
        if index is not None:  # None only if digests vanished meanwhile, which no command does
            html = render_index(config, env, index)
            files[output / index_page_path(page).strip("/") / "index.html"] = html.encode("utf-8")
    for record in store.recent_digests(limit=100_000):
        page_html = issue_page(config, env, record)
        files[output / "archive" / str(record.number) / "index.html"] = page_html.encode("utf-8")
    return files


def stylesheet_file(config: Config, env: jinja2.Environment) -> dict[Path, bytes]:
    """The stylesheet the archive pages link, where a web server serving the output folder finds it."""
    return {config.feeds.output_dir / STYLESHEET: stylesheet_text(env).encode("utf-8")}

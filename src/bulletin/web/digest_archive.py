"""The public digest archive: every digest as a web page, without per-subscriber parts."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import jinja2

from ..config import Config
from ..i18n import texts
from ..mail.markers import EMAIL_MARK, NAME_MARK, PERSONAL_END, PERSONAL_START, UNSUBSCRIBE_MARK
from ..store import DigestRecord, Store

_PERSONAL = re.compile(re.escape(PERSONAL_START) + ".*?" + re.escape(PERSONAL_END), re.S)
_BODY_START = re.compile(r"<body\b[^>]*>", re.I)
_HEAD_START = re.compile(r"<head\b[^>]*>", re.I)
# Where the pages' stylesheet is: served by `bulletin serve`, and written by `bulletin build`
# beside the archive (the output folder is served at the site's root, as the archive links are).
STYLESHEET = "static/bulletin.css"


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
    from babel.dates import format_date  # only pages listing digests need babel

    local = moment.astimezone(config.site.timezone)
    try:
        return format_date(local, format="d MMMM y", locale=config.site.language.replace("-", "_"))
    except ValueError:  # a language CLDR does not know
        return format_date(local, format="d MMMM y", locale="en")


def index_html(config: Config, env: jinja2.Environment, store: Store) -> str:
    digests = []
    for record in store.recent_digests(limit=100_000):
        digests.append(
            {
                "number": record.number,
                "date": reading_date(record.created_at, config),
                "posts": [post.title for post in store.digest_posts(record.number)],
            }
        )
    template = env.get_template("web/archive_index.html.j2")
    return template.render(
        site=config.site,
        t=texts(config.site.language),
        digests=digests,
        subscribe_url=f"{config.web.url}/subscribe",
    )


def stylesheet_text(env: jinja2.Environment) -> str:
    return env.get_template("web/bulletin.css").render()


def archive_files(config: Config, env: jinja2.Environment, store: Store) -> dict[Path, bytes]:
    """archive/index.html and archive/N/index.html, for a plain web server to serve."""
    root = config.feeds.output_dir / "archive"
    files = {root / "index.html": index_html(config, env, store).encode("utf-8")}
    for record in store.recent_digests(limit=100_000):
        files[root / str(record.number) / "index.html"] = issue_page(config, env, record).encode("utf-8")
    return files


def stylesheet_file(config: Config, env: jinja2.Environment) -> dict[Path, bytes]:
    """The stylesheet the archive pages link, where a web server serving the output folder finds it."""
    return {config.feeds.output_dir / STYLESHEET: stylesheet_text(env).encode("utf-8")}

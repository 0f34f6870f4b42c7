"""The public digest archive: every digest as a web page, without per-subscriber parts."""

from __future__ import annotations

import re
from pathlib import Path

import jinja2

from ..config import Config
from ..i18n import texts
from ..mail.markers import EMAIL_MARK, NAME_MARK, PERSONAL_END, PERSONAL_START, UNSUBSCRIBE_MARK
from ..store import DigestRecord, Store

_PERSONAL = re.compile(re.escape(PERSONAL_START) + ".*?" + re.escape(PERSONAL_END), re.S)


def public_html(digest: DigestRecord) -> str:
    """The digest as every subscriber got it, minus greeting, address and unsubscribe link."""
    html = _PERSONAL.sub("", digest.rendered.anonymous.html)
    # A template that put a marker outside the personal blocks still leaks nothing.
    for mark in (NAME_MARK, EMAIL_MARK, UNSUBSCRIBE_MARK):
        html = html.replace(mark, "")
    return html


def index_html(config: Config, env: jinja2.Environment, store: Store) -> str:
    digests = []
    for record in store.recent_digests(limit=100_000):
        digests.append(
            {
                "number": record.number,
                "date": record.created_at.astimezone(config.site.timezone),
                "posts": [post.title for post in store.digest_posts(record.number)],
            }
        )
    template = env.get_template("web/archive_index.html.j2")
    return template.render(site=config.site, t=texts(config.site.language), digests=digests)


def archive_files(config: Config, env: jinja2.Environment, store: Store) -> dict[Path, bytes]:
    """archive/index.html and archive/N/index.html, for a plain web server to serve."""
    root = config.feeds.output_dir / "archive"
    files = {root / "index.html": index_html(config, env, store).encode("utf-8")}
    for record in store.recent_digests(limit=100_000):
        files[root / str(record.number) / "index.html"] = public_html(record).encode("utf-8")
    return files

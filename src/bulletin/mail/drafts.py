"""The next digest as a draft: preview files and `send --test`, recording nothing."""

from __future__ import annotations

import asyncio
import datetime as dt
import secrets
from dataclasses import replace
from pathlib import Path

from ..config import Config
from ..errors import DeliveryError, StoreError
from ..files import write_files_atomically
from ..preferences import site_languages
from ..site.language_posts import language_posts
from ..site.posts import Post, visible_posts
from ..store import DigestRecord, RenderedDigest, RenderedVariant, Topic
from ..subscribers import normalise_address, transport_address
from .digest import render_digest
from .digest_split import posts_for, reader_language
from .jobs import plan
from .messages import MessageTemplate, build_template, personal_parts, personalise
from .single_send import send_single

PREVIEW_EMAIL = "preview@example.com"
# Not a valid token: a draft must never unsubscribe anyone.
DRAFT_TOKEN = "draft-token"
TEST_PREFIX = "[TEST] "


def draft(
    config: Config,
    now: dt.datetime,
    subject_prefix: str = "",
    language: str | None = None,
    topics: frozenset[Topic] = frozenset(),
) -> tuple[MessageTemplate, int | None]:
    """The next digest as a subscriber reading ``language`` (the site's default when None) with
    ``topics`` (none: every post) would get it, rendered but not stored.

    With no new post for them, their newest visible posts stand in so templates can still
    be checked. Returns the template and the number of new posts (None when standing in).
    """
    languages = site_languages(config)
    reader = reader_language(language, languages)
    next_send = plan(config, now)
    chosen: list[Post] = posts_for(next_send.new_posts, reader, topics, config.digest.topics, languages[0])
    new_count: int | None = len(chosen)
    if not chosen:
        visible = visible_posts(language_posts(config, now), now)
        theirs = posts_for(visible, reader, topics, config.digest.topics, languages[0])
        chosen = sorted(theirs[:3], key=lambda p: p.date)
        new_count = None
    if not chosen:
        raise StoreError("no visible posts to put in a digest")
    rendered = render_digest(config, chosen, next_send.next_number, now, reader)
    rendered = _with_subject_prefix(rendered, subject_prefix)
    record = DigestRecord(next_send.next_number, now, secrets.token_hex(8), rendered)
    return build_template(config, record), new_count


def _with_subject_prefix(rendered: RenderedDigest, prefix: str) -> RenderedDigest:
    def prefixed(part: RenderedVariant) -> RenderedVariant:
        return replace(part, subject=prefix + part.subject)

    return replace(rendered, named=prefixed(rendered.named), anonymous=prefixed(rendered.anonymous))


def preview(
    config: Config,
    now: dt.datetime,
    out_dir: Path,
    language: str | None = None,
    topics: frozenset[Topic] = frozenset(),
) -> tuple[list[Path], int | None]:
    """Write the next digest, as a reader of ``language`` with ``topics`` gets it, as
    digest.html, digest.txt and digest.eml in ``out_dir``."""
    template, new_count = draft(config, now, "", language, topics)
    parts = personal_parts(template, PREVIEW_EMAIL, None, DRAFT_TOKEN, DRAFT_TOKEN)
    files = {
        out_dir / "digest.html": parts.html.encode("utf-8"),
        out_dir / "digest.txt": parts.text.encode("utf-8"),
        out_dir / "digest.eml": personalise(template, 0, PREVIEW_EMAIL, None, DRAFT_TOKEN, DRAFT_TOKEN),
    }
    write_files_atomically(files)
    return list(files), new_count


def send_test(config: Config, now: dt.datetime, address: str) -> int | None:
    """Send the next digest to one address now, subject prefixed [TEST]; nothing is recorded."""
    email = transport_address(normalise_address(address))
    template, new_count = draft(config, now, TEST_PREFIX)
    data = personalise(template, 0, email, None, DRAFT_TOKEN, DRAFT_TOKEN)
    report = asyncio.run(send_single(config, email, data, "tests"))
    if report.sent != 1:
        reason = report.aborted or "the server did not accept it (see smtp settings)"
        raise DeliveryError(f"test digest to {email} not sent: {reason}")
    return new_count

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
from ..site.posts import Post, visible_posts
from ..site.reading import load_site_posts
from ..store import DigestRecord, RenderedDigest, RenderedVariant
from ..subscribers import normalise_address, transport_address
from .digest import render_digest
from .jobs import plan
from .messages import MessageTemplate, build_template, personal_parts, personalise
from .single_send import send_single

PREVIEW_EMAIL = "preview@example.com"
# Not a valid token: a draft must never unsubscribe anyone.
DRAFT_TOKEN = "draft-token"
TEST_PREFIX = "[TEST] "


def draft(config: Config, now: dt.datetime, subject_prefix: str = "") -> tuple[MessageTemplate, int | None]:
    """The next digest, rendered but not stored.

    With no new post, the newest visible posts stand in so templates can still be
    checked. Returns the template and the number of new posts (None when standing in).
    """
    posts = load_site_posts(config, now=now)
    next_send = plan(config, now)
    chosen: list[Post] = list(next_send.new_posts)
    new_count: int | None = len(chosen)
    if not chosen:
        chosen = sorted(visible_posts(posts, now)[:3], key=lambda p: p.date)
        new_count = None
    if not chosen:
        raise StoreError("no visible posts to put in a digest")
    rendered = _with_subject_prefix(render_digest(config, chosen, next_send.next_number, now), subject_prefix)
    record = DigestRecord(next_send.next_number, now, secrets.token_hex(8), rendered)
    return build_template(config, record), new_count


def _with_subject_prefix(rendered: RenderedDigest, prefix: str) -> RenderedDigest:
    def prefixed(part: RenderedVariant) -> RenderedVariant:
        return replace(part, subject=prefix + part.subject)

    return replace(rendered, named=prefixed(rendered.named), anonymous=prefixed(rendered.anonymous))


def preview(config: Config, now: dt.datetime, out_dir: Path) -> tuple[list[Path], int | None]:
    """Write the next digest as digest.html, digest.txt and digest.eml in ``out_dir``."""
    template, new_count = draft(config, now)
    parts = personal_parts(template, PREVIEW_EMAIL, None, DRAFT_TOKEN)
    files = {
        out_dir / "digest.html": parts.html.encode("utf-8"),
        out_dir / "digest.txt": parts.text.encode("utf-8"),
        out_dir / "digest.eml": personalise(template, 0, PREVIEW_EMAIL, None, DRAFT_TOKEN),
    }
    write_files_atomically(files)
    return list(files), new_count


def send_test(config: Config, now: dt.datetime, address: str) -> int | None:
    """Send the next digest to one address now, subject prefixed [TEST]; nothing is recorded."""
    email = transport_address(normalise_address(address))
    template, new_count = draft(config, now, TEST_PREFIX)
    data = personalise(template, 0, email, None, DRAFT_TOKEN)
    report = asyncio.run(send_single(config, email, data, "tests"))
    if report.sent != 1:
        reason = report.aborted or "the server did not accept it (see smtp settings)"
        raise DeliveryError(f"test digest to {email} not sent: {reason}")
    return new_count

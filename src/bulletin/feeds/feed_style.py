"""The XSLT stylesheet that turns an RSS or Atom feed opened in a browser into a readable page.

Feed readers ignore an ``<?xml-stylesheet?>`` processing instruction; a browser applies it
and shows what a feed is, how to follow it (its address, or the email digest) and its posts.
"""

from __future__ import annotations

import base64
import hashlib

from ..config import Config
from ..i18n import date_locale, texts
from .paths import FEED_STYLE_FILE

# The page's styles, inline in the transformed page: a feed may live under a path of its own
# (feeds.url), where no link to the pages' stylesheet would resolve. `bulletin serve` allows
# exactly this text by its hash (FEED_PAGE_STYLE_HASH). No '<' or '&': they would be escaped.
FEED_PAGE_STYLE = (
    "body{margin:0;background:#f3f4f6;font-family:Arial,Helvetica,sans-serif;color:#1f2937;line-height:1.5}"
    "main{max-width:560px;margin:40px auto;padding:24px 28px;background:#fff;border-radius:6px}"
    "@media (max-width:620px){main{margin:0;border-radius:0;padding:20px 16px}}"
    "h1{font-size:24px;margin:0 0 12px}h2{font-size:19px;margin:28px 0 8px}"
    ".badge{display:inline-block;margin:0 0 8px;padding:2px 10px;border-radius:10px;background:#fde7d4;"
    "color:#9a3412;font-size:13px;font-weight:bold}"
    ".url{padding:10px 12px;background:#f3f4f6;border:1px solid #d1d5db;border-radius:4px;"
    "font-family:monospace;font-size:14px;overflow-wrap:anywhere;user-select:all}"
    "a{color:#0f4c81}.posts{padding-left:0;list-style:none}.posts li{margin:0 0 12px}"
    ".date{display:block;color:#6b7280;font-size:14px}"
)
FEED_PAGE_STYLE_HASH = (
    f"'sha256-{base64.b64encode(hashlib.sha256(FEED_PAGE_STYLE.encode()).digest()).decode()}'"
)


def stylesheet_href(feed_path: str) -> str:
    """The stylesheet's address relative to a feed (``tag/x/feed.xml`` -> ``../../feed.xsl``),
    so the pair works wherever the output folder is served."""
    return "../" * feed_path.count("/") + FEED_STYLE_FILE


def with_stylesheet(document: bytes, feed_path: str) -> bytes:
    """An RSS or Atom document with the processing instruction after its XML declaration."""
    instruction = f'<?xml-stylesheet type="text/xsl" href="{stylesheet_href(feed_path)}"?>\n'.encode()
    if document.startswith(b"<?xml"):
        end = document.index(b"?>") + 2
        newline = 1 if document[end : end + 1] == b"\n" else 0
        return (
            document[: end + newline] + (b"" if newline else b"\n") + instruction + document[end + newline :]
        )
    return instruction + document


def feed_stylesheet(config: Config) -> bytes:
    """The XSLT stylesheet in the site's language: texts, month names, the sign-up form's address."""
    from babel.dates import get_month_names

    from ..templating import template_environment

    language = config.site.language
    months = dict(get_month_names("wide", context="format", locale=date_locale(language)))
    t = texts(language)
    what_before, _, what_after = t["feed_what"].partition("{list}")
    template = template_environment(config).get_template("feed.xsl.j2")
    return template.render(
        language=language,
        t=t,
        what_before=what_before,
        what_after=what_after,
        months=months,
        style=FEED_PAGE_STYLE,
        subscribe_url=f"{config.web.url}/subscribe",
    ).encode("utf-8")

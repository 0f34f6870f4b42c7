"""Feed files over HTTP: the main feed, per-tag feeds and RFC 5005 archive pages, with ETag and 304."""

from __future__ import annotations

from email.utils import formatdate, parsedate_to_datetime
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response

from ..feeds.paths import ATOM_FILE, RSS_FILE
from .feed_cache import FEED_TYPES, feed_media_type
from .pages import not_found
from .security import FEED_CSP, security_headers
from .state import web_state

XML_FEED_TYPES = (FEED_TYPES[RSS_FILE], FEED_TYPES[ATOM_FILE])


async def feed(request: Request) -> Response:
    state = web_state(request)
    found = state.feeds.load(request.path_params["path"])
    if found is None:
        return not_found(state)
    headers = {
        "ETag": found.etag,
        "Last-Modified": formatdate(found.mtime, usegmt=True),
        "Cache-Control": "public, max-age=300",
        **security_headers(FEED_CSP),
    }
    if _not_modified(request, found.etag, found.mtime):
        return Response(status_code=304, headers=headers)
    media_type = feed_media_type(Path(request.path_params["path"]))
    if media_type in XML_FEED_TYPES:
        headers["Vary"] = "Accept"
        if _is_browser_page_load(request):
            # Chromium shows application/rss+xml as plain text and applies no stylesheet;
            # as application/xml it applies the feed's <?xml-stylesheet?> (feeds/feed_style.py).
            media_type = "application/xml; charset=utf-8"
    return Response(found.data, headers=headers, media_type=media_type)


def _is_browser_page_load(request: Request) -> bool:
    """A browser opening the feed as a page: it asks for HTML first and names no feed type.
    Feed readers name the feed types, or accept anything (*/*) without asking for HTML."""
    accept = request.headers.get("accept", "").lower()
    return "text/html" in accept and "rss+xml" not in accept and "atom+xml" not in accept


def _not_modified(request: Request, etag: str, mtime: float) -> bool:
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:
        tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        return etag in tags or "*" in tags
    if_modified_since = request.headers.get("if-modified-since")
    if if_modified_since:
        try:
            return int(mtime) <= parsedate_to_datetime(if_modified_since).timestamp()
        except (TypeError, ValueError):
            return False
    return False

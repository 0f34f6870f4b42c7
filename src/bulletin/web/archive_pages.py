"""The digest archive over HTTP: the list of sent digests and each digest as a page."""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from ..store import DigestRecord, Store
from .digest_archive import index_page, issue_page, render_index
from .pages import not_found
from .security import ARCHIVE_CSP, STRICT_CSP, security_headers
from .state import web_state

# SQLite integers stop at 2**63 - 1; a longer number names no digest.
LARGEST_DIGEST_NUMBER = 2**63 - 1


async def archive_index(request: Request) -> Response:
    """/archive/ (the newest digests) and /archive/page/N/ (older ones)."""
    state = web_state(request)
    page = request.path_params.get("page", 1)
    if page == 1 and "page" in request.path_params:
        return RedirectResponse("/archive/", status_code=301)  # one address per page
    # Queried on the store's thread and rendered on another, so neither the event loop
    # nor the store's queue waits for the template (50 dates in the site's language).
    index = await state.store.run(index_page, page) if page <= LARGEST_DIGEST_NUMBER else None
    if index is None:
        return not_found(state)
    html = await asyncio.to_thread(render_index, state.config, state.env, index)
    return HTMLResponse(html, headers=security_headers(STRICT_CSP))


async def archive_digest(request: Request) -> Response:
    state = web_state(request)
    number = request.path_params["number"]
    record = await state.store.run(_digest, number) if number <= LARGEST_DIGEST_NUMBER else None
    if record is None:
        return not_found(state)
    return HTMLResponse(issue_page(state.config, state.env, record), headers=security_headers(ARCHIVE_CSP))


def _digest(store: Store, number: int) -> DigestRecord | None:
    return store.digest(number)

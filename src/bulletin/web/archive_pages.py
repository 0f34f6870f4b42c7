"""The digest archive over HTTP: the list of sent digests and each digest as a page."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from ..store import DigestRecord, Store
from .digest_archive import index_html, issue_page
from .pages import not_found
from .security import ARCHIVE_CSP, STRICT_CSP, security_headers
from .state import WebState, web_state

# SQLite integers stop at 2**63 - 1; a longer number names no digest.
LARGEST_DIGEST_NUMBER = 2**63 - 1


async def archive_index(request: Request) -> Response:
    """/archive/ (the newest digests) and /archive/page/N/ (older ones)."""
    state = web_state(request)
    page = request.path_params.get("page", 1)
    if page == 1 and "page" in request.path_params:
        return RedirectResponse("/archive/", status_code=301)  # one address per page
    # Queried and rendered on the store's thread: nothing here waits on the event loop.
    html = await state.store.run(_index_html, state, page) if page <= LARGEST_DIGEST_NUMBER else None
    if html is None:
        return not_found(state)
    return HTMLResponse(html, headers=security_headers(STRICT_CSP))


async def archive_digest(request: Request) -> Response:
    state = web_state(request)
    number = request.path_params["number"]
    record = await state.store.run(_digest, number) if number <= LARGEST_DIGEST_NUMBER else None
    if record is None:
        return not_found(state)
    return HTMLResponse(issue_page(state.config, state.env, record), headers=security_headers(ARCHIVE_CSP))


def _index_html(store: Store, state: WebState, page: int) -> str | None:
    return index_html(state.config, state.env, store, page)


def _digest(store: Store, number: int) -> DigestRecord | None:
    return store.digest(number)

"""The digest archive over HTTP: each archive's list of sent digests and each digest as a page."""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from ..store import RenderedDigest, Store
from .archive_languages import ArchiveLanguage, archive_at, archived_rendering
from .digest_archive import index_page, issue_page, render_index
from .pages import not_found
from .security import ARCHIVE_CSP, STRICT_CSP, security_headers
from .state import web_state

# SQLite integers stop at 2**63 - 1; a longer number names no digest.
LARGEST_DIGEST_NUMBER = 2**63 - 1
ARCHIVE_PAGES_KEPT = 64  # rendered index pages kept in memory (some 10 KB each)


async def archive_index(request: Request) -> Response:
    """/archive/ (the newest digests) and /archive/page/N/ (older ones); the same under /kk/."""
    state = web_state(request)
    archive = archive_at(state.archives, request.url.path)
    page = request.path_params.get("page", 1)
    if page == 1 and "page" in request.path_params:
        return RedirectResponse(archive.root, status_code=301)  # one address per page
    if page > LARGEST_DIGEST_NUMBER:
        return not_found(state, archive.code)
    key = (archive.root, page, await state.store.run(_digest_count))
    html = state.archive_pages.get(key)
    if html is None:
        # Queried on the store's thread and rendered on another, so neither the event loop
        # nor the store's queue waits for the template (50 dates in the archive's language).
        index = await state.store.run(index_page, page, archive)
        if index is None:
            return not_found(state, archive.code)
        html = await asyncio.to_thread(render_index, state.config, state.env, index, archive)
        if len(state.archive_pages) >= ARCHIVE_PAGES_KEPT:
            state.archive_pages.clear()  # pages of an older count, or many pages: start afresh
        state.archive_pages[key] = html
    return HTMLResponse(html, headers=security_headers(STRICT_CSP))


async def archive_digest(request: Request) -> Response:
    state = web_state(request)
    archive = archive_at(state.archives, request.url.path)
    number = request.path_params["number"]
    found = await state.store.run(_rendering, number, archive) if number <= LARGEST_DIGEST_NUMBER else None
    if found is None:
        return not_found(state, archive.code)
    html = issue_page(state.config, state.env, found, archive)
    return HTMLResponse(html, headers=security_headers(ARCHIVE_CSP))


def _rendering(store: Store, number: int, archive: ArchiveLanguage) -> RenderedDigest | None:
    """What the archive shows of digest ``number``, in one store call; None for none."""
    record = store.digest(number)
    if record is None:
        return None
    renderings = store.digest_renderings(number) if archive.several else []
    return archived_rendering(record, renderings, archive)


def _digest_count(store: Store) -> int:
    return store.digest_count()


def archive_routes(archive: ArchiveLanguage) -> list[Route]:
    """The index, its pages and each digest, under one archive's root (/archive/, /kk/archive/)."""
    root = archive.root
    return [
        Route(root, archive_index),
        Route(root + "page/{page:int}", archive_index),
        Route(root + "page/{page:int}/", archive_index),
        Route(root + "{number:int}", archive_digest),
        Route(root + "{number:int}/", archive_digest),
    ]

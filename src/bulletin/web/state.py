"""What the endpoints share, held on ``app.state``: config, signer, templates, the store, the limits."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Concatenate, ParamSpec, TypeVar

import jinja2
from starlette.requests import Request

from ..config import Config
from ..store import Store, Subscriber
from ..tokens import TokenSigner, claimed_id
from .feed_cache import FeedFiles
from .security import SlidingWindowLimiter

P = ParamSpec("P")
T = TypeVar("T")


class StoreAccess:
    """The app's store, called on a thread of its own so a slow or locked database (a
    `bulletin send` holding the write lock) never stalls the event loop.

    One thread, as datasette keeps one for writes: a store takes its calls one at a
    time anyway (the SQLite store is one connection behind a lock), and a pool of
    threads queueing on that lock cost twice the CPU per request under load.
    """

    def __init__(self, store: Store) -> None:
        self._store = store
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bulletin-store")

    async def run(self, call: Callable[Concatenate[Store, P], T], *args: P.args, **kwargs: P.kwargs) -> T:
        """``call(store, *args, **kwargs)`` on the store's thread."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._thread, functools.partial(call, self._store, *args, **kwargs))

    def close(self) -> None:
        """Finish the calls already queued, then close the store."""
        self._thread.shutdown(wait=True)
        self._store.close()


@dataclass(frozen=True)
class WebState:
    config: Config
    signer: TokenSigner
    env: jinja2.Environment
    texts: dict[str, str]
    store: StoreAccess
    feeds: FeedFiles
    limiter: SlidingWindowLimiter
    secure_cookie: bool  # web.url is https: the CSRF cookie is sent over https only
    # The few fixed message pages, rendered once each: the one-click answer is the hot path.
    message_pages: dict[tuple[str, str], str] = field(default_factory=dict)


def web_state(request: Request) -> WebState:
    state = request.app.state.web
    assert isinstance(state, WebState)
    return state


async def token_subscriber(state: WebState, purpose: str, token: str) -> Subscriber | None:
    """The subscriber a link's token was made for, or None for any bad token."""
    if claimed_id(token) is None:
        return None  # nothing to look up
    return await state.store.run(token_row, state.signer, purpose, token)


def token_row(store: Store, signer: TokenSigner, purpose: str, token: str) -> Subscriber | None:
    """The subscriber row ``token`` was made for (its id and nonce), or None."""
    return signer.find(purpose, token, lambda subscriber_id: store.subscriber(id=subscriber_id))

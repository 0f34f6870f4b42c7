"""smtp.rate_per_second for every sender of a store together: the relay's limit, not one process's."""

from __future__ import annotations

import asyncio

from ..store import Store
from .mailer import RateLimiter


class SharedRateLimiter(RateLimiter):
    """Spaces sends by a budget the store keeps for all its senders (PostgreSQL), so N senders
    never send N times faster than the relay allows; a store with one sender at a time (SQLite)
    leaves it to this process's own spacing."""

    def __init__(self, store: Store, rate: float) -> None:
        super().__init__(rate)
        self.store = store

    async def wait(self) -> None:
        if not self.interval:
            return
        pause = self.store.send_slot(self.interval)
        if pause is None:
            await super().wait()
        elif pause > 0:
            await asyncio.sleep(pause)

"""A sliding-window limit kept in one process's memory (the web sign-up limit on a SQLite store)."""

from __future__ import annotations

import time
from collections import deque


class SlidingWindowLimiter:
    """At most ``limit`` events per key within ``window`` seconds (kept in memory)."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self.events: dict[str, deque[float]] = {}

    def allow(self, key: str) -> bool:
        now = time.monotonic()
        events = self.events.setdefault(key, deque())
        while events and events[0] <= now - self.window:
            events.popleft()
        if len(events) >= self.limit:
            return False
        events.append(now)
        if len(self.events) > 10_000:  # forget idle clients so memory stays bounded
            for stale in [k for k, v in self.events.items() if not v or v[-1] <= now - self.window]:
                del self.events[stale]
        return True

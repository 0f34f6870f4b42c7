"""Remembering the signed requests already taken, so the same one sent again is refused."""

from __future__ import annotations

import time
from collections import OrderedDict


class RecentlySeen:
    """Keys (a Mailgun token, a SendGrid signature) taken within the last ``window`` seconds.

    A request older than the window is refused for its timestamp anyway, so nothing older
    needs remembering. In memory: after a restart a replay within the window gets through
    this check, and the event's own key (the provider's event id) still makes it change
    nothing in the store.
    """

    def __init__(self, window: float, limit: int = 100_000) -> None:
        self.window = window
        self.limit = limit  # a flood of valid requests cannot grow memory without end
        self._seen: OrderedDict[str, float] = OrderedDict()

    def first_time(self, key: str, now: float | None = None) -> bool:
        """True, and ``key`` remembered, unless it was seen within the window."""
        now = time.monotonic() if now is None else now
        while self._seen:
            oldest, at = next(iter(self._seen.items()))
            if at > now - self.window and len(self._seen) < self.limit:
                break
            del self._seen[oldest]
        if key in self._seen:
            return False
        self._seen[key] = now
        return True

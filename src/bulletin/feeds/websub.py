"""WebSub publishing: tell each hub which feeds changed (W3C WebSub, section 7)."""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence

TIMEOUT = 10.0


def ping_hubs(hubs: Sequence[str], feed_urls: Sequence[str], timeout: float = TIMEOUT) -> list[str]:
    """POST hub.mode=publish for every changed feed to every hub; returns warnings.

    A hub that is down or refuses is a warning, never a failed build: the feeds
    are written already, and readers still poll them. A hub that cannot be reached
    is tried once, not once per feed: with many term feeds, a hub that swallows
    connections would otherwise hold the build for a timeout per feed.
    """
    warnings: list[str] = []
    for hub in hubs:
        for feed_url in feed_urls:
            body = urllib.parse.urlencode({"hub.mode": "publish", "hub.url": feed_url}).encode("ascii")
            request = urllib.request.Request(
                hub,
                data=body,
                method="POST",
                headers={"Content-Type": "application/x-www-form-urlencoded", "User-Agent": "bulletin"},
            )
            try:
                with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - configured hub
                    response.read()
            except urllib.error.HTTPError as exc:
                warnings.append(f"WebSub hub {hub} answered {exc.code} for {feed_url}")
            except (urllib.error.URLError, OSError, ValueError) as exc:
                reason = getattr(exc, "reason", exc)
                warnings.append(f"WebSub hub {hub} not reached: {reason}")
                break
    return warnings

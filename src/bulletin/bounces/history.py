"""What `bulletin subscribers show` prints: a subscriber and the bounces and complaints about them."""

from __future__ import annotations

import datetime as dt

from ..store import StoredEvent, Subscriber

KIND_WORDS = {"hard_bounce": "hard bounce", "soft_bounce": "soft bounce", "complaint": "complaint"}


def subscriber_lines(subscriber: Subscriber, events: list[StoredEvent]) -> list[str]:
    """The subscriber's row, then one line per event, newest first."""
    lines = [
        f"{subscriber.email}",
        f"  name: {subscriber.name or '-'}",
        f"  status: {subscriber.status}",
        f"  since: {subscriber.created_at[:16].replace('T', ' ')} UTC",
    ]
    if not events:
        return [*lines, "  no bounces or complaints"]
    lines.append(f"  bounces and complaints ({len(events)}):")
    lines.extend(f"    {event_line(event)}" for event in events)
    return lines


def event_line(event: StoredEvent) -> str:
    """'2026-04-12 05:00 UTC  hard bounce 5.1.1  digest 3  dsn: <diagnostic>'."""
    parts = [f"{event.occurred_at.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC", KIND_WORDS[event.kind]]
    if event.code:
        parts.append(event.code)
    if event.digest_id is not None:
        parts.append(f"digest {event.digest_id}")
    line = "  ".join(parts) + f"  ({event.source})"
    return line + (f": {event.detail}" if event.detail else "")

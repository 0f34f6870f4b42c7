"""Provider webhooks read into DeliveryEvents: each module checks the proof, then reads the payload."""

from __future__ import annotations


class Refused(Exception):
    """Not proven to come from the provider (unsigned, forged, too old, replayed, not configured):
    answered 403, and nothing changes. The message is for the log, never for the caller."""


class Unreadable(Exception):
    """Proven to come from the provider but not in its documented shape: answered 400."""

"""Reading the fields of a provider's JSON payload: checked types, times, addresses."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

from ..verp import token_in
from . import Unreadable

JsonObject = Mapping[str, Any]


def json_document(body: bytes, what: str) -> Any:
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise Unreadable(f"{what} is not JSON") from None


def json_object(value: Any, what: str) -> JsonObject:
    if not isinstance(value, dict):
        raise Unreadable(f"{what} is not a JSON object")
    return value


def text(data: JsonObject, key: str, what: str) -> str:
    """A field that must be a non-empty string."""
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise Unreadable(f"{what}: {key} missing or not a string")
    return value


def optional_text(data: JsonObject, key: str) -> str | None:
    value = data.get(key)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)  # Mailgun's SMTP code is a number
    return value if isinstance(value, str) and value else None


def iso_time(value: Any, what: str) -> dt.datetime:
    """An ISO 8601 time as providers write it ("2016-01-27T14:59:38.237Z"), in UTC."""
    if isinstance(value, str):
        try:
            moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            pass
        else:
            return (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)).astimezone(dt.UTC)
    raise Unreadable(f"{what}: not an ISO 8601 time: {value!r:.40}")


def epoch_time(value: Any, what: str) -> dt.datetime:
    """Seconds since 1970 (an int, a float or their text), in UTC."""
    try:
        return dt.datetime.fromtimestamp(float(value), dt.UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        raise Unreadable(f"{what}: not a Unix time: {value!r:.40}") from None


def message_id(value: str | None) -> str | None:
    """A Message-ID in the form bulletin writes it, with its angle brackets
    (Mailgun gives it without them)."""
    if not value:
        return None
    value = value.strip()
    return value if value.startswith("<") else f"<{value}>"


def verp_token(envelope_sender: str | None) -> str | None:
    """The token of a VERP envelope sender (bounces+<token>@domain), when it is one."""
    return token_in(envelope_sender) if envelope_sender else None

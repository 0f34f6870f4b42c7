"""Reading one mapping of config.yaml: typed values by a table of keys, problems collected."""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class Kind(enum.Enum):
    """What a key holds, and so how its value is checked and converted."""

    TEXT = "text"  # one line: most values can end up in a mail header
    PROSE = "prose"  # text that may span lines
    WHOLE = "whole"  # an int of at least Key.minimum
    NUMBER = "number"  # an int or float of at least Key.minimum, as a float
    FLAG = "flag"  # true or false
    NAMES = "names"  # a list of non-empty strings, as a tuple
    URL = "url"  # an absolute http(s) URL, without its trailing slash
    PATH = "path"  # relative to the config file's folder
    TIMEZONE = "timezone"  # an IANA time zone name, as a ZoneInfo


@dataclass(frozen=True)
class Key:
    """One key of a section, as the tables in defaults.py list them."""

    name: str
    kind: Kind
    default: Any = None
    minimum: float = 0
    required: bool = False


class Section:
    """Takes typed values out of one mapping of config.yaml, collecting problems.

    Every key read is removed from the mapping, so what is left at ``finish`` is unknown.
    """

    def __init__(self, data: Any, name: str, errors: list[str], where: str, base: Path) -> None:
        self.name = name  # dotted; "" for the top level
        self.errors = errors
        self.where = where  # the config file, as messages name it
        self.base = base  # relative paths are resolved against it
        if data is None:
            data = {}
        if not isinstance(data, dict):
            errors.append(f"{where}: '{name or 'config'}' must be a mapping")
            data = {}
        self.data: dict[str, Any] = dict(data)
        self.known: set[str] = set()  # every key asked for: what an unknown key may be a typo of

    def read(self, keys: Iterable[Key]) -> dict[str, Any]:
        """The values of ``keys`` by name: each checked, or its default after a problem."""
        return {key.name: self.value(key) for key in keys}

    def value(self, key: Key) -> Any:
        kind, name = key.kind, key.name
        self.known.add(name)
        if kind is Kind.TEXT or kind is Kind.PROSE:
            return self.text(name, key.default, key.required, one_line=kind is Kind.TEXT)
        if kind is Kind.WHOLE:
            return self.whole(name, key.default, int(key.minimum))
        if kind is Kind.NUMBER:
            return self.number(name, key.default, key.minimum)
        if kind is Kind.FLAG:
            return self.flag(name, key.default)
        if kind is Kind.NAMES:
            return self.names(name, key.default)
        if kind is Kind.URL:
            return self.url(self.text(name, key.default, key.required), self.key(name))
        if kind is Kind.PATH:
            path = self.text(name, key.default, key.required)
            # An optional path left empty means none, not the config file's folder.
            return self.base / path if path or key.default is not None else None
        return self.timezone(name, key.default)

    def key(self, key: str) -> str:
        return f"{self.name}.{key}" if self.name else key

    def _message(self, key: str, value: Any, expected: str) -> str:
        return f"{self.where}: '{self.key(key)}' must be {expected}, not {value!r:.60}"

    def text(self, key: str, default: Any = None, required: bool = False, one_line: bool = True) -> Any:
        if self.data.get(key) is None:
            if required:
                self.errors.append(f"{self.where}: '{self.key(key)}' is required")
            self.data.pop(key, None)
            return default
        if not isinstance(self.data[key], str):
            self.errors.append(self._message(key, self.data.pop(key), "a string"))
            return default
        value: str = self.data.pop(key)
        if one_line and ("\r" in value or "\n" in value):
            # Most values can end up in a mail header, where a line break starts a new one.
            self.errors.append(f"{self.where}: '{self.key(key)}' must be one line")
            return default
        return value

    def whole(self, key: str, default: int | None, minimum: int = 0) -> int | None:
        if key not in self.data:
            return default
        value = self.data.pop(key)
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            self.errors.append(self._message(key, value, f"a whole number of at least {minimum}"))
            return default
        return value

    def number(self, key: str, default: float, minimum: float = 0) -> float:
        if key not in self.data:
            return default
        value = self.data.pop(key)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < minimum:
            self.errors.append(self._message(key, value, f"a number of at least {minimum}"))
            return default
        return float(value)

    def flag(self, key: str, default: bool) -> bool:
        if key not in self.data:
            return default
        value = self.data.pop(key)
        if not isinstance(value, bool):
            self.errors.append(self._message(key, value, "true or false"))
            return default
        return value

    def names(self, key: str, default: tuple[str, ...]) -> tuple[str, ...]:
        if key not in self.data:
            return default
        value = self.data.pop(key)
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            self.errors.append(self._message(key, value, "a list of names"))
            return default
        return tuple(v.strip() for v in value)

    def url(self, value: str | None, key: str) -> str | None:
        """``value`` without its trailing slash if it is an absolute http(s) URL, else None."""
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            self.errors.append(f"{self.where}: '{key}' must be an absolute http(s) URL, not {value!r}")
            return None
        return value.rstrip("/")

    def timezone(self, key: str, default: str) -> ZoneInfo:
        name = self.text(key, default)
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            self.errors.append(f"{self.where}: '{self.key(key)}' is not an IANA time zone: {name!r}")
            return ZoneInfo(default)

    def take(self, key: str) -> Any:
        """The raw value of ``key`` (None when absent), for readers that check it themselves."""
        self.known.add(key)
        return self.data.pop(key, None)

    def section(self, key: str) -> Section:
        self.known.add(key)
        return Section(self.data.pop(key, None), self.key(key), self.errors, self.where, self.base)

    def problem(self, key: str, text: str) -> None:
        """Note a problem with ``key`` that its kind alone cannot see."""
        self.errors.append(f"{self.where}: '{self.key(key)}' {text}")

    def finish(self) -> None:
        for key in self.data:
            import difflib  # only for a config with a mistake in it

            close = difflib.get_close_matches(str(key), sorted(self.known), n=1, cutoff=0.7)
            hint = f" (did you mean '{self.key(close[0])}'?)" if close else ""
            self.errors.append(f"{self.where}: unknown key '{self.key(key)}'{hint}")


_DURATION = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([smhd]?)\s*")
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> float | None:
    """Seconds in '3d', '12h', '90m', '600s' or '600'; None for anything else."""
    found = _DURATION.fullmatch(str(text))
    return float(found[1]) * _UNIT_SECONDS[found[2]] if found else None

"""Headers of the everyday shape read without PyYAML: a few hundredths of the time.

Nearly every page header is a block mapping of plain keys whose values are one-line
scalars, flow lists of simple items, nested mappings or block lists of scalars::

    title: 'Донорский день'
    date: '30-11-2020 00:35'
    taxonomy:
        category: [news]
        tag:
            - лаборатория
            - 'Q&A'

libyaml parses such a header quickly, but PyYAML builds every node and value in Python,
which at 10,000 posts was a third of a cold build. ``read_simple`` reads exactly this
shape, line by line, and gives up (None) on anything else: comments, tabs, anchors,
tags, block scalars, multi-line or escaped strings, flow mappings, a key given twice,
odd indentation. The caller then reads the text with libyaml as before, so this module
only ever decides how fast a header is read, never what it holds: plain scalars are
typed by the same ``symfony_scalar``, and tests compare the two readings on generated
headers (tests/test_grav_yaml_simple.py) besides the Symfony oracle.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from .scalars import symfony_scalar

# Characters libyaml refuses or reads as a line break (NEL, LS, PS), a BOM, tabs, CR, and
# '#' (a comment, or in a value often enough to be not worth the care): the full reader's.
_GIVE_UP = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufeff\ufffe\uffff\u2028\u2029#]")
# Greedy up to the last non-space, not lazy: a lazy value tried the end of the line at every character.
_KEY_LINE = re.compile(r"( *)([A-Za-z_][A-Za-z0-9_]*(?:-[A-Za-z0-9_]+)*):(?: +(\S(?:.*\S)?))? *\Z")
_ITEM_LINE = re.compile(r"( *)- +(\S(?:.*\S)?) *\Z")
# A plain scalar cannot start with an indicator; ": " or a final ":" would make it a mapping.
_PLAIN_START = frozenset("-?:,[]{}#&*!|>'\"%@`")
# Items of a one-line flow list: single-quoted, or plain words (letters of any script,
# digits, spaces and . + / ( ) -) not starting with an indicator. Only spaces around them:
# a no-break space is part of a plain scalar in YAML.
_ITEM = r"'(?:[^']|'')*'|[^\W_][\w .+/()-]*?|[\d.+][\w .+/()-]*?"
_FLOW_LIST = re.compile(rf"\[ *(?:(?:{_ITEM}) *(?:, *(?:{_ITEM}) *)*)?\]\Z")
_FLOW_ITEMS = re.compile(rf"({_ITEM}) *(?:,|\Z)")
MAX_DEPTH = 20  # nesting this reader follows; deeper headers go to the full reader and its checks

Entry = tuple[int, bool, str, str | None]  # (indent, is a list item, key, value text or None)


class _NotSimple(Exception):
    """The header has a form this reader leaves to libyaml."""


def read_simple(text: str) -> dict[str, Any] | None:
    """The mapping a header of the everyday shape holds; None when it has any other form
    (or is empty), for the full reader to read."""
    if _GIVE_UP.search(text):
        return None
    try:
        entries = [_entry(line) for line in text.split("\n") if line.strip(" ")]
        if not entries or entries[0][1]:
            return None
        mapping, end = _mapping(entries, 0, entries[0][0], 0)
    except (_NotSimple, ValueError):
        # ValueError: an impossible date (2026-02-30). The full reader reports it, or the
        # syntax error further down that libyaml meets first.
        return None
    return mapping if end == len(entries) else None


def _entry(line: str) -> Entry:
    if match := _KEY_LINE.match(line):
        return len(match[1]), False, match[2], match[3]
    if match := _ITEM_LINE.match(line):
        return len(match[1]), True, "", match[2]
    raise _NotSimple


def _mapping(entries: list[Entry], pos: int, indent: int, depth: int) -> tuple[dict[str, Any], int]:
    if depth > MAX_DEPTH:
        raise _NotSimple
    result: dict[str, Any] = {}
    while pos < len(entries) and entries[pos][0] == indent:
        _, is_item, key, raw = entries[pos]
        if is_item or key in result or not _is_text_key(key):
            raise _NotSimple  # a list beside keys, a key twice (Grav keeps the first), true: or null:
        pos += 1
        if raw is not None:
            result[key] = _scalar(raw)
        elif pos < len(entries) and entries[pos][0] > indent:
            child = entries[pos][0]
            if entries[pos][1]:
                result[key], pos = _list(entries, pos, child)
            else:
                result[key], pos = _mapping(entries, pos, child, depth + 1)
        else:
            result[key] = None
    if pos < len(entries) and entries[pos][0] > indent:
        raise _NotSimple  # a line indented deeper than its mapping: a continuation or an error
    return result, pos


@functools.cache
def _is_text_key(key: str) -> bool:
    """Whether the plain key stays the text it is (``true:`` or ``null:`` would not); a site
    uses a few dozen keys, so the answer is kept."""
    return bool(symfony_scalar(key) == key)


def _list(entries: list[Entry], pos: int, indent: int) -> tuple[list[Any], int]:
    items = []
    while pos < len(entries) and entries[pos][0] == indent and entries[pos][1]:
        items.append(_scalar(entries[pos][3] or ""))
        pos += 1
    if pos < len(entries) and entries[pos][0] >= indent:
        raise _NotSimple  # a key among the items, or a deeper line
    return items, pos


def _scalar(raw: str) -> Any:
    first = raw[0]
    if first == "'":
        return _single_quoted(raw)
    if first == '"':
        inner = raw[1:-1]
        if len(raw) < 2 or raw[-1] != '"' or '"' in inner or "\\" in inner:
            raise _NotSimple
        return inner
    if first == "[":
        return _flow_list(raw)
    if first in _PLAIN_START or ": " in raw or raw.endswith(":"):
        raise _NotSimple
    return symfony_scalar(raw)


def _single_quoted(raw: str) -> str:
    inner = raw[1:-1]
    if len(raw) < 2 or raw[-1] != "'":
        raise _NotSimple
    if "'" not in inner:
        return inner
    if "'" in inner.replace("''", ""):
        raise _NotSimple
    return inner.replace("''", "'")


def _flow_list(raw: str) -> list[Any]:
    if not _FLOW_LIST.match(raw):
        raise _NotSimple
    return [
        _single_quoted(item) if item[0] == "'" else symfony_scalar(item)
        for item in _FLOW_ITEMS.findall(raw, 1, len(raw) - 1)
    ]

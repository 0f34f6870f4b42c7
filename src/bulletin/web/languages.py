"""Which of the site's languages a page speaks: a /kk/ prefix, the browser's Accept-Language, the default."""

from __future__ import annotations

import functools
import re

from starlette.requests import Request

from ..i18n import base_language
from .state import WebState

# Each language's own name, as a reader of it looks for it in a list; others come from CLDR.
OWN_NAMES = {"ru": "Русский", "kk": "Қазақша", "en": "English"}
_ACCEPT_ITEM = re.compile(r"^\s*([A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*|\*)\s*(?:;\s*q\s*=\s*([0-9.]+))?\s*$")
MAX_ACCEPT_ITEMS = 32  # a longer header is a client's mistake or a probe: the rest is ignored


@functools.cache
def language_name(code: str) -> str:
    """ "Қазақша" for kk: the language's name in that language."""
    if base_language(code) in OWN_NAMES:
        return OWN_NAMES[base_language(code)]
    from babel import Locale, UnknownLocaleError  # here: `serve` starts without CLDR data

    try:
        name = Locale.parse(code.replace("_", "-"), sep="-").get_display_name()
    except (ValueError, UnknownLocaleError):
        return code
    return name[:1].upper() + name[1:] if name else code


def accepted_language(header: str, languages: tuple[str, ...]) -> str | None:
    """The site language the browser's Accept-Language prefers ("kk-KZ,ru;q=0.8" -> kk), or None."""
    ranked: list[tuple[float, int, str]] = []
    for position, item in enumerate(header.split(",")[:MAX_ACCEPT_ITEMS]):
        match = _ACCEPT_ITEM.match(item)
        if not match:
            continue
        try:
            weight = float(match.group(2)) if match.group(2) else 1.0
        except ValueError:
            continue
        if weight > 0:
            ranked.append((-weight, position, match.group(1)))
    for _, _, tag in sorted(ranked):
        if tag == "*":
            return None  # "anything" chooses nothing: the default stands
        found = language_matching(tag, languages)
        if found:
            return found
    return None


def language_matching(tag: str, languages: tuple[str, ...]) -> str | None:
    """The site language ``tag`` names: itself ("kk"), or by its language subtag ("kk-KZ" -> kk)."""
    lowered = {code.lower(): code for code in languages}
    if tag.lower() in lowered:
        return lowered[tag.lower()]
    base = base_language(tag)
    return next((code for code in languages if base_language(code) == base), None)


def page_language(state: WebState, request: Request) -> str:
    """A page's language: its /kk/ prefix, else the browser's Accept-Language, else the default."""
    prefix = request.url.path.split("/")[1]
    if prefix in state.languages:
        return prefix
    header = request.headers.get("accept-language", "")
    return accepted_language(header, state.languages) or state.default_language

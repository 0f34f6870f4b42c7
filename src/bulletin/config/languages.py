"""A Grav site's languages (system.yaml `languages.*`), read as Grav's Language class reads them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..errors import ConfigError

# Grav's own check for a language code (Language::setLanguages); the code also names an
# output folder (public/kk/), so nothing else may pass.
_CODE = re.compile(r"[a-zA-Z]{2,3}(?:[-_][a-zA-Z0-9]{2,8})?")


@dataclass(frozen=True)
class Languages:
    """``languages.supported`` and the settings that decide URLs and which file is a page."""

    supported: tuple[str, ...]  # Grav's order; the default is added first when missing
    default: str  # default_lang, else the first supported
    include_default_lang: bool = True  # the default language's URLs carry /ru too
    # content_fallback: language -> the languages whose files stand in for a missing one.
    fallbacks: tuple[tuple[str, tuple[str, ...]], ...] = ()
    pages_fallback_only: bool = False  # Grav's deprecated fallback: every earlier language

    def prefix(self, language: str) -> str:
        """The URL prefix of ``language`` (Language::getLanguageURLPrefix): "/kk", or "" for
        the default language when include_default_lang is false."""
        if language == self.default and not self.include_default_lang:
            return ""
        return "/" + language

    def fallback_languages(self, language: str) -> tuple[str, ...]:
        """Language::getFallbackLanguages(language, includeDefault: true): the languages whose
        files are tried in turn for a page, "" standing for the file without a language."""
        own = dict(self.fallbacks)
        if language not in own and self.pages_fallback_only:
            earlier = self.supported[: self.supported.index(language) + 1]
            return (*reversed(earlier), "")
        chain = [language, *own.get(language, (self.default,))]
        found: list[str] = []
        for code in dict.fromkeys(chain):
            found.append(code)
            if code == self.default:
                found.append("")
        return tuple(dict.fromkeys(found))

    def page_extensions(self, language: str) -> tuple[str, ...]:
        """The file endings tried for a page in ``language``, best first: (".kk.md", ".ru.md", ".md")."""
        return tuple(
            f".{code}.md" if code else ".md"
            for code in self.fallback_languages(language)
            if code in self.supported or code == ""
        )


def read_languages(system: dict[str, Any], where: str) -> Languages | None:
    """The ``languages`` section of Grav's system.yaml; None when no language is supported."""
    section = system.get("languages")
    if section is None:
        return None
    if not isinstance(section, dict):
        raise ConfigError(f"{where}: 'languages' must be a mapping")
    supported = section.get("supported") or []
    if not isinstance(supported, list):
        raise ConfigError(f"{where}: 'languages.supported' must be a list such as [ru, kk]")
    codes = [_code(value, where, "languages.supported") for value in supported]
    if not codes:
        return None  # Grav turns multi-language support off
    default_value = section.get("default_lang")
    default = _code(default_value, where, "languages.default_lang") if default_value is not None else codes[0]
    if default not in codes:
        codes.insert(0, default)  # Grav adds it, first
    return Languages(
        supported=tuple(dict.fromkeys(codes)),
        default=default,
        # Grav compares with `=== false`: only a real false leaves the prefix out.
        include_default_lang=section.get("include_default_lang") is not False,
        fallbacks=_fallbacks(section.get("content_fallback"), where),
        pages_fallback_only=bool(section.get("pages_fallback_only")),
    )


def _code(value: Any, where: str, key: str) -> str:
    text = str(value).strip() if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
    if not _CODE.fullmatch(text):
        raise ConfigError(f"{where}: '{key}' holds {value!r:.40}, which is no language code such as ru or kk")
    return text


def _fallbacks(value: Any, where: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """content_fallback: {kk: [ru], en: 'ru,kk'} (a list, or a comma-separated string)."""
    if value is None:
        return ()
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: 'languages.content_fallback' must map a language to its fallbacks")
    found = []
    for language, codes in value.items():
        if codes is None:
            continue  # Grav's `null === $fallback`: the default language stands in
        if isinstance(codes, str):
            codes = [code for code in codes.split(",") if code.strip()]
        if not isinstance(codes, list):
            raise ConfigError(f"{where}: 'languages.content_fallback.{language}' must be a list of languages")
        key = "languages.content_fallback"
        found.append((_code(language, where, key), tuple(_code(code, where, key) for code in codes)))
    return tuple(found)

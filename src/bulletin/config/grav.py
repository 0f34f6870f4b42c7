"""Grav's own config (user/config/site.yaml, system.yaml, plugins/feed.yaml) -> missing config.yaml keys."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from ..errors import ConfigError
from ..grav_yaml import load_yaml, yaml_problem

SITE_FILE = "config/site.yaml"
SYSTEM_FILE = "config/system.yaml"
FEED_PLUGIN_FILE = "config/plugins/feed.yaml"
GRAV_CONFIG_FILES = (SITE_FILE, SYSTEM_FILE, FEED_PLUGIN_FILE)
# The feed plugin's own default (its feed.yaml); bulletin's is 20 for a plain folder.
GRAV_FEED_LIMIT = 10


def is_grav_user_dir(folder: Path) -> bool:
    """A Grav ``user/`` folder: it has ``pages/`` and ``config/``."""
    return (folder / "pages").is_dir() and (folder / "config").is_dir()


def _text(value: Any) -> str | None:
    if isinstance(value, bool) or value is None or isinstance(value, (dict, list)):
        return None
    text = str(value).strip()
    return text or None


def _absolute_http(value: Any) -> str | None:
    text = _text(value)
    return text if text and text.startswith(("http://", "https://")) else None


def _positive(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def _flag(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _home_route(value: Any) -> str | None:
    text = _text(value)
    return "/" + text.strip("/") if text else None


def _first_language(value: Any) -> str | None:
    if isinstance(value, list) and value:
        return _text(value[0])
    return None


# (config key, Grav file, path of keys inside it, how the value is taken). The first
# rule for a key that yields a value wins; later rules are fallbacks.
_Rule = tuple[str, str, tuple[str, ...], Callable[[Any], Any]]
RULES: tuple[_Rule, ...] = (
    ("site.title", SITE_FILE, ("title",), _text),
    ("site.url", SYSTEM_FILE, ("custom_base_url",), _absolute_http),
    ("site.description", SITE_FILE, ("metadata", "description"), _text),
    ("site.language", SYSTEM_FILE, ("languages", "default_lang"), _text),
    ("site.language", SYSTEM_FILE, ("languages", "supported"), _first_language),
    ("site.language", SITE_FILE, ("default_lang",), _text),
    ("site.timezone", SYSTEM_FILE, ("timezone",), _text),
    ("site.author.name", SITE_FILE, ("author", "name"), _text),
    ("site.author.email", SITE_FILE, ("author", "email"), _text),
    ("content.summary_size", SITE_FILE, ("summary", "size"), _positive),
    ("content.dateformat", SYSTEM_FILE, ("pages", "dateformat", "default"), _text),
    ("content.home", SYSTEM_FILE, ("home", "alias"), _home_route),
    ("content.hide_home_in_urls", SYSTEM_FILE, ("home", "hide_in_urls"), _flag),
    ("feeds.limit", FEED_PLUGIN_FILE, ("limit",), _positive),
    ("feeds.title", FEED_PLUGIN_FILE, ("title",), _text),
    ("feeds.description", FEED_PLUGIN_FILE, ("description",), _text),
    ("feeds.route_json", FEED_PLUGIN_FILE, ("enable_json_feed",), _flag),
)
# Values Grav itself assumes when its files say nothing, where they differ from bulletin's.
GRAV_DEFAULTS: dict[str, Any] = {"feeds.limit": GRAV_FEED_LIMIT}


def read_grav_file(path: Path) -> dict[str, Any]:
    """One of Grav's YAML config files as a mapping (empty when the file is absent)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    try:
        data = load_yaml(text)
    except yaml.YAMLError as exc:
        line, problem = yaml_problem(exc)
        raise ConfigError(f"{path}{f':{line}' if line else ''}: {problem}") from None
    except ValueError as exc:  # aliases refused, an impossible date
        raise ConfigError(f"{path}: impossible value: {exc}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: must be a mapping of keys")
    return data


def _dig(data: Any, keys: tuple[str, ...]) -> Any:
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _has(data: dict[str, Any], dotted: str) -> bool:
    *sections, key = dotted.split(".")
    for name in sections:
        data = data.get(name)  # type: ignore[assignment]
        if not isinstance(data, dict):
            return False
    return key in data


def _put(data: dict[str, Any], dotted: str, value: Any) -> None:
    *sections, key = dotted.split(".")
    for name in sections:
        if not isinstance(data.get(name), dict):
            data[name] = {} if data.get(name) is None else data[name]
        if not isinstance(data[name], dict):
            return  # config.yaml has a non-mapping there; its own check reports it
        data = data[name]
    data[key] = value


def fill_from_grav(data: dict[str, Any], user_dir: Path, shown_dir: str) -> dict[str, str]:
    """Fill the keys config.yaml leaves out from Grav's config files under ``user_dir``.

    ``data`` (config.yaml's mapping) is changed in place; a key it sets always wins.
    Returns config key -> where its value came from ("config.yaml" for the ones the
    file sets, a Grav file, or "Grav's default"), for ``bulletin --verbose check``.
    """
    files = {name: read_grav_file(user_dir / name) for name in GRAV_CONFIG_FILES}
    sources: dict[str, str] = {}
    for key, name, path, take in RULES:
        if key in sources:
            continue
        if _has(data, key):
            sources[key] = "config.yaml"
            continue
        value = take(_dig(files[name], path))
        if value is not None:
            _put(data, key, value)
            sources[key] = f"{shown_dir}/{name}"
    for key, value in GRAV_DEFAULTS.items():
        if key not in sources:
            _put(data, key, value)
            sources[key] = "Grav's default"
    return sources

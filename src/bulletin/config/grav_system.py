"""What only Grav's system.yaml says, beyond the config.yaml keys it fills: languages and Markdown."""

from __future__ import annotations

import dataclasses
from typing import Any

from ..errors import ConfigError
from .grav import SYSTEM_FILE, read_grav_file
from .languages import read_languages
from .model import Config, MarkdownSettings


def with_grav_settings(config: Config) -> Config:
    """``config`` with what only Grav's system.yaml says: the site's languages, how Markdown renders."""
    path = config.content.dir / SYSTEM_FILE
    system = read_grav_file(path)
    languages = read_languages(system, str(path))
    markdown = read_markdown_settings(system, str(path))
    content = dataclasses.replace(config.content, languages=languages, markdown=markdown)
    return dataclasses.replace(config, content=content)


def read_markdown_settings(system: dict[str, Any], where: str) -> MarkdownSettings:
    """``pages.markdown`` of Grav's system.yaml (Grav's defaults for what it leaves out)."""
    pages = system.get("pages")
    section = pages.get("markdown") if isinstance(pages, dict) else None
    if section is None:
        return MarkdownSettings()
    if not isinstance(section, dict):
        raise ConfigError(f"{where}: 'pages.markdown' must be a mapping such as {{extra: true}}")
    values = {}
    for key in ("extra", "auto_line_breaks", "auto_url_links", "escape_markup"):
        value = section.get(key)
        if value is not None and not isinstance(value, bool):
            raise ConfigError(f"{where}: 'pages.markdown.{key}' must be true or false, not {value!r:.40}")
        if value is not None:
            values[key] = value
    return MarkdownSettings(**values)

"""config.yaml -> frozen dataclasses, every problem reported at once.

model.py holds the dataclasses, defaults.py the keys of each section with their
defaults, readers.py one reader per section, section.py the typed reading itself.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

from ..encoding import not_utf8
from ..errors import ConfigError
from ..grav_yaml import yaml_problem
from . import defaults
from .bounces import read_bounces
from .defaults import DEFAULT_SUBJECT
from .grav import fill_from_grav, is_grav_user_dir
from .grav_system import with_grav_settings
from .languages import Languages
from .model import (
    DEFAULT_MAX_POST_BYTES,
    DEFAULT_PAGE_FILES,
    Author,
    BouncesConfig,
    Config,
    ContentConfig,
    DigestConfig,
    DkimSettings,
    FeedsConfig,
    ImapSettings,
    MarkdownSettings,
    SiteConfig,
    SmtpConfig,
    StoreConfig,
    WebConfig,
)
from .readers import read_content, read_digest, read_feeds, read_site, read_smtp, read_store, read_web
from .secrets import Secrets, load_secrets
from .section import Section
from .topics import TopicChoice
from .webhooks import WebhooksConfig
from .webhooks_reader import read_webhooks

__all__ = [
    "DEFAULT_CONFIG",
    "DEFAULT_MAX_POST_BYTES",
    "DEFAULT_PAGE_FILES",
    "DEFAULT_SUBJECT",
    "Author",
    "BouncesConfig",
    "Config",
    "ContentConfig",
    "DigestConfig",
    "DkimSettings",
    "FeedsConfig",
    "ImapSettings",
    "Languages",
    "MarkdownSettings",
    "SiteConfig",
    "SmtpConfig",
    "StoreConfig",
    "TopicChoice",
    "WebConfig",
    "WebhooksConfig",
    "load_config",
    "parse_config",
    "read_config_file",
]

DEFAULT_CONFIG = "config.yaml"


def load_config(path: str | os.PathLike[str] = DEFAULT_CONFIG) -> Config:
    """Read and validate config.yaml; relative paths are resolved against its folder."""
    config_path = Path(path)
    data = read_config_file(config_path)
    sources = _fill_from_grav_site(data, config_path)
    config = parse_config(data, config_path, sources)
    if config.content.grav:
        config = with_grav_settings(config)
    return config


def _fill_from_grav_site(data: Any, config_path: Path) -> dict[str, str]:
    """When content.dir is a Grav user/ folder, the keys config.yaml leaves out come from Grav."""
    content = data.get("content") if isinstance(data, dict) else None
    folder = content.get("dir", "content") if isinstance(content, dict) else "content"
    if not isinstance(folder, str):
        return {}  # parse_config reports the bad value
    user_dir = config_path.resolve().parent / folder
    if not is_grav_user_dir(user_dir):
        return {}
    return fill_from_grav(data, user_dir, folder.rstrip("/"))


def read_config_file(config_path: Path) -> Any:
    """The YAML document in ``config_path``, as PyYAML reads it (not yet checked)."""
    where = str(config_path)
    try:
        raw = config_path.read_bytes()
        text = raw.decode("utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{where}: config file not found") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{where}: {not_utf8(raw, exc)}") from None
    except OSError as exc:
        raise ConfigError(f"{where}: cannot read config: {exc.strerror or exc}") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        line, problem = yaml_problem(exc)
        raise ConfigError(f"{where}{f':{line}' if line is not None else ''}: {problem}") from None
    except ValueError as exc:
        # PyYAML builds dates itself and raises a bare ValueError for 2025-02-30.
        raise ConfigError(f"{where}: impossible value: {exc}") from None


def parse_config(data: Any, config_path: Path, sources: dict[str, str] | None = None) -> Config:
    """Check ``data`` (config.yaml as read) section by section; ConfigError lists every problem."""
    errors: list[str] = []
    root = Section(data, "", errors, str(config_path), base=config_path.resolve().parent)
    secrets_file = root.read(defaults.ROOT)["secrets_file"]
    site = read_site(root.section("site"))
    content = read_content(root.section("content"))
    feeds = read_feeds(root.section("feeds"), site)
    store = read_store(root.section("store"))
    digest = read_digest(root.section("digest"), site, feeds)
    secrets = _secrets(root.base, secrets_file, errors)
    smtp = read_smtp(root.section("smtp"), secrets)
    web = read_web(root.section("web"), site)
    bounces = read_bounces(root.section("bounces"), secrets)
    webhooks = read_webhooks(root.section("webhooks"), secrets)
    root.finish()
    if errors:
        raise ConfigError(*errors)
    origins = tuple(sorted((sources or {}).items()))
    return Config(
        config_path, site, content, feeds, store, digest, smtp, web, origins, secrets, bounces, webhooks
    )


def _secrets(config_dir: Path, secrets_file: Path | None, errors: list[str]) -> Secrets:
    try:
        return load_secrets(config_dir, secrets_file)
    except ConfigError as exc:
        errors.extend(exc.problems)
        return Secrets()

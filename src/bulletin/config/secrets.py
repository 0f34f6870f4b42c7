"""Secrets: the environment first, then an env file kept beside config.yaml (mode 0600).

cron starts commands with an almost empty environment, so the token secret and the SMTP
password are easiest kept in a file that only their owner can read. The values are held
here and handed out by name; they never appear in a repr, a log line or an error.
"""

from __future__ import annotations

import io
import logging
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from ..encoding import not_utf8
from ..errors import ConfigError

log = logging.getLogger(__name__)

ENV_FILE_NAME = ".env"  # read beside config.yaml when config.yaml names no secrets_file


@dataclass(frozen=True)
class Secrets:
    """Secret values by variable name: a real environment variable wins over the file."""

    file: Path | None = None  # the env file read, if any
    values: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)

    def get(self, name: str) -> str | None:
        return os.environ.get(name) or self.values.get(name) or None

    def where(self, name: str) -> str:
        """Where ``name`` is looked for, as an error message says it."""
        return f"environment variable {name}" + (f" (or its line in {self.file})" if self.file else "")


def load_secrets(config_dir: Path, secrets_file: Path | None) -> Secrets:
    """The secrets of a site: ``secrets_file`` if configured, else ``.env`` beside config.yaml if present."""
    path = secrets_file
    if path is None:
        path = config_dir / ENV_FILE_NAME
        if not path.exists():
            return Secrets()
    values = read_env_file(path)
    log.debug("read secrets from %s: %s", path, ", ".join(sorted(values)) or "none")  # names, never values
    return Secrets(path, MappingProxyType(values))


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines (comments, quotes, ``export`` allowed); refused unless only its owner can read it."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        raise ConfigError(f"{path}: secrets file not found") from None
    if mode & 0o077:
        # As ssh does for a private key: a secret others can read is no longer a secret.
        raise ConfigError(f"{path}: readable by group or others (mode {mode:04o}); run: chmod 600 {path}")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: {not_utf8(raw, exc)}") from None
    from dotenv.parser import parse_stream  # only a site with a secrets file loads python-dotenv

    values: dict[str, str] = {}
    problems: list[str] = []
    for binding in parse_stream(io.StringIO(text)):
        line = binding.original.line
        if binding.error:
            problems.append(f"{path}:{line}: not a KEY=VALUE line")
        elif binding.key is not None and binding.value is None:
            problems.append(f"{path}:{line}: {binding.key} has no '=' and no value")
        elif binding.key is not None and binding.value is not None:
            values[binding.key] = binding.value
    if problems:
        raise ConfigError(*problems)
    return values

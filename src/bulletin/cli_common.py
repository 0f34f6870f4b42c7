"""What every `bulletin` command shares: the --config option and clean one-line errors."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from .config import DEFAULT_CONFIG
from .errors import BulletinError

F = TypeVar("F", bound=Callable[..., Any])

config_option = click.option(
    "--config",
    "config_path",
    default=DEFAULT_CONFIG,
    show_default=True,
    type=click.Path(dir_okay=False),
    help="Path to config.yaml; paths inside it are relative to its folder.",
)


def clean_errors(command: F) -> F:
    """Turn a BulletinError into 'Error: ...' lines and exit 1, never a traceback."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except BulletinError as exc:
            for problem in exc.problems:
                click.echo(f"Error: {problem}", err=True)
            sys.exit(1)
        except OSError as exc:
            where = f"{exc.filename}: " if exc.filename else ""
            click.echo(f"Error: {where}{exc.strerror or exc}", err=True)
            sys.exit(1)

    return wrapper  # type: ignore[return-value]

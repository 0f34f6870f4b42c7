"""What the commands print: output lines (with timestamps for cron logs), log set-up, progress."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import sys
import time
from collections.abc import Callable
from typing import Any

import click

_stamped = False  # --timestamps: every line starts with the local time, for cron logs
_verbose = False  # -v before or after the command name


def use_timestamps(on: bool) -> None:
    global _stamped
    _stamped = on


def stamp() -> str:
    return dt.datetime.now().astimezone().isoformat(sep=" ", timespec="seconds") + " "


def say(text: str = "", err: bool = False, nl: bool = True) -> None:
    """click.echo, each line led by the time when --timestamps is on."""
    if _stamped and text:
        prefix = stamp()
        text = "\n".join(prefix + line if line else line for line in text.split("\n"))
    click.echo(text, err=err, nl=nl)


def verbose() -> bool:
    return _verbose


def configure_logging(verbose: bool) -> None:
    """bulletin's own log lines go to standard error: warnings always, all with --verbose."""
    global _verbose
    _verbose = verbose
    logger = logging.getLogger("bulletin")
    for handler in [h for h in logger.handlers if getattr(h, "bulletin_cli", False)]:
        logger.removeHandler(handler)  # a second invocation in one process (tests)
    handler = logging.StreamHandler(sys.stderr)
    handler.bulletin_cli = True  # type: ignore[attr-defined]
    line = "%(levelname)s %(name)s: %(message)s"
    handler.setFormatter(_StampedFormatter(line) if _stamped else logging.Formatter(line))
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG if verbose else logging.WARNING)


class _StampedFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return stamp() + super().format(record)


def progress_printer() -> tuple[Any, Callable[[int, int], None]]:
    """A rich progress bar on a terminal; a line every few seconds otherwise."""
    if sys.stderr.isatty():
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

        bar = Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            transient=True,
        )
        task = bar.add_task("Sending", total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        return bar, update

    last = [0.0]

    def log(done: int, total: int) -> None:
        now = time.monotonic()
        if now - last[0] >= 5 or done == total:
            last[0] = now
            say(f"sending: {done}/{total}", err=True)

    return contextlib.nullcontext(), log

"""The jobs the CLI and cron run: build the feeds; send the digest."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from .config import Config
from .content import load_posts, visible_posts
from .feeds import feed_documents, feed_items
from .files import write_files_atomically


@dataclass(frozen=True)
class BuildResult:
    files: tuple[Path, ...]
    items: int  # posts in the feeds
    visible: int  # posts visible at `now`
    total: int  # posts read


def build(config: Config, now: dt.datetime) -> BuildResult:
    """Write feed.xml, atom.xml and feed.json; nothing is written if any post is bad."""
    posts = load_posts(config.content.dir, config.site)
    visible = visible_posts(posts, now)
    items = feed_items(visible[: config.feeds.limit], config)
    documents = feed_documents(config, items)
    files = {config.feeds.output_dir / name: data for name, data in documents.items()}
    write_files_atomically(files)
    return BuildResult(tuple(files), len(items), len(visible), len(posts))

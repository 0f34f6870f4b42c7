"""The feed tests' site: a config mapping, posts written to disk, a site built and read back."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import feedparser
import yaml

from bulletin.config import Config, load_config
from bulletin.feeds.build import build

TESTS_CONTENT = Path(__file__).parent / "content"
ALMATY = ZoneInfo("Asia/Almaty")
# The moment the edge-case site is built at: after every dated post but the scheduled one.
NOW = dt.datetime(2026, 1, 15, 12, 0, tzinfo=ALMATY)
SITE_URL = "https://clinic.example"


def config_data(content_dir: Path | str = "content", **sections: dict[str, Any]) -> dict[str, Any]:
    """A valid config mapping; ``sections`` update the defaults key by key."""
    data: dict[str, Any] = {
        "site": {
            "title": "Клиника — новости",
            "url": SITE_URL,
            "description": "News of a test clinic",
            "language": "ru",
            "timezone": "Asia/Almaty",
            "author": {"name": "Пресс-служба", "email": "press@clinic.example"},
        },
        "content": {"dir": str(content_dir), "summary_size": 300},
        "feeds": {"output_dir": "public", "limit": 100, "full_content": False},
    }
    for name, values in sections.items():
        data.setdefault(name, {}).update(values)
    return data


WriteConfig = Callable[..., Path]  # the write_config fixture: sections -> config.yaml path


def write_post(folder: Path, name: str, text: str | bytes) -> Path:
    """Write a post file (``name`` may hold sub-folders); str is written as UTF-8."""
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, str):
        text = text.lstrip("\n").encode("utf-8")
    path.write_bytes(text)
    return path


def simple_post(title: str, date: str, body: str = "Text.", extra: str = "") -> str:
    return f"---\ntitle: '{title}'\ndate: '{date}'\n{extra}---\n\n{body}\n"


@dataclass(frozen=True)
class BuiltSite:
    config: Config
    output: Path

    def read(self, name: str) -> bytes:
        return (self.output / name).read_bytes()

    @property
    def rss(self) -> Any:
        return parse_feed(self.read("feed.xml"))

    @property
    def atom(self) -> Any:
        return parse_feed(self.read("atom.xml"))

    @property
    def json(self) -> dict[str, Any]:
        return json.loads(self.read("feed.json"))


def parse_feed(data: bytes) -> Any:
    """Read a feed as a reader would; a bozo feed fails the test right here."""
    parsed = feedparser.parse(data)
    assert not parsed.bozo, parsed.get("bozo_exception")
    return parsed


def write_config_file(folder: Path, content_dir: Path | str, **sections: dict[str, Any]) -> Path:
    """Write ``folder/config.yaml`` from :func:`config_data` and return its path."""
    path = folder / "config.yaml"
    path.write_text(
        yaml.safe_dump(config_data(content_dir, **sections), allow_unicode=True), encoding="utf-8"
    )
    return path


def build_site(tmp: Path, content_dir: Path, now: dt.datetime = NOW, **sections: Any) -> BuiltSite:
    config = load_config(write_config_file(tmp, content_dir, **sections))
    build(config, now)
    return BuiltSite(config, config.feeds.output_dir)


REPOSITORY = Path(__file__).resolve().parent.parent
# Whatever of these the repository root has makes up the sample site.
SAMPLE_SITE_PARTS = ("config.yaml", "logo.png", "content", "templates", "user")


def copy_sample_site(folder: Path) -> Path:
    """The repository's sample site copied into ``folder`` (so a build writes nothing in the
    repository); returns its config.yaml."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in SAMPLE_SITE_PARTS:
        part = REPOSITORY / name
        if part.is_dir():
            shutil.copytree(part, folder / name)
        elif part.exists():
            shutil.copy2(part, folder / name)
    return folder / "config.yaml"

"""Shared fixtures: a config.yaml written into tmp_path, posts on disk, built feeds."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import feedparser
import pytest
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


WriteConfig = Callable[..., Path]


@pytest.fixture
def write_config(tmp_path: Path) -> WriteConfig:
    """Write config.yaml into tmp_path and return its path.

    ``content_dir`` defaults to ``tmp_path / "content"`` (created empty);
    keyword arguments are sections merged into the defaults, e.g. ``feeds={"limit": 2}``.
    """

    def write(content_dir: Path | str | None = None, **sections: dict[str, Any]) -> Path:
        if content_dir is None:
            content_dir = tmp_path / "content"
            Path(content_dir).mkdir(exist_ok=True)
        path = tmp_path / "config.yaml"
        text = yaml.safe_dump(config_data(content_dir, **sections), allow_unicode=True)
        path.write_text(text, encoding="utf-8")
        return path

    return write


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


def build_site(tmp: Path, content_dir: Path, now: dt.datetime = NOW, **sections: Any) -> BuiltSite:
    path = tmp / "config.yaml"
    path.write_text(
        yaml.safe_dump(config_data(content_dir, **sections), allow_unicode=True), encoding="utf-8"
    )
    config = load_config(path)
    build(config, now)
    return BuiltSite(config, config.feeds.output_dir)


@pytest.fixture(scope="session")
def edge_site(tmp_path_factory: pytest.TempPathFactory) -> BuiltSite:
    """tests/content built at NOW with summaries only."""
    return build_site(tmp_path_factory.mktemp("edge"), TESTS_CONTENT)


@pytest.fixture(scope="session")
def edge_site_full(tmp_path_factory: pytest.TempPathFactory) -> BuiltSite:
    """tests/content built at NOW with feeds.full_content: true."""
    return build_site(tmp_path_factory.mktemp("edge_full"), TESTS_CONTENT, feeds={"full_content": True})

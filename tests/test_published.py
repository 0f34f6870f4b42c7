"""Grav's `published` header on a real site: PHP's (bool) of the value, YAML 1.1's false words aside."""

from __future__ import annotations

from pathlib import Path

import feedparser
import pytest
from click.testing import CliRunner

from bulletin.cli import main
from bulletin.config import load_config
from bulletin.feeds.build import build

from .feed_site import NOW

POST = "user/pages/01.blog/winter-hours/item.md"
URL = "https://clinic.example/blog/winter-hours"


def with_published(config_path: Path, value: str) -> None:
    path = config_path.parent / POST
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("---\ntitle:", f"---\npublished: {value}\ntitle:", 1), encoding="utf-8")


@pytest.mark.parametrize(
    ("value", "in_feed", "warned"),
    [
        ("false", False, False),
        ("true", True, False),
        ("0", False, False),
        ("''", False, False),
        ("'draft'", True, True),  # PHP: any text but "" and "0" is true; Grav shows the page
        ("нет", True, True),
        ("no", False, True),  # Grav with PHP's yaml extension hides it; bulletin does too
        ("'false'", False, True),
        ("[]", False, False),
    ],
)
def test_published_header(
    grav_blog: Path, monkeypatch: pytest.MonkeyPatch, value: str, in_feed: bool, warned: bool
) -> None:
    with_published(grav_blog, value)
    config = load_config(grav_blog)
    build(config, NOW)
    links = [entry.link for entry in feedparser.parse(config.feeds.output_dir / "atom.xml").entries]
    assert (URL in links) == in_feed
    monkeypatch.setenv("BULLETIN_SECRET", "published-test-secret-0123456789")
    result = CliRunner().invoke(main, ["check", "--config", str(grav_blog), "--now", NOW.isoformat()])
    assert result.exit_code == 0, result.output
    assert (f"{grav_blog.parent / POST}: published:" in result.output) == warned, result.output

"""WebSub (issue 7): hub links in every feed, one publish ping per changed feed, hubs that fail."""

from __future__ import annotations

import json
import socket
import threading
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from bulletin.cli import main
from bulletin.config import Config, load_config
from bulletin.feeds.build import build

from .feed_site import NOW, SITE_URL, WriteConfig, parse_feed, simple_post, write_post

MAIN_FEEDS = ("feed.xml", "atom.xml", "feed.json")


class Hub:
    """A WebSub hub on 127.0.0.1 that records every POST and answers with ``status``."""

    def __init__(self) -> None:
        self.pings: list[tuple[str, dict[str, list[str]]]] = []  # (content type, form)
        self.status = 204
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length).decode("ascii")
                hub.pings.append((self.headers.get("Content-Type", ""), urllib.parse.parse_qs(body)))
                self.send_response(hub.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hub"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def published(self) -> list[str]:
        """The feed URL of every ping, in order; each ping is checked to be a publish ping."""
        urls = []
        for content_type, form in self.pings:
            assert content_type == "application/x-www-form-urlencoded"
            assert form["hub.mode"] == ["publish"]
            [url] = form["hub.url"]
            urls.append(url)
        return urls

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


@pytest.fixture
def hubs() -> Iterator[tuple[Hub, Hub]]:
    first, second = Hub(), Hub()
    yield first, second
    first.close()
    second.close()


def closed_port_url() -> str:
    """A URL on 127.0.0.1 where nothing listens: bind a port, then let it go."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/hub"


def hub_site(write_config: WriteConfig, tmp_path: Path, hub_urls: list[str], **feeds: Any) -> Config:
    content = tmp_path / "content"
    write_post(
        content,
        "first.md",
        simple_post("Первая", "01-03-2025 10:00", extra="taxonomy:\n  tag: [a]\n"),
    )
    write_post(
        content,
        "second.md",
        simple_post("Вторая", "02-03-2025 10:00", extra="taxonomy:\n  tag: [b]\n"),
    )
    return load_config(write_config(feeds={"websub_hubs": hub_urls, **feeds}))


def urls(*paths: str) -> list[str]:
    return sorted(f"{SITE_URL}/{path}" for path in paths)


def test_first_build_pings_every_feed_once_per_hub(
    write_config: WriteConfig, tmp_path: Path, hubs: tuple[Hub, Hub]
) -> None:
    config = hub_site(write_config, tmp_path, [hub.url for hub in hubs])
    result = build(config, NOW)
    assert result.warnings == ()
    for hub in hubs:
        assert sorted(hub.published()) == urls(*MAIN_FEEDS)


def test_unchanged_rebuild_pings_nobody(
    write_config: WriteConfig, tmp_path: Path, hubs: tuple[Hub, Hub]
) -> None:
    config = hub_site(write_config, tmp_path, [hub.url for hub in hubs])
    build(config, NOW)
    before = [len(hub.pings) for hub in hubs]
    build(config, NOW)
    build(config, NOW, use_cache=False)
    assert [len(hub.pings) for hub in hubs] == before


def test_only_the_feeds_that_changed_are_pinged(
    write_config: WriteConfig, tmp_path: Path, hubs: tuple[Hub, Hub]
) -> None:
    config = hub_site(write_config, tmp_path, [hub.url for hub in hubs], taxonomies=["tag"])
    build(config, NOW)
    for hub in hubs:
        assert sorted(hub.published()) == urls(
            *MAIN_FEEDS, *(f"tag/{t}/{name}" for t in "ab" for name in MAIN_FEEDS)
        )
        hub.pings.clear()
    write_post(
        tmp_path / "content",
        "second.md",
        simple_post("Вторая, исправленная", "02-03-2025 10:00", extra="taxonomy:\n  tag: [b]\n"),
    )
    build(config, NOW)
    # The main feeds and tag b's feeds hold the edited post; tag a's feeds do not.
    for hub in hubs:
        assert sorted(hub.published()) == urls(*MAIN_FEEDS, *(f"tag/b/{name}" for name in MAIN_FEEDS))


def test_pings_use_feeds_url(write_config: WriteConfig, tmp_path: Path, hubs: tuple[Hub, Hub]) -> None:
    hub = hubs[0]
    config = hub_site(write_config, tmp_path, [hub.url], url="https://feeds.clinic.example/news")
    build(config, NOW)
    assert sorted(hub.published()) == sorted(f"https://feeds.clinic.example/news/{n}" for n in MAIN_FEEDS)


def test_a_hub_that_is_down_is_one_warning_and_the_build_succeeds(
    write_config: WriteConfig, tmp_path: Path, hubs: tuple[Hub, Hub]
) -> None:
    down = closed_port_url()
    up = hubs[0]
    config = hub_site(write_config, tmp_path, [down, up.url])
    result = CliRunner().invoke(main, ["build", "--config", str(config.path), "--now", NOW.isoformat()])
    assert result.exit_code == 0, result.output
    [warning] = result.stderr.splitlines()
    assert warning.startswith(f"Warning: WebSub hub {down} not reached"), warning
    assert "Traceback" not in result.output
    assert result.stdout.startswith("Built feeds with 2 posts")
    for name in MAIN_FEEDS:
        assert (config.feeds.output_dir / name).stat().st_size > 0
    # The hub that is up still hears about every feed.
    assert sorted(up.published()) == urls(*MAIN_FEEDS)


def test_a_hub_that_refuses_is_a_warning(
    write_config: WriteConfig, tmp_path: Path, hubs: tuple[Hub, Hub]
) -> None:
    hub = hubs[0]
    hub.status = 500
    config = hub_site(write_config, tmp_path, [hub.url])
    result = build(config, NOW)
    assert len(result.warnings) == len(MAIN_FEEDS)
    assert all(w.startswith(f"WebSub hub {hub.url} answered 500 for ") for w in result.warnings)
    assert (config.feeds.output_dir / "feed.xml").exists()


def test_every_format_carries_the_hub_links(write_config: WriteConfig, tmp_path: Path) -> None:
    hub_urls = ["https://hub.example/", "https://pubsubhubbub.appspot.com/"]
    config = hub_site(write_config, tmp_path, hub_urls, taxonomies=["tag"])
    build(config, NOW)
    output = config.feeds.output_dir
    for folder in (".", "tag/a"):
        rss = parse_feed((output / folder / "feed.xml").read_bytes())
        atom = parse_feed((output / folder / "atom.xml").read_bytes())
        for feed in (rss, atom):
            assert [link["href"] for link in feed.feed.links if link["rel"] == "hub"] == hub_urls
        json_feed = json.loads((output / folder / "feed.json").read_bytes())
        assert json_feed["hubs"] == [{"type": "WebSub", "url": url} for url in hub_urls]
    # RSS carries them as atom:link elements, Atom as plain links.
    rss_text = (output / "feed.xml").read_text(encoding="utf-8")
    assert '<atom:link href="https://hub.example/" rel="hub"/>' in rss_text
    atom_text = (output / "atom.xml").read_text(encoding="utf-8")
    assert '<link href="https://hub.example/" rel="hub"/>' in atom_text


def test_without_hubs_no_hub_links(write_config: WriteConfig, tmp_path: Path) -> None:
    config = hub_site(write_config, tmp_path, [])
    build(config, NOW)
    output = config.feeds.output_dir
    for name in ("feed.xml", "atom.xml"):
        feed = parse_feed((output / name).read_bytes())
        assert all(link["rel"] != "hub" for link in feed.feed.links)
    assert "hubs" not in json.loads((output / "feed.json").read_bytes())

"""A feed opened in a browser: the XSLT stylesheet every RSS and Atom file names, and the feed
readers that must not notice it (feedparser, newsboat, the W3C feed validator)."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path
from urllib.parse import urljoin

import feedparser
import pytest
import yaml
from click.testing import CliRunner
from lxml import etree
from starlette.testclient import TestClient

from bulletin.cli import main
from bulletin.config import load_config
from bulletin.feeds.feed_style import FEED_PAGE_STYLE, FEED_PAGE_STYLE_HASH
from bulletin.web.app import create_app

from .feed_site import copy_sample_site
from .feed_validator import validate

PI_PREFIX = b'<?xml-stylesheet type="text/xsl" href="'
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
FEEDPARSER_ACCEPT = feedparser.http.ACCEPT_HEADER


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repository's sample Grav site, built with tag feeds and RFC 5005 archive pages."""
    site = tmp_path_factory.mktemp("sample")
    copy_sample_site(site)
    data = yaml.safe_load((site / "config.yaml").read_text(encoding="utf-8"))
    data.setdefault("feeds", {}).update({"taxonomies": ["tag"], "archive": True, "limit": 2})
    (site / "config.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    result = CliRunner().invoke(main, ["build", "--config", str(site / "config.yaml"), "--now", "2026-11-26"])
    assert result.exit_code == 0, result.output
    return site


def xml_feeds(site: Path) -> list[Path]:
    output = site / "public"
    feeds = [p for p in output.rglob("*") if p.suffix in (".xml", ".rss", ".atom")]
    kinds = {
        p.relative_to(output).parts[0] if len(p.relative_to(output).parts) > 1 else p.suffix for p in feeds
    }
    assert {"tag", "feed-archive", ".rss", ".atom", ".xml"} <= kinds, kinds  # every kind of feed is here
    return sorted(feeds)


def without_stylesheet(data: bytes) -> bytes:
    start = data.index(PI_PREFIX)
    return data[:start] + data[data.index(b"?>\n", start) + 3 :]


def test_every_rss_and_atom_file_names_the_stylesheet_the_build_wrote(sample: Path) -> None:
    output = sample / "public"
    system = yaml.safe_load((sample / "content" / "config" / "system.yaml").read_text(encoding="utf-8"))
    languages = set(system["languages"]["supported"])
    for feed in xml_feeds(sample):
        data = feed.read_bytes()
        assert data.startswith(b"<?xml version='1.0' encoding='UTF-8'?>\n" + PI_PREFIX), feed
        href = data[len(b"<?xml version='1.0' encoding='UTF-8'?>\n" + PI_PREFIX) :].split(b'"', 1)[0].decode()
        # Resolved as a browser does, against the feed's own address: the stylesheet in the feed's
        # language, public/<lang>/feed.xsl for a language's feeds, public/feed.xsl for the root ones.
        page = "/" + feed.relative_to(output).as_posix()
        top = feed.relative_to(output).parts[0]
        expected = output / top / "feed.xsl" if top in languages else output / "feed.xsl"
        assert output / urljoin(page, href).lstrip("/") == expected, (feed, href)
        assert expected.is_file(), expected
    assert (output / "feed.xsl").is_file()
    assert not (output / "feed.json").read_bytes().startswith(b"<?"), "JSON Feed has no stylesheet"


def test_feedparser_reads_every_feed_as_without_the_stylesheet(sample: Path) -> None:
    for feed in xml_feeds(sample):
        data = feed.read_bytes()
        styled, plain = feedparser.parse(data), feedparser.parse(without_stylesheet(data))
        assert not styled.bozo, (feed, styled.get("bozo_exception"))
        assert styled.version == plain.version and styled.version in ("rss20", "atom10"), feed
        assert styled.feed == plain.feed, feed
        assert styled.entries == plain.entries, feed
        assert len(styled.entries) > 0 or "feed-archive" in feed.parts, feed


@pytest.mark.skipif(shutil.which("newsboat") is None, reason="newsboat (Debian package) is not installed")
def test_newsboat_reads_every_feed_as_without_the_stylesheet(sample: Path, tmp_path: Path) -> None:
    def titles_read(data: bytes, name: str) -> list[str]:
        folder = tmp_path / name
        folder.mkdir()
        (folder / "feed").write_bytes(data)
        (folder / "urls").write_text(f'"exec:cat {folder / "feed"}"\n', encoding="utf-8")
        (folder / "config").write_text("", encoding="utf-8")
        files = ["-u", str(folder / "urls"), "-c", str(folder / "cache.db"), "-C", str(folder / "config")]
        environment = {"HOME": str(folder), "TERM": "dumb", "LANG": "C.UTF-8"}
        run = subprocess.run(
            ["newsboat", *files, "-x", "reload"], capture_output=True, text=True, timeout=60, env=environment
        )
        assert run.returncode == 0, run.stderr
        with sqlite3.connect(folder / "cache.db") as db:
            return sorted(row[0] for row in db.execute("SELECT title FROM rss_item"))

    for number, feed in enumerate(xml_feeds(sample)):
        data = feed.read_bytes()
        expected = sorted(entry.title for entry in feedparser.parse(data).entries)
        assert titles_read(data, f"styled-{number}") == titles_read(
            without_stylesheet(data), f"plain-{number}"
        )
        assert titles_read(data, f"again-{number}") == expected, feed


def test_the_w3c_validator_finds_nothing_the_stylesheet_adds(sample: Path, tmp_path: Path) -> None:
    feeds = xml_feeds(sample)
    plain = []
    for number, feed in enumerate(feeds):
        copy = tmp_path / str(number) / feed.name
        copy.parent.mkdir()
        copy.write_bytes(without_stylesheet(feed.read_bytes()))
        plain.append(copy)
    styled, unstyled = (
        [[problem.name for problem in found[path]] for path in files]
        for found, files in ((validate(feeds), feeds), (validate(plain), plain))
    )
    assert len(styled) == len(feeds) and styled == unstyled
    output = sample / "public"
    for feed, found in zip(feeds, styled, strict=True):
        # Only an RFC 5005 archive page may draw a warning, with or without the stylesheet
        # (the only page has no neighbour to link: see test_feed_validity).
        if feed.parent.name != "feed-archive":
            assert found == [], (feed.relative_to(output), found)


def page_of(feed: Path, stylesheet: Path) -> str:
    """The page a browser makes of the feed, made here by libxslt (the XSLT engine browsers use)."""
    transform = etree.XSLT(etree.parse(str(stylesheet)))
    result = transform(etree.parse(str(feed)))
    return " ".join(str(result).split())


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("ru", ["Это лента новостей (RSS/Atom) сайта", "скопируйте адрес этой страницы", "15 июля 2026"]),
        ("kk", ["Бұл <strong>«", "сайтының жаңалықтар арнасы", "15 шілде 2026", "Соңғы жарияланымдар"]),
        ("en", ["This is the web feed (RSS/Atom) of", "Latest posts", "15 July 2026"]),
    ],
)
def test_the_stylesheet_makes_a_readable_page_in_the_site_language(
    sample: Path, tmp_path: Path, language: str, expected: list[str]
) -> None:
    site = tmp_path / "site"
    shutil.copytree(sample, site, ignore=shutil.ignore_patterns("public", "state"))
    data = yaml.safe_load((site / "config.yaml").read_text(encoding="utf-8"))
    data["site"]["language"] = language
    (site / "config.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    result = CliRunner().invoke(main, ["build", "--config", str(site / "config.yaml"), "--now", "2026-11-26"])
    assert result.exit_code == 0, result.output
    output = site / "public"
    for feed in ("feed.xml", "atom.xml"):  # RSS dates ("Wed, 15 Jul 2026 ...") and Atom ones (ISO 8601)
        page = page_of(output / feed, output / "feed.xsl")
        assert page.startswith(f'<!DOCTYPE html> <html lang="{language}">'), page
        for text in expected:
            assert text in page, (feed, text)
        parsed = feedparser.parse((output / feed).read_bytes())
        assert parsed.feed.title in page
        assert (
            f">{parsed.feed.links[0].href if feed == 'atom.xml' else parsed.feed.title_detail.base}<" in page
        )
        for entry in parsed.entries:
            assert f'<a href="{entry.link}">{entry.title.replace("&", "&amp;")}</a>' in page, entry.link
        assert 'href="https://centre.example/subscribe"' in page
        assert f"<style>{FEED_PAGE_STYLE}</style>" in page  # exactly the text the served CSP hash allows


def test_serve_gives_browsers_a_page_and_readers_their_feed_type(
    sample: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BULLETIN_SECRET", "test-secret-0123456789-abcdef")
    with TestClient(create_app(load_config(sample / "config.yaml"))) as client:
        style = client.get("/feed.xsl")
        assert style.status_code == 200 and style.headers["content-type"] == "text/xsl; charset=utf-8"
        assert style.content == (sample / "public" / "feed.xsl").read_bytes()
        for path, feed_type in (
            ("/feed.xml", "application/rss+xml"),
            ("/notes.atom", "application/atom+xml"),
        ):
            for accept, served in (
                (BROWSER_ACCEPT, "application/xml"),  # Chromium applies a stylesheet to XML types only
                (FEEDPARSER_ACCEPT, feed_type),
                ("*/*", feed_type),
                ("", feed_type),
            ):
                response = client.get(path, headers={"Accept": accept})
                assert response.headers["content-type"] == f"{served}; charset=utf-8", (path, accept)
                assert response.headers["vary"] == "Accept"
                assert response.content == (sample / "public" / path.lstrip("/")).read_bytes()
                csp = response.headers["content-security-policy"]
                assert f"style-src 'self' {FEED_PAGE_STYLE_HASH};" in csp and "script-src 'self';" in csp
        assert client.get("/feed.json", headers={"Accept": BROWSER_ACCEPT}).headers["content-type"] == (
            "application/feed+json; charset=utf-8"
        )

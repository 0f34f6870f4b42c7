"""Images in feeds (issue 7): site icon and logo, post image as thumbnail, enclosure and JSON image."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import quote

from lxml import etree

from bulletin.config import Config, load_config
from bulletin.feeds.build import build

from .feed_site import NOW, SITE_URL, WriteConfig, parse_feed, simple_post, write_post
from .mtimes import backdate

ATOM_NS = "http://www.w3.org/2005/Atom"
JPEG = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 5 + b"\xff\xd9"  # 1,286 bytes
POST_URL = f"{SITE_URL}/blog/photo"


def image_site(
    write_config: WriteConfig,
    tmp_path: Path,
    header: str = "",
    body: str = "Text.",
    files: dict[str, bytes] | None = None,
    **site: str,
) -> Config:
    """One Grav page folder 01.blog/photo/ holding item.md and ``files``."""
    folder = tmp_path / "content" / "01.blog" / "photo"
    write_post(folder, "item.md", simple_post("Фото", "01-03-2025 10:00", body=body, extra=header))
    for name, data in (files or {}).items():
        write_post(folder, name, data)
    config = load_config(write_config(site=site) if site else write_config())
    build(config, NOW)
    return config


def read(config: Config) -> tuple[Any, Any, dict[str, Any]]:
    output = config.feeds.output_dir
    return (
        parse_feed((output / "feed.xml").read_bytes()),
        parse_feed((output / "atom.xml").read_bytes()),
        json.loads((output / "feed.json").read_bytes()),
    )


def atom_entry_links(config: Config) -> list[dict[str, str]]:
    tree = etree.fromstring((config.feeds.output_dir / "atom.xml").read_bytes())
    [entry] = tree.findall(f"{{{ATOM_NS}}}entry")
    return [dict(link.attrib) for link in entry.findall(f"{{{ATOM_NS}}}link")]


# Site icon and logo ---------------------------------------------------------------------


def test_icon_and_logo_in_every_format(write_config: WriteConfig, tmp_path: Path) -> None:
    config = image_site(write_config, tmp_path, icon="/favicon.png", logo="https://cdn.example/logo.png")
    rss, atom, json_feed = read(config)
    assert rss.feed.image.href == "https://cdn.example/logo.png"
    assert rss.feed.image.link == f"{SITE_URL}/"
    assert atom.feed.icon == f"{SITE_URL}/favicon.png"
    assert atom.feed.logo == "https://cdn.example/logo.png"
    assert json_feed["icon"] == "https://cdn.example/logo.png"
    assert json_feed["favicon"] == f"{SITE_URL}/favicon.png"


def test_relative_icon_and_logo_become_absolute(write_config: WriteConfig, tmp_path: Path) -> None:
    config = image_site(write_config, tmp_path, icon="images/icon.png", logo="/images/logo.svg")
    rss, atom, json_feed = read(config)
    assert rss.feed.image.href == f"{SITE_URL}/images/logo.svg"
    assert atom.feed.icon == f"{SITE_URL}/images/icon.png"
    assert atom.feed.logo == f"{SITE_URL}/images/logo.svg"
    assert json_feed["favicon"] == f"{SITE_URL}/images/icon.png"


def test_no_icon_or_logo_configured(write_config: WriteConfig, tmp_path: Path) -> None:
    config = image_site(write_config, tmp_path)
    rss, atom, json_feed = read(config)
    assert "image" not in rss.feed
    assert "icon" not in atom.feed and "logo" not in atom.feed
    assert "icon" not in json_feed and "favicon" not in json_feed


# Post images ------------------------------------------------------------------------------


def assert_enclosure(config: Config, url: str, length: int, mime: str) -> None:
    rss, atom, json_feed = read(config)
    [entry] = rss.entries
    assert [(e.href, e.length, e.type) for e in entry.enclosures] == [(url, str(length), mime)]
    [atom_entry] = atom.entries
    assert [(e.href, e.length, e.type) for e in atom_entry.enclosures] == [(url, str(length), mime)]
    # The entry's own link stays the alternate one (feedgen #135 would make it a second one).
    assert atom_entry.link == POST_URL
    assert atom_entry_links(config) == [
        {"href": POST_URL, "rel": "alternate", "type": "text/html"},
        {"href": url, "rel": "enclosure", "type": mime, "length": str(length)},
    ]
    [item] = json_feed["items"]
    assert item["attachments"] == [{"url": url, "mime_type": mime, "size_in_bytes": length}]


def test_image_header_beside_the_post_is_an_enclosure(write_config: WriteConfig, tmp_path: Path) -> None:
    config = image_site(write_config, tmp_path, header="image: photo.jpg\n", files={"photo.jpg": JPEG})
    assert_enclosure(config, f"{POST_URL}/photo.jpg", len(JPEG), "image/jpeg")
    rss, atom, json_feed = read(config)
    assert rss.entries[0].media_thumbnail == [{"url": f"{POST_URL}/photo.jpg"}]
    assert atom.entries[0].media_thumbnail == [{"url": f"{POST_URL}/photo.jpg"}]
    assert json_feed["items"][0]["image"] == f"{POST_URL}/photo.jpg"


def test_first_image_of_the_body_is_used_without_a_header(write_config: WriteConfig, tmp_path: Path) -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 100
    config = image_site(
        write_config,
        tmp_path,
        body="Текст.\n\n![Схема](images/plan.png)\n\n![Второе](other.png)",
        files={"images/plan.png": png, "other.png": png + png},
    )
    assert_enclosure(config, f"{POST_URL}/images/plan.png", len(png), "image/png")
    assert read(config)[2]["items"][0]["image"] == f"{POST_URL}/images/plan.png"


def test_percent_encoded_image_name_finds_the_file(write_config: WriteConfig, tmp_path: Path) -> None:
    config = image_site(write_config, tmp_path, body="![Фото](фото%20дня.jpg)", files={"фото дня.jpg": JPEG})
    url = f"{POST_URL}/{quote('фото дня.jpg')}"  # the renderer encodes the whole name
    assert_enclosure(config, url, len(JPEG), "image/jpeg")


def assert_no_image(config: Config) -> None:
    rss, atom, json_feed = read(config)
    # No picture that would be broken in every reader: no thumbnail, no JSON image ...
    assert "image" not in json_feed["items"][0]
    assert "media_thumbnail" not in rss.entries[0] and "media_thumbnail" not in atom.entries[0]
    assert b"missing.jpg" not in (config.feeds.output_dir / "feed.xml").read_bytes()
    # ... and no enclosure: its length is unknown.
    assert rss.entries[0].enclosures == []
    assert atom.entries[0].enclosures == []
    assert "attachments" not in json_feed["items"][0]
    assert [link["rel"] for link in atom_entry_links(config)] == ["alternate"]


def test_missing_image_file_is_left_out_of_every_feed(write_config: WriteConfig, tmp_path: Path) -> None:
    assert_no_image(image_site(write_config, tmp_path, header="image: missing.jpg\n"))


def test_missing_image_file_is_left_out_even_where_the_body_has_an_image(
    write_config: WriteConfig, tmp_path: Path
) -> None:
    # The header names the post's image; a body image is not put in its place.
    config = image_site(
        write_config, tmp_path, header="image: missing.jpg\n", body="![a](b.png)", files={"b.png": JPEG}
    )
    assert_no_image(config)


def test_an_image_file_added_later_appears_on_the_next_build(
    write_config: WriteConfig, tmp_path: Path
) -> None:
    config = image_site(write_config, tmp_path, header="image: images/missing.jpg\n")
    folder = tmp_path / "content" / "01.blog" / "photo" / "images"
    folder.mkdir()
    backdate(tmp_path)  # settled: the next build may take everything from the build cache
    build(config, NOW)
    assert_no_image(config)
    stamp = folder.stat().st_mtime_ns
    (folder / "missing.jpg").write_bytes(JPEG)
    # As a copy that keeps times (rsync -t, an unpacked archive) leaves it: only the file tells.
    os.utime(folder, ns=(stamp, stamp))
    build(config, NOW)
    assert_enclosure(config, f"{POST_URL}/images/missing.jpg", len(JPEG), "image/jpeg")
    assert read(config)[2]["items"][0]["image"] == f"{POST_URL}/images/missing.jpg"


def test_image_elsewhere_is_a_thumbnail_but_no_enclosure(write_config: WriteConfig, tmp_path: Path) -> None:
    config = image_site(write_config, tmp_path, header="image: https://cdn.example/a.jpg\n")
    rss, atom, json_feed = read(config)
    assert json_feed["items"][0]["image"] == "https://cdn.example/a.jpg"
    assert rss.entries[0].media_thumbnail == [{"url": "https://cdn.example/a.jpg"}]
    assert rss.entries[0].enclosures == [] and atom.entries[0].enclosures == []


def test_image_outside_the_post_folder_gives_no_enclosure(write_config: WriteConfig, tmp_path: Path) -> None:
    # A file that is there, but in another post's folder, reached by "..": not this post's.
    write_post(tmp_path / "content" / "01.blog" / "other", "photo.jpg", JPEG)
    config = image_site(write_config, tmp_path, header="image: ../other/photo.jpg\n")
    rss, _, json_feed = read(config)
    assert json_feed["items"][0]["image"] == f"{SITE_URL}/blog/other/photo.jpg"
    assert rss.entries[0].enclosures == []


def test_no_image_no_thumbnail(write_config: WriteConfig, tmp_path: Path) -> None:
    config = image_site(write_config, tmp_path)
    rss, _, json_feed = read(config)
    assert "media_thumbnail" not in rss.entries[0]
    assert "image" not in json_feed["items"][0]

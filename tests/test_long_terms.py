"""A tag or category of any length: its feed folder is cut short (file names hold 255 bytes),
the feeds keep the whole term, and check and build agree."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from bulletin.cli import main

from .digest_site import DigestSite
from .feed_site import parse_feed

NOW = "2026-04-12T10:00"
# 300 characters, words of Kazakh and Russian: transliterated, about 330 ASCII letters.
LONG_TERM = ("Қазақстандағы денсаулық сақтау жүйесі және профилактика " * 6)[:300]


def test_a_300_character_tag_builds_and_keeps_its_name(outbox_site: DigestSite) -> None:
    site = outbox_site
    site.configure(feeds={"taxonomies": ["tag"]}, digest={"footer": "Алматы"})
    site.post("long", "Длинный тег", "2026-04-01 10:00", taxonomy={"tag": [LONG_TERM, LONG_TERM + " 2"]})

    check = site.cli("check", "--now", NOW)
    build = site.cli("build", "--now", NOW)

    assert (check.exit_code, build.exit_code) == (0, 0), (check.output, build.output)
    folders = sorted(path.name for path in (site.root / "public" / "tag").iterdir())
    assert len(folders) == 2 and folders[1] == folders[0] + "-2"  # the same 80 letters, numbered
    assert len(folders[0]) <= 80 and folders[0].startswith("kazakstandagy-densaulyk-saktau-")
    # Whole words from the start: the first six words, "және" among them (its ә kept).
    assert folders[0].startswith("kazakstandagy-densaulyk-saktau-zhuiesi-zhane-profilaktika-")
    assert LONG_TERM.count(" ") > folders[0].count("-") >= 6
    titles = {
        parse_feed((site.root / "public" / "tag" / folder / "feed.xml").read_bytes()).feed.title
        for folder in folders
    }
    assert titles == {f"{site.config.site.title} — {LONG_TERM}", f"{site.config.site.title} — {LONG_TERM} 2"}
    main = json.loads((site.root / "public" / "feed.json").read_bytes())
    assert sorted(main["items"][0]["tags"]) == [LONG_TERM, LONG_TERM + " 2"]


def test_names_too_long_for_a_file_are_no_build_failure_check_missed(outbox_site: DigestSite) -> None:
    """Before: check reported 0 errors while every build failed with "File name too long"."""
    site = outbox_site
    site.configure(feeds={"taxonomies": ["tag", "category"]}, digest={"footer": "Алматы"})
    site.post("a", "A", "2026-04-01 10:00", taxonomy={"tag": ["x" * 400], "category": "я" * 255})

    check = site.cli("check", "--now", NOW)
    build = site.cli("build", "--now", NOW)

    assert check.exit_code == build.exit_code == 0, (check.output, build.output)
    assert (site.root / "public" / "tag" / ("x" * 80) / "feed.xml").is_file()


def test_a_collection_feed_name_too_long_for_a_file_is_a_check_error_too(tmp_path: Path, secret: str) -> None:
    site = tmp_path / "blog"
    shutil.copytree(Path(__file__).parent / "sites" / "blog", site)
    page = site / "user" / "pages" / "01.blog" / "blog.md"
    page.write_text(
        page.read_text(encoding="utf-8").replace("title: Блог\n", "title: Блог\nslug: " + "б" * 120 + "\n")
    )
    config = str(site / "config.yaml")

    check = CliRunner().invoke(main, ["check", "--config", config, "--now", NOW])
    build = CliRunner().invoke(main, ["build", "--config", config, "--now", NOW])

    assert (check.exit_code, build.exit_code) == (1, 1), (check.output, build.output)
    [error] = [line for line in check.output.splitlines() if line.startswith("Error")]
    assert error == (
        f"Error: {page}: its feed file {'б' * 40}... needs a file name of 259 bytes, more than the 255"
        " a file system allows; shorten its slug or folder name"
    )
    assert "File name too long" in build.output

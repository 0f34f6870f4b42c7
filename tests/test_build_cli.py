"""`bulletin build` end to end: CliRunner and a real subprocess, good and bad input."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from bulletin.cli import main

from .feed_site import TESTS_CONTENT, WriteConfig, parse_feed, simple_post, write_post
from .test_content import HIDDEN_AT_NOW, VISIBLE_AT_NOW

NOW_ARG = "2026-01-15T12:00:00+05:00"
FEEDS = ("feed.xml", "atom.xml", "feed.json")


def invoke(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), prog_name="bulletin", catch_exceptions=False)


def bulletin_executable() -> str:
    script = Path(sys.executable).with_name("bulletin")
    found = str(script) if script.exists() else shutil.which("bulletin")
    assert found, "the bulletin console script is not installed"
    return found


def write_bad_posts(content: Path) -> list[Path]:
    return [
        write_post(content, "invalid_yaml.md", "---\ntitle: 'Нет кавычки\ndate: x\n---\nТекст\n"),
        write_post(content, "missing_title.md", "---\ndate: '01-01-2025 10:00'\n---\nText\n"),
        write_post(content, "bad_date.md", simple_post("Bad date", "32-13-2025 10:00")),
        write_post(content, "not_utf8.md", b"---\ntitle: 'Caf\xe9'\ndate: '01-01-2025'\n---\n"),
    ]


def snapshot(output: Path) -> dict[str, bytes]:
    return {name: (output / name).read_bytes() for name in FEEDS}


def assert_every_problem_reported(stderr: str, bad: list[Path]) -> None:
    lines = stderr.splitlines()
    assert len(lines) == len(bad), stderr
    for path in bad:
        [line] = [line for line in lines if line.startswith(f"Error: {path}")]
        assert line.startswith(f"Error: {path}:"), line
    assert "Traceback" not in stderr


# Success ------------------------------------------------------------------------------


def test_build_writes_three_feeds(write_config: WriteConfig, tmp_path: Path) -> None:
    config = write_config(content_dir=TESTS_CONTENT)
    result = invoke("build", "--config", str(config), "--now", NOW_ARG)
    assert result.exit_code == 0, result.output
    total = len(VISIBLE_AT_NOW) + len(HIDDEN_AT_NOW)
    assert result.stdout == (
        f"Built feeds with {len(VISIBLE_AT_NOW)} posts "
        f"({len(VISIBLE_AT_NOW)} visible of {total}) in {tmp_path / 'public'}\n"
    )
    for name in ("feed.xml", "atom.xml"):
        assert len(parse_feed((tmp_path / "public" / name).read_bytes()).entries) == len(VISIBLE_AT_NOW)
    assert (tmp_path / "public" / "feed.json").stat().st_size > 0


def test_now_without_offset_is_site_local_time(write_config: WriteConfig, tmp_path: Path) -> None:
    content = tmp_path / "content"
    write_post(content, "at_ten.md", simple_post("At ten", "01-06-2026 10:00"))
    config = str(write_config())
    invoke("build", "--config", config, "--now", "2026-06-01T09:59")
    assert parse_feed((tmp_path / "public/feed.xml").read_bytes()).entries == []
    invoke("build", "--config", config, "--now", "2026-06-01T10:00")
    assert len(parse_feed((tmp_path / "public/feed.xml").read_bytes()).entries) == 1
    # 10:00 in Almaty (+05) is 05:00 UTC.
    invoke("build", "--config", config, "--now", "2026-06-01T04:59:59+00:00")
    assert parse_feed((tmp_path / "public/feed.xml").read_bytes()).entries == []


def test_bad_now_is_a_usage_error(write_config: WriteConfig) -> None:
    result = invoke("build", "--config", str(write_config()), "--now", "tomorrow")
    assert result.exit_code == 2
    assert "not an ISO 8601 date: 'tomorrow'" in result.stderr


def test_default_config_is_in_the_current_folder(
    write_config: WriteConfig, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_config()
    monkeypatch.chdir(tmp_path)
    result = invoke("build", "--now", NOW_ARG)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "public" / "atom.xml").is_file()


def test_empty_content_folder(write_config: WriteConfig, tmp_path: Path) -> None:
    result = invoke("build", "--config", str(write_config()), "--now", NOW_ARG)
    assert result.exit_code == 0, result.output
    assert "with 0 posts (0 visible of 0)" in result.stdout
    for name in ("feed.xml", "atom.xml"):
        assert parse_feed((tmp_path / "public" / name).read_bytes()).entries == []


# Bad input ----------------------------------------------------------------------------


def test_bad_posts_are_all_reported_and_nothing_is_written(write_config: WriteConfig, tmp_path: Path) -> None:
    content = tmp_path / "content"
    write_post(content, "good.md", simple_post("Good", "01-01-2025 10:00"))
    config = str(write_config())
    assert invoke("build", "--config", config, "--now", NOW_ARG).exit_code == 0
    before = snapshot(tmp_path / "public")

    bad = write_bad_posts(content)
    write_post(content, "newer_good.md", simple_post("Newer", "02-01-2025 10:00"))
    result = invoke("build", "--config", config, "--now", NOW_ARG)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert_every_problem_reported(result.stderr, bad)
    assert snapshot(tmp_path / "public") == before
    assert sorted(p.name for p in (tmp_path / "public").iterdir()) == sorted((*FEEDS, "feed.xsl"))


def test_bad_posts_with_a_real_process(write_config: WriteConfig, tmp_path: Path) -> None:
    content = tmp_path / "content"
    write_post(content, "01.blog/01.good/item.md", simple_post("Good", "01-01-2025 10:00"))
    config = str(write_config())
    command = [bulletin_executable(), "build", "--config", config, "--now", NOW_ARG]
    first = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert first.returncode == 0, first.stderr
    before = snapshot(tmp_path / "public")

    bad = write_bad_posts(content)
    result = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 1
    assert result.stdout == ""
    assert_every_problem_reported(result.stderr, bad)
    assert snapshot(tmp_path / "public") == before


def test_real_process_builds_sample_site(tmp_path: Path) -> None:
    site = tmp_path / "site"
    shutil.copytree(TESTS_CONTENT, site / "content")
    (site / "config.yaml").write_text(
        "site: {title: Clinic, url: 'https://clinic.example', timezone: Asia/Almaty}\n",
        encoding="utf-8",
    )
    result = subprocess.run(
        [bulletin_executable(), "build", "--config", str(site / "config.yaml"), "--now", NOW_ARG],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    rss = parse_feed((site / "public/feed.xml").read_bytes())
    assert len(rss.entries) == 20  # the default feeds.limit


def test_config_errors_are_clean_lines(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("site: {url: nope}\nfeeds: {limit: many}\nextra: 1\n", encoding="utf-8")
    result = invoke("build", "--config", str(config))
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"Error: {config}: 'site.title' is required",
        f"Error: {config}: 'site.url' must be an absolute http(s) URL, not 'nope'",
        f"Error: {config}: 'feeds.limit' must be a whole number of at least 1, not 'many'",
        f"Error: {config}: unknown key 'extra'",
    ]


def test_missing_config_file(tmp_path: Path) -> None:
    result = invoke("build", "--config", str(tmp_path / "nope.yaml"))
    assert result.exit_code == 1
    assert result.stderr == f"Error: {tmp_path / 'nope.yaml'}: config file not found\n"


def test_missing_content_folder(write_config: WriteConfig, tmp_path: Path) -> None:
    result = invoke("build", "--config", str(write_config(content_dir=tmp_path / "gone")))
    assert result.exit_code == 1
    assert result.stderr == f"Error: {tmp_path / 'gone'}: content folder not found\n"


def test_unwritable_output_is_a_clean_error(write_config: WriteConfig, tmp_path: Path) -> None:
    (tmp_path / "blocker").write_text("a file, not a folder", encoding="utf-8")
    config = write_config(feeds={"output_dir": "blocker/feeds"})
    result = invoke("build", "--config", str(config), "--now", NOW_ARG)
    assert result.exit_code == 1
    [line] = result.stderr.splitlines()
    assert line.startswith("Error: ") and "blocker" in line
    assert "Traceback" not in result.output


# Help ---------------------------------------------------------------------------------


def all_commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    found: list[tuple[str, click.Command]] = []
    for name, command in group.commands.items():
        found.append((f"{prefix}{name}", command))
        if isinstance(command, click.Group):
            found.extend(all_commands(command, f"{prefix}{name} "))
    return found


def test_every_command_has_help_text() -> None:
    commands = all_commands(main)
    assert "build" in dict(commands)
    assert main.help
    for name, command in commands:
        assert command.help and command.help.strip(), f"'bulletin {name}' has no help text"
        result = invoke(*name.split(), "--help")
        assert result.exit_code == 0, name
        first_paragraph = " ".join(command.help.split("\n\n")[0].split())
        assert first_paragraph in " ".join(result.stdout.split()), name
        for param in command.params:
            if isinstance(param, click.Option):
                assert param.help, f"'bulletin {name} {param.opts[0]}' has no help text"


def test_build_help_mentions_config_and_now() -> None:
    result = invoke("build", "--help")
    assert "--config PATH" in result.stdout or "--config FILE" in result.stdout
    assert "--now ISO-8601" in result.stdout

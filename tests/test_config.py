"""config.yaml: the contract keys, defaults, paths, and errors that name the key."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bulletin.config import load_config
from bulletin.errors import ConfigError

from .feed_site import WriteConfig


def write_raw(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(path: Path) -> tuple[str, ...]:
    with pytest.raises(ConfigError) as info:
        load_config(path)
    return info.value.problems


def test_contract_keys_are_read(write_config: WriteConfig, tmp_path: Path) -> None:
    config = load_config(write_config(feeds={"limit": 7, "full_content": True}))
    assert config.site.title == "Клиника — новости"
    assert config.site.url == "https://clinic.example"
    assert config.site.description == "News of a test clinic"
    assert config.site.language == "ru"
    assert config.site.timezone.key == "Asia/Almaty"
    assert config.site.author.name == "Пресс-служба"
    assert config.site.author.email == "press@clinic.example"
    assert config.content.dir == tmp_path / "content"
    assert config.content.summary_size == 300
    assert config.feeds.output_dir == (tmp_path / "public").resolve()
    assert config.feeds.limit == 7
    assert config.feeds.full_content is True


def test_defaults(tmp_path: Path) -> None:
    path = write_raw(tmp_path, "site:\n  title: T\n  url: https://example.org/\n")
    config = load_config(path)
    assert config.site.url == "https://example.org"  # no trailing slash
    assert config.site.language == "en"
    assert config.site.timezone.key == "UTC"
    assert config.content.dir == tmp_path.resolve() / "content"
    assert config.content.summary_size == 300
    assert config.feeds.output_dir == tmp_path.resolve() / "public"
    assert (config.feeds.limit, config.feeds.full_content) == (20, False)
    assert config.feeds.url == "https://example.org"


def test_paths_are_relative_to_the_config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site_dir = tmp_path / "site"
    site_dir.mkdir()
    write_raw(
        site_dir,
        "site: {title: T, url: 'https://example.org'}\n"
        "content: {dir: posts}\nfeeds: {output_dir: ../www/feeds}\n",
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    config = load_config(Path("../site/config.yaml"))
    assert config.content.dir.resolve() == site_dir / "posts"
    assert config.feeds.output_dir.resolve() == tmp_path / "www" / "feeds"


def test_unknown_keys_are_named(tmp_path: Path) -> None:
    path = write_raw(
        tmp_path,
        "site: {title: T, url: 'https://example.org', colour: red, author: {nick: x}}\n"
        "feeds: {limt: 5}\nthemes: {}\n",
    )
    problems = problems_of(path)
    assert sorted(problems) == sorted(
        [
            *(f"{path}: unknown key '{key}'" for key in ("site.colour", "site.author.nick", "themes")),
            f"{path}: unknown key 'feeds.limt' (did you mean 'feeds.limit'?)",
        ]
    )


@pytest.mark.parametrize(
    ("section", "key", "value"),
    [
        ("site", "title", 42),
        ("site", "language", ["ru"]),
        ("site", "description", {"a": 1}),
        ("content", "summary_size", "300"),
        ("content", "summary_size", 0),
        ("content", "summary_size", True),
        ("content", "dir", 5),
        ("feeds", "limit", 2.5),
        ("feeds", "limit", -1),
        ("feeds", "full_content", "yes"),
        ("feeds", "output_dir", ["public"]),
    ],
)
def test_wrong_types_name_the_key(write_config: WriteConfig, section: str, key: str, value: object) -> None:
    path = write_config(**{section: {key: value}})
    problems = problems_of(path)
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"{path}: '{section}.{key}' must be ")


@pytest.mark.parametrize(
    ("site", "fragment"),
    [
        ({"url": "clinic.example"}, "'site.url' must be an absolute http(s) URL"),
        ({"url": "ftp://clinic.example"}, "'site.url' must be an absolute http(s) URL"),
        ({"timezone": "Mars/Olympus"}, "'site.timezone' is not an IANA time zone"),
        ({"title": None}, "'site.title' is required"),
        ({"author": "Пресс-служба"}, "'site.author' must be a mapping"),
    ],
)
def test_bad_site_values(write_config: WriteConfig, site: dict[str, object], fragment: str) -> None:
    problems = problems_of(write_config(site=site))
    assert len(problems) == 1 and fragment in problems[0], problems


def test_all_errors_are_reported_at_once(tmp_path: Path) -> None:
    path = write_raw(
        tmp_path,
        yaml.safe_dump(
            {
                "site": {"url": "nope", "timezone": "Nowhere/Land", "extra": 1},
                "content": {"summary_size": "big"},
                "feeds": {"limit": 0, "full_content": "sometimes"},
                "surprise": True,
            }
        ),
    )
    problems = problems_of(path)
    for key in ("site.title", "site.url", "site.timezone", "site.extra", "content.summary_size",
                "feeds.limit", "feeds.full_content", "surprise"):  # fmt: skip
        assert sum(f"'{key}'" in p for p in problems) == 1, (key, problems)
    assert len(problems) == 8
    assert all(p.startswith(f"{path}: ") and "\n" not in p for p in problems)


def test_top_level_must_be_a_mapping(tmp_path: Path) -> None:
    problems = problems_of(write_raw(tmp_path, "- just\n- a list\n"))
    assert any("must be a mapping" in p for p in problems)


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    path = write_raw(tmp_path, "site:\n  title: T\n  url: [unclosed\n")
    [problem] = problems_of(path)
    assert problem.startswith(f"{path}:")
    line = int(problem[len(str(path)) + 1 :].split(":")[0])
    assert 3 <= line <= 4


def test_missing_config_file(tmp_path: Path) -> None:
    path = tmp_path / "absent.yaml"
    assert problems_of(path) == (f"{path}: config file not found",)


def test_config_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_bytes("site: {title: 'Caf\xe9'}\n".encode("latin-1"))
    [problem] = problems_of(path)
    assert problem.startswith(f"{path}: ")


def test_impossible_yaml_date_is_an_error_not_a_crash(tmp_path: Path) -> None:
    # PyYAML raises a bare ValueError while building an unquoted 2025-02-30.
    text = "site:\n  title: T\n  url: https://example.org\n  description: 2025-02-30\n"
    path = write_raw(tmp_path, text)
    [problem] = problems_of(path)
    assert problem.startswith(f"{path}: ")
    assert "day is out of range for month" in problem

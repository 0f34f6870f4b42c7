"""Reading posts: routes, front matter, dates in context, visibility, errors."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from bulletin.config import Config, load_config
from bulletin.errors import ContentError
from bulletin.site.discovery import discover
from bulletin.site.posts import Post, load_posts, visible_posts

from .feed_site import (
    ALMATY,
    NOW,
    SITE_URL,
    TESTS_CONTENT,
    WriteConfig,
    config_data,
    simple_post,
    write_post,
)

UTC = dt.UTC


@pytest.fixture(scope="module")
def edge_config(tmp_path_factory: pytest.TempPathFactory) -> Config:
    path = tmp_path_factory.mktemp("content") / "config.yaml"
    path.write_text(yaml.safe_dump(config_data(TESTS_CONTENT)), encoding="utf-8")
    return load_config(path)


@pytest.fixture(scope="module")
def loaded(edge_config: Config) -> list[Post]:
    return load_posts(edge_config.content.dir, edge_config.site)


@pytest.fixture(scope="module")
def posts(loaded: list[Post]) -> dict[str, Post]:
    """Every post of tests/content by the name of its file (or folder for item.md)."""
    by_name = {}
    for post in loaded:
        source = Path(post.source)
        name = source.parent.name if source.name == "item.md" else source.stem
        by_name[name] = post
    return by_name


# Routes -------------------------------------------------------------------------------


def test_routes_strip_numeric_prefixes_and_lower_case(posts: dict[str, Post]) -> None:
    assert posts["02.Grav-Folder-Post"].route == "/blog/grav-folder-post"
    assert posts["01.relative-links-and-images"].route == "/blog/relative-links-and-images"
    assert posts["no_summary_delimiter"].route == "/edge/no_summary_delimiter"
    assert posts["root_flat_post"].route == "/root_flat_post"


def test_permalink_is_site_url_plus_route(posts: dict[str, Post]) -> None:
    post = posts["02.Grav-Folder-Post"]
    assert post.url == SITE_URL + "/blog/grav-folder-post"
    assert post.folder_url == SITE_URL + "/blog/grav-folder-post/"


def test_slug_replaces_last_segment_as_written(posts: dict[str, Post]) -> None:
    assert posts["slug_override"].route == "/edge/My-Custom-Slug"
    assert posts["slug_override"].url == SITE_URL + "/edge/My-Custom-Slug"


def test_underscore_folders_are_skipped() -> None:
    sources = [Path(path) for path, _ in discover(TESTS_CONTENT)]
    assert sources, "discover found nothing"
    assert not any("_modular_part" in path.parts for path in sources)
    assert TESTS_CONTENT / "01.blog/01.relative-links-and-images/item.md" in sources


def test_discover_grav_and_flat_layouts(tmp_path: Path) -> None:
    write_post(tmp_path, "01.blog/03.My-Post/item.md", "")
    write_post(tmp_path, "01.blog/03.My-Post/photo.jpg", b"\xff\xd8")
    write_post(tmp_path, "02.Notes/first.md", "")
    write_post(tmp_path, "02.Notes/Second.md", "")
    write_post(tmp_path, "top.md", "")
    write_post(tmp_path, "_drafts/03.x/item.md", "")
    write_post(tmp_path, ".git/x.md", "")
    write_post(tmp_path, "01.blog/03.My-Post/notes.txt", "")
    assert sorted(route for _, route in discover(tmp_path)) == [
        "/blog/my-post",
        "/notes/first",
        "/notes/second",
        "/top",
    ]


def test_duplicate_routes_are_an_error(write_config: WriteConfig, tmp_path: Path) -> None:
    content = tmp_path / "content"
    write_post(content, "01.blog/post/item.md", simple_post("One", "01-01-2025"))
    write_post(content, "blog/post/item.md", simple_post("Two", "01-01-2025"))
    config = load_config(write_config())
    with pytest.raises(ContentError) as info:
        load_posts(content, config.site)
    assert "route /blog/post is also used by" in str(info.value)


# Front matter -------------------------------------------------------------------------


def test_crlf_and_bom_are_read_like_lf(posts: dict[str, Post]) -> None:
    assert (TESTS_CONTENT / "02.edge/crlf_line_endings.md").read_bytes().count(b"\r\n") > 5
    assert (TESTS_CONTENT / "02.edge/utf8_bom.md").read_bytes().startswith(b"\xef\xbb\xbf")
    assert posts["crlf_line_endings"].title == "Windows line endings"
    assert "\r" not in posts["crlf_line_endings"].body
    assert posts["utf8_bom"].title == "Файл с меткой порядка байтов"


def test_header_values(posts: dict[str, Post]) -> None:
    tagged = posts["taxonomy_tag_and_category"]
    assert tagged.tags == ("donors", "news")
    assert tagged.categories == ("news", "гематология")
    assert posts["author_header"].author == "Айгуль Сейткали"
    assert posts["no_summary_delimiter"].author is None  # the feeds fall back to site.author
    assert posts["continue_link_false"].continue_link is False
    assert posts["summary_delimiter"].continue_link is True


def test_control_characters_are_stripped_from_header_text(posts: dict[str, Post]) -> None:
    assert posts["control_characters"].title == "Bell and escape in a title"


# Dates in context ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("day_month_year_date", dt.datetime(2022, 4, 12, 10, 0, tzinfo=ALMATY)),
        ("day_month_year_dots", dt.datetime(2022, 4, 12, 10, 5, tzinfo=ALMATY)),
        ("month_day_year_slashes", dt.datetime(2022, 4, 12, 10, 10, tzinfo=ALMATY)),
        ("unix_timestamp", dt.datetime(2022, 4, 12, 4, 15, tzinfo=UTC)),
        ("iso_with_offset", dt.datetime(2022, 4, 12, 7, 20, tzinfo=UTC)),
        ("iso_without_offset", dt.datetime(2024, 4, 12, 5, 0, tzinfo=UTC)),
        ("unquoted_yaml_date", dt.datetime(2023, 4, 30, 18, 0, tzinfo=UTC)),
        ("unquoted_yaml_datetime", dt.datetime(2023, 5, 2, 2, 30, tzinfo=UTC)),
        ("future_publish_date", dt.datetime(2026, 6, 1, 4, 0, tzinfo=UTC)),
    ],
)
def test_post_dates(posts: dict[str, Post], name: str, expected: dt.datetime) -> None:
    assert posts[name].date == expected


def test_post_dates_carry_historical_almaty_offsets(posts: dict[str, Post]) -> None:
    # +06:00 until March 2024, +05:00 since.
    assert posts["day_month_year_date"].date.utcoffset() == dt.timedelta(hours=6)
    assert posts["iso_without_offset"].date.utcoffset() == dt.timedelta(hours=5)
    assert posts["iso_with_offset"].date.utcoffset() == dt.timedelta(hours=3)


def one_problem(write_config: WriteConfig, tmp_path: Path, name: str, text: str | bytes) -> tuple[Path, str]:
    """Write one post, load the content folder, and return the post's path and its one problem."""
    content = tmp_path / "content"
    path = write_post(content, name, text)
    config = load_config(write_config())
    with pytest.raises(ContentError) as info:
        load_posts(content, config.site)
    [problem] = info.value.problems
    return path, problem


def test_missing_date_is_an_error(write_config: WriteConfig, tmp_path: Path) -> None:
    path, problem = one_problem(
        write_config, tmp_path, "no_date.md", "---\ntitle: 'Без даты'\n---\n\nТекст.\n"
    )
    assert problem == f"{path}: no date (set 'date' or 'publish_date')"


def test_publish_date_alone_is_enough(write_config: WriteConfig, tmp_path: Path) -> None:
    content = tmp_path / "content"
    write_post(content, "p.md", "---\ntitle: P\npublish_date: '01-02-2025 10:00'\n---\n")
    config = load_config(write_config())
    [post] = load_posts(content, config.site)
    assert post.date == dt.datetime(2025, 2, 1, 10, tzinfo=ALMATY)


@pytest.mark.parametrize(
    ("text", "named"),
    [
        # PHP refuses day 32 ("Unexpected character"); 31-02 it would roll over to 3 March.
        pytest.param(simple_post("Bad", "32-02-2025 10:00"), ("'32-02-2025 10:00'",), id="quoted"),
        # PyYAML raises a plain ValueError while building 2025-02-30: reported, not raised.
        pytest.param(
            "---\ntitle: X\ndate: 2025-02-30\n---\n",
            ("2025-02-30", "day is out of range"),
            id="unquoted-yaml",
        ),
    ],
)
def test_an_impossible_date_names_file_and_value(
    write_config: WriteConfig, tmp_path: Path, text: str, named: tuple[str, ...]
) -> None:
    path, problem = one_problem(write_config, tmp_path, "bad_date.md", text)
    assert problem.startswith(f"{path}: ")
    assert any(part in problem for part in named), problem


# Visibility ---------------------------------------------------------------------------


VISIBLE_AT_NOW = {
    "01.relative-links-and-images", "02.Grav-Folder-Post", "root_flat_post",
    "no_summary_delimiter", "summary_delimiter", "delimiter_under_text_is_heading",
    "short_without_delimiter", "continue_link_false", "code_fence_with_delimiter",
    "crlf_line_endings", "utf8_bom", "day_month_year_date", "day_month_year_dots",
    "month_day_year_slashes", "unix_timestamp", "iso_with_offset", "iso_without_offset",
    "unquoted_yaml_date", "unquoted_yaml_datetime", "unpublish_date_later", "slug_override",
    "html_in_title", "control_characters", "jinja_braces_literal", "author_header",
    "taxonomy_tag_and_category",
}  # fmt: skip
HIDDEN_AT_NOW = {
    "future_publish_date", "published_false", "unpublish_date_passed", "hide_from_post_list",
    "routable_false", "feed_skip",
}  # fmt: skip


def test_visibility_at_now(posts: dict[str, Post]) -> None:
    assert set(posts) == VISIBLE_AT_NOW | HIDDEN_AT_NOW
    visible = {name for name, post in posts.items() if post.is_visible(NOW)}
    assert visible == VISIBLE_AT_NOW


def test_future_publish_date_wins_over_published_true(posts: dict[str, Post]) -> None:
    post = posts["future_publish_date"]
    assert post.published is True
    assert not post.is_visible(dt.datetime(2026, 6, 1, 8, 59, tzinfo=ALMATY))
    assert post.is_visible(dt.datetime(2026, 6, 1, 9, 0, tzinfo=ALMATY))


def test_unpublish_date_ends_visibility(posts: dict[str, Post]) -> None:
    post = posts["unpublish_date_passed"]
    assert post.is_visible(dt.datetime(2025, 11, 30, 23, 59, tzinfo=ALMATY))
    assert not post.is_visible(dt.datetime(2025, 12, 1, 0, 0, tzinfo=ALMATY))
    assert posts["unpublish_date_later"].is_visible(NOW)


@pytest.mark.parametrize("name", ["published_false", "hide_from_post_list", "routable_false", "feed_skip"])
def test_flags_hide_posts_whatever_the_date(posts: dict[str, Post], name: str) -> None:
    assert not posts[name].is_visible(dt.datetime(2100, 1, 1, tzinfo=UTC))


def test_load_posts_sorts_newest_first(loaded: list[Post]) -> None:
    dates = [p.date for p in loaded]
    assert dates == sorted(dates, reverse=True)
    assert len(set(dates)) == len(dates)  # distinct dates: the order is fully determined
    assert loaded[0].title == "Scheduled for the future"
    assert loaded[-1].title == "Day-month-year with dashes"


def test_visible_posts_keeps_order(write_config: WriteConfig, tmp_path: Path) -> None:
    content = tmp_path / "content"
    write_post(content, "old.md", simple_post("Old", "01-01-2024 10:00"))
    write_post(content, "new.md", simple_post("New", "01-01-2025 10:00"))
    write_post(content, "newest.md", simple_post("Newest", "01-01-2026 10:00"))
    config = load_config(write_config())
    posts = load_posts(content, config.site)
    assert [p.title for p in posts] == ["Newest", "New", "Old"]
    now = dt.datetime(2025, 6, 1, tzinfo=ALMATY)
    assert [p.title for p in visible_posts(posts, now)] == ["New", "Old"]


# Bad input ----------------------------------------------------------------------------


def test_every_problem_is_reported_at_once(write_config: WriteConfig, tmp_path: Path) -> None:
    content = tmp_path / "content"
    good = write_post(content, "good.md", simple_post("Good", "01-01-2025"))
    yaml_bad = write_post(content, "invalid_yaml.md", "---\ntitle: 'unclosed\ndate: x: y\n---\n")
    untitled = write_post(content, "missing_title.md", "---\ndate: '01-01-2025'\n---\nText\n")
    bad_date = write_post(content, "bad_date.md", simple_post("Bad", "someday"))
    latin1 = write_post(content, "not_utf8.md", "---\ntitle: 'Caf\xe9'\n---\n".encode("latin-1"))
    no_header = write_post(content, "no_front_matter.md", "Just text.\n")
    config = load_config(write_config())
    with pytest.raises(ContentError) as info:
        load_posts(content, config.site)
    problems = info.value.problems
    assert len(problems) == 5
    for path in (yaml_bad, untitled, bad_date, latin1, no_header):
        assert sum(p.startswith(f"{path}") for p in problems) == 1, path
    assert not any(str(good) in p for p in problems)
    assert all("\n" not in p for p in problems)


def test_invalid_yaml_names_line(write_config: WriteConfig, tmp_path: Path) -> None:
    text = "---\ntitle: ok\ndate: '01-01-2025'\ntags: [a, b\n---\n"
    path, problem = one_problem(write_config, tmp_path, "bad.md", text)
    assert problem.startswith(f"{path}:")
    assert "front matter is not valid YAML" in problem
    line = int(problem[len(str(path)) + 1 :].split(":")[0])
    assert 4 <= line <= 6


def test_not_utf8_names_line(write_config: WriteConfig, tmp_path: Path) -> None:
    raw = b"---\ntitle: T\ndate: '01-01-2025'\n---\n\nCaf\xe9\n"  # Latin-1 in the body
    path, problem = one_problem(write_config, tmp_path, "cp1251.md", raw)
    assert problem == f"{path}:6: not UTF-8 (byte 40): it looks like Windows-1252; re-save it as UTF-8"


def test_yaml_aliases_are_refused(write_config: WriteConfig, tmp_path: Path) -> None:
    text = "---\ntitle: &t 'T'\nsubtitle: *t\ndate: '01-01-2025'\n---\n"
    path, problem = one_problem(write_config, tmp_path, "alias.md", text)
    assert problem == f"{path}: front matter uses YAML aliases, which are not allowed"


def test_missing_content_folder(write_config: WriteConfig, tmp_path: Path) -> None:
    config = load_config(write_config(content_dir=tmp_path / "nowhere"))
    with pytest.raises(ContentError, match="content folder not found"):
        load_posts(config.content.dir, config.site)


def test_a_lone_flat_file_keeps_its_own_route(tmp_path: Path) -> None:
    # Only Grav's page file names (item.md, post.md, ...) stand for their folder, so
    # a flat post alone in a folder is not mistaken for the folder's page, and a
    # second file added beside it changes neither route.
    write_post(tmp_path, "notes/parking.md", "")
    assert [route for _, route in discover(tmp_path)] == ["/notes/parking"]
    write_post(tmp_path, "notes/phones.md", "")
    assert sorted(route for _, route in discover(tmp_path)) == ["/notes/parking", "/notes/phones"]


def test_language_suffixed_page_file_is_the_folder_page(tmp_path: Path) -> None:
    write_post(tmp_path, "01.blog/02.visit/item.ru.md", "")
    assert [route for _, route in discover(tmp_path)] == ["/blog/visit"]

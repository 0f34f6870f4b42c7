"""Page headers read as Grav reads them: Symfony YAML's types, its fallback parser's leniency,
and the dangerous constructs still refused. (tests/oracle/test_yaml_php.py checks the same
against Symfony itself; these cases run without PHP.)"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from bulletin.config import Config, load_config
from bulletin.errors import ContentError
from bulletin.feeds.build import build
from bulletin.site.frontmatter import parse_header, read_page, replace_recursive, split_front_matter
from bulletin.site.posts import load_posts

from .feed_site import NOW, WriteConfig, simple_post, write_post


def header(text: str) -> dict[str, object]:
    return parse_header("\n" + text, "post.md")


@pytest.mark.parametrize(
    ("text", "value"),
    [
        # YAML 1.1 (PyYAML) would make these booleans or sexagesimal numbers; Symfony keeps text.
        ("yes", "yes"),
        ("No", "No"),
        ("on", "on"),
        ("OFF", "OFF"),
        ("y", "y"),
        ("12:30", "12:30"),
        ("14:55 08/11/2017", "14:55 08/11/2017"),
        ("TRUE", True),
        ("False", False),
        ("NULL", None),
        ("~", None),
        ("012", 10),  # Symfony 5 still reads a leading 0 as octal
        ("08", "08"),
        ("0o17", 15),
        ("0x1F", 31),
        ("1_000", 1000),
        ("+12", 12.0),
        ("1e3", 1000.0),
        (".5", 0.5),
        ("99999999999999999999", "99999999999999999999"),  # past PHP_INT_MAX: text
        ("-0", "-0"),
        ("2022-04-12", dt.date(2022, 4, 12)),
        ("2022-4-1", dt.date(2022, 4, 1)),
        ("2022-04-12 10:00", "2022-04-12 10:00"),  # no seconds: not a YAML timestamp
        (
            "2022-04-12T10:20:30+05:00",
            dt.datetime(2022, 4, 12, 10, 20, 30, tzinfo=dt.timezone(dt.timedelta(hours=5))),
        ),
    ],
)
def test_plain_scalars_take_symfonys_types(text: str, value: object) -> None:
    read = header(f"title: T\nvalue: {text}\n")["value"]
    assert read == value and type(read) is type(value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("content:\n  items: @self.children\n", {"content": {"items": "@self.children"}}),
        ("content: { items: @self.children }\n", {"content": {"items": "@self.children"}}),
        (
            "content:\n  items:\n    @page.children: /blog\n",
            {"content": {"items": {"@page.children": "/blog"}}},
        ),
        ("items: { @taxonomy.category: news }\n", {"items": {"@taxonomy.category": "news"}}),
        (
            "items:\n  - @self.children\n  - @taxonomy.tag: x\n",
            {"items": ["@self.children", {"@taxonomy.tag": "x"}]},
        ),
        ("tags: [@a, b, `c`]\n", {"tags": ["@a", "b", "`c`"]}),
        ("title: `code` here # a comment\n", {"title": "`code` here"}),
        ("title: Қазақ тілі: жаңалықтар\n", {"title": "Қазақ тілі: жаңалықтар"}),
        ("title:\tTabbed\n", {"title": "Tabbed"}),
        ("tags:\t[a, b]\n", {"tags": ["a", "b"]}),
        ("title: a\tb\t# note\n", {"title": "a\tb"}),
        ("title: - dash\n", {"title": "- dash"}),
        ("title: |x\n", {"title": "|x"}),
        ("title: %off\n", {"title": "%off"}),
        ("tags: [, a]\n", {"tags": [None, "a"]}),
        ("title: First\ntitle: Second\n", {"title": "First"}),  # the fallback parser keeps the first
        ("taxonomy:\n\ttag: [a]\n\tcategory: b\n", {"taxonomy": {"tag": ["a"], "category": "b"}}),
    ],
)
def test_what_grav_reads_leniently_reads(text: str, expected: dict[str, object]) -> None:
    assert header(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: &x [1]\nb: *x\n", "front matter uses YAML aliases, which are not allowed"),
        ("base: &b {title: T}\n<<: *b\n", "front matter uses YAML aliases, which are not allowed"),
        ("title: !!python/object/apply:os.system ['true']\n", "front matter is not valid YAML"),
        ("title: !php/object 'O:8:\"stdClass\":0:{}'\n", "front matter is not valid YAML"),
        ("title: !php/const PHP_VERSION\n", "front matter is not valid YAML"),
        ("title: *undefined\n", "front matter is not valid YAML"),
        ("title: 'unclosed\n", "front matter is not valid YAML"),
        ('title: "x" y\n', "front matter is not valid YAML"),
        ("deep: " + "[" * 250 + "]" * 250 + "\n", "front matter is nested more than 200 levels deep"),
        ("deep: " + "- " * 300 + "x\n", None),  # one line of dashes is text, as in Symfony
        ("date: 2025-02-30\n", "front matter has an impossible value"),
        # A repair that quoted its own quotes doubled the header fifty times (Hypothesis found
        # '[!`' in the hostile-content test; the run grew to 9 GB before it was killed).
        ("tags: [!`]\n", "front matter is not valid YAML"),
        ("tags: [a, !`b`, c]\n", "front matter is not valid YAML"),
    ],
)
def test_dangerous_or_broken_headers_are_one_clear_error(text: str, message: str | None) -> None:
    if message is None:
        assert header(text)["deep"] == ("- " * 300 + "x").strip()
        return
    with pytest.raises(ContentError) as caught:
        header(text)
    [problem] = caught.value.problems
    assert problem.startswith("post.md") and message in problem, problem


def test_deep_nesting_in_block_style_is_refused_before_it_can_crash_libyaml() -> None:
    nested = "".join(" " * depth + f"k{depth}:\n" for depth in range(400))
    with pytest.raises(ContentError, match="nested more than 200 levels deep"):
        header(nested)


def test_the_reported_line_is_where_the_file_goes_wrong() -> None:
    with pytest.raises(ContentError) as caught:
        split_front_matter(
            "\n---\ntitle: T\nbad: 'quoted' then text\ndate: '2024-01-01'\n---\nBody\n", "post.md"
        )
    assert caught.value.problems[0].startswith("post.md:4: front matter is not valid YAML")


def test_blank_lines_before_the_opening_dashes_are_allowed(tmp_path: Path) -> None:
    page = tmp_path / "item.md"
    page.write_bytes(b"\xef\xbb\xbf\r\n\r\n---\r\ntitle: \xd0\x90\r\n---\r\nBody\r\n")
    assert read_page(page) == ({"title": "А"}, "\nBody\n")


def test_a_plain_header_costs_no_repair(monkeypatch: pytest.MonkeyPatch) -> None:
    """Headers libyaml reads are never handed to the repairing path."""
    from bulletin import grav_yaml

    def no_repair(*args: object) -> None:
        raise AssertionError("repair called for a valid header")

    monkeypatch.setattr(grav_yaml, "repaired", no_repair)
    assert header("title: Fine\ntaxonomy: {tag: [a]}\n") == {"title": "Fine", "taxonomy": {"tag": ["a"]}}


# frontmatter.yaml ---------------------------------------------------------------------------


def folder_site(write_config: WriteConfig, tmp_path: Path) -> Config:
    content = tmp_path / "content"
    write_post(
        content,
        "01.blog/visit/item.md",
        simple_post("Визит врача", "01-03-2025 10:00", extra="taxonomy:\n  tag: [қабылдау]\n"),
    )
    write_post(content, "01.blog/visit/frontmatter.yaml", DEFAULTS)
    write_post(content, "notes/frontmatter.yaml", DEFAULTS)
    write_post(content, "notes/flat.md", simple_post("Flat", "02-03-2025 10:00"))
    return load_config(write_config(feeds={"taxonomies": ["tag", "category"]}))


DEFAULTS = """title: Never used, the page sets one
author: Dr Әлия
taxonomy:
  tag: [first, second, third]
  category: news
"""


def test_frontmatter_yaml_goes_under_the_page_header_as_in_grav(
    write_config: WriteConfig, tmp_path: Path
) -> None:
    config = folder_site(write_config, tmp_path)
    posts = {post.route: post for post in load_posts(config.content.dir, config.site)}
    visit = posts["/blog/visit"]
    assert visit.title == "Визит врача"  # the page's own key wins
    assert visit.author == "Dr Әлия"  # a key only the folder file has
    # array_replace_recursive: the page's list replaces the defaults' item by item.
    assert visit.tags == ("қабылдау", "second", "third")
    assert visit.categories == ("news",)
    # A flat post is no Grav page folder: the file beside it does not apply.
    assert posts["/notes/flat"].author is None and posts["/notes/flat"].tags == ()


def test_a_changed_frontmatter_yaml_reaches_a_cached_build(write_config: WriteConfig, tmp_path: Path) -> None:
    config = folder_site(write_config, tmp_path)
    build(config, NOW)
    defaults = config.content.dir / "01.blog/visit/frontmatter.yaml"
    defaults.write_text(DEFAULTS.replace("news", "жаңалықтар"), encoding="utf-8")
    build(config, NOW)
    feed = json.loads((config.feeds.output_dir / "feed.json").read_text(encoding="utf-8"))
    [visit] = [item for item in feed["items"] if item["title"] == "Визит врача"]
    assert "жаңалықтар" in visit["tags"] and "news" not in visit["tags"]


def test_a_broken_frontmatter_yaml_is_one_line_naming_it(write_config: WriteConfig, tmp_path: Path) -> None:
    config = folder_site(write_config, tmp_path)
    defaults = config.content.dir / "01.blog/visit/frontmatter.yaml"
    defaults.write_text("title: ok\ntags: [unclosed\nx: 1\n", encoding="utf-8")
    with pytest.raises(ContentError) as caught:
        load_posts(config.content.dir, config.site)
    assert caught.value.problems == (
        f"{defaults}:3: frontmatter.yaml is not valid YAML: did not find expected ',' or ']'",
    )


@pytest.mark.parametrize(
    ("base", "override", "merged"),
    [
        ({"a": [1, 2, 3]}, {"a": ["x"]}, {"a": ["x", 2, 3]}),
        ({"a": {"b": 1, "c": 2}}, {"a": {"c": 3}}, {"a": {"b": 1, "c": 3}}),
        ({"a": {"b": 1}}, {"a": "text"}, {"a": "text"}),
        ({"a": "text"}, {"a": {"b": 1}}, {"a": {"b": 1}}),
        ({"a": 1}, {"a": None}, {"a": None}),
        ({"a": [1]}, {"a": {"k": 2}}, {"a": {0: 1, "k": 2}}),
    ],
)
def test_replace_recursive_is_phps(
    base: dict[str, object], override: dict[str, object], merged: object
) -> None:
    assert replace_recursive(base, override) == merged

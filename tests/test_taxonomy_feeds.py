"""Per-tag and per-category feeds (issue 7): own paths, titles and self links, only their posts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from lxml import etree

from bulletin.cli import main
from bulletin.config import Config, load_config
from bulletin.feeds.build import build
from bulletin.feeds.term_slugs import TermSlugs
from bulletin.feeds.term_slugs import assign_slugs as term_slugs

from .feed_site import NOW, SITE_URL, WriteConfig, parse_feed, simple_post, write_post

ATOM_ID = "{http://www.w3.org/2005/Atom}id"

SITE_TITLE = "Клиника — новости"


def tagged(title: str, date: str, tags: list[str], categories: list[str] | None = None) -> str:
    lines = "taxonomy:\n  tag: " + json.dumps(tags, ensure_ascii=False) + "\n"
    if categories:
        lines += "  category: " + json.dumps(categories, ensure_ascii=False) + "\n"
    return simple_post(title, date, extra=lines)


def build_tagged_site(write_config: WriteConfig, tmp_path: Path, limit: int = 100) -> Path:
    content = tmp_path / "content"
    write_post(
        content,
        "blood.md",
        tagged("Донорская суббота", "01-03-2025 10:00", ["донорство"], ["Новости"]),
    )
    write_post(content, "plasma.md", tagged("Плазма", "02-03-2025 10:00", ["донорство", "Vaccines"]))
    write_post(
        content,
        "flu.md",
        tagged("Прививка от гриппа", "03-03-2025 10:00", ["Vaccines"], ["Новости"]),
    )
    write_post(content, "untagged.md", simple_post("Без тегов", "04-03-2025 10:00"))
    # A term used only by a post that is not visible yet gets no feed.
    write_post(content, "later.md", tagged("Будущее", "01-01-2030 10:00", ["секрет"]))
    config = load_config(write_config(feeds={"taxonomies": ["tag", "category"], "limit": limit}))
    build(config, NOW)
    return config.feeds.output_dir


def feeds_of(output: Path, folder: str) -> tuple[Any, Any, dict[str, Any]]:
    return (
        parse_feed((output / folder / "feed.xml").read_bytes()),
        parse_feed((output / folder / "atom.xml").read_bytes()),
        json.loads((output / folder / "feed.json").read_bytes()),
    )


def link(feed: Any, rel: str) -> str:
    [href] = [item["href"] for item in feed.feed.links if item.get("rel") == rel]
    return str(href)


def titles(feed: Any) -> list[str]:
    return [entry.title for entry in feed.entries]


def test_each_term_gets_three_feeds_at_stable_paths(write_config: WriteConfig, tmp_path: Path) -> None:
    output = build_tagged_site(write_config, tmp_path)
    written = sorted(
        path.relative_to(output).as_posix()
        for path in output.rglob("*")
        if path.is_file() and path.parent != output
    )
    expected = [
        f"{folder}/{name}"
        for folder in ("category/novosti", "tag/donorstvo", "tag/vaccines")
        for name in ("atom.xml", "feed.json", "feed.xml")
    ]
    assert written == expected


def test_term_feed_has_its_own_title_and_self_links(write_config: WriteConfig, tmp_path: Path) -> None:
    output = build_tagged_site(write_config, tmp_path)
    rss, atom, json_feed = feeds_of(output, "tag/donorstvo")
    title = f"{SITE_TITLE} — донорство"
    assert rss.feed.title == atom.feed.title == json_feed["title"] == title
    assert link(rss, "self") == f"{SITE_URL}/tag/donorstvo/feed.xml"
    assert link(atom, "self") == f"{SITE_URL}/tag/donorstvo/atom.xml"
    assert json_feed["feed_url"] == f"{SITE_URL}/tag/donorstvo/feed.json"
    # The main feed keeps its own title and self link.
    main = parse_feed((output / "feed.xml").read_bytes())
    assert main.feed.title == SITE_TITLE
    assert link(main, "self") == f"{SITE_URL}/feed.xml"


def test_term_feed_holds_only_that_terms_posts(write_config: WriteConfig, tmp_path: Path) -> None:
    output = build_tagged_site(write_config, tmp_path)
    expected = {
        "tag/donorstvo": ["Плазма", "Донорская суббота"],
        "tag/vaccines": ["Прививка от гриппа", "Плазма"],
        "category/novosti": ["Прививка от гриппа", "Донорская суббота"],
    }
    for folder, posts in expected.items():
        rss, atom, json_feed = feeds_of(output, folder)
        assert titles(rss) == titles(atom) == posts, folder
        assert [item["title"] for item in json_feed["items"]] == posts, folder
    assert not (output / "tag" / "sekret").exists()


def test_term_feeds_obey_the_limit(write_config: WriteConfig, tmp_path: Path) -> None:
    output = build_tagged_site(write_config, tmp_path, limit=1)
    for folder, newest in {
        "tag/donorstvo": "Плазма",
        "tag/vaccines": "Прививка от гриппа",
        "category/novosti": "Прививка от гриппа",
    }.items():
        rss, atom, json_feed = feeds_of(output, folder)
        assert titles(rss) == titles(atom) == [newest]
        assert [item["title"] for item in json_feed["items"]] == [newest]


def test_cyrillic_terms_get_readable_transliterated_slugs() -> None:
    assert term_slugs(["донорство", "Вакцинация детей", "ёлка"]) == {
        "донорство": "donorstvo",
        "Вакцинация детей": "vaktsinatsiia-detei",
        "ёлка": "elka",
    }


def test_kazakh_terms_keep_every_letter_in_their_slugs() -> None:
    # ә was dropped by the transliteration ("және" -> "zh-ne"); the rest of ә ғ қ ң ө ұ ү һ і read.
    assert term_slugs(["және", "Әйел денсаулығы", "Қан тапсыру", "өңір", "ұлттық үлгі", "ілім"]) == {
        "және": "zhane",
        "Әйел денсаулығы": "aiel-densaulygy",
        "Қан тапсыру": "kan-tapsyru",
        "өңір": "onir",
        "ұлттық үлгі": "ulttyk-ulgi",
        "ілім": "ilim",
    }


def test_colliding_slugs_get_a_number_in_name_order() -> None:
    slugs = term_slugs(["донорство", "Донорство", "Donorstvo"])
    assert slugs == {
        "Donorstvo": "donorstvo",
        "Донорство": "donorstvo-2",
        "донорство": "donorstvo-3",
    }
    # The order the terms come in does not matter: a term keeps its path.
    assert term_slugs(["Donorstvo", "донорство", "Донорство"]) == slugs


def test_terms_without_letters_still_get_distinct_slugs() -> None:
    assert term_slugs(["!!!", "???"]) == {"!!!": "term", "???": "term-2"}


def test_colliding_terms_keep_separate_feeds(write_config: WriteConfig, tmp_path: Path) -> None:
    content = tmp_path / "content"
    write_post(content, "a.md", tagged("Прописная", "01-03-2025 10:00", ["Донорство"]))
    write_post(content, "b.md", tagged("Строчная", "02-03-2025 10:00", ["донорство"]))
    config = load_config(write_config(feeds={"taxonomies": ["tag"]}))
    build(config, NOW)
    output = config.feeds.output_dir
    first, _, _ = feeds_of(output, "tag/donorstvo")
    second, _, second_json = feeds_of(output, "tag/donorstvo-2")
    assert titles(first) == ["Прописная"]
    assert titles(second) == ["Строчная"]
    assert first.feed.title == f"{SITE_TITLE} — Донорство"
    assert second_json["title"] == f"{SITE_TITLE} — донорство"
    assert link(second, "self") == f"{SITE_URL}/tag/donorstvo-2/feed.xml"


def test_no_taxonomies_configured_means_no_term_feeds(write_config: WriteConfig, tmp_path: Path) -> None:
    content = tmp_path / "content"
    write_post(content, "a.md", tagged("Пост", "01-03-2025 10:00", ["донорство"], ["Новости"]))
    config = load_config(write_config())
    build(config, NOW)
    assert sorted(p.name for p in config.feeds.output_dir.iterdir()) == [
        "atom.xml",
        "feed.json",
        "feed.xml",
        "feed.xsl",  # the stylesheet a browser shows the feeds with
    ]


# A term's URL is forever (issue 15 item 18) --------------------------------------------


def tag_site(write_config: WriteConfig, tmp_path: Path) -> Config:
    return load_config(write_config(feeds={"taxonomies": ["tag"]}))


def test_a_term_keeps_its_feed_url_when_a_term_sharing_its_slug_appears(
    write_config: WriteConfig, tmp_path: Path
) -> None:
    content = tmp_path / "content"
    config = tag_site(write_config, tmp_path)
    write_post(content, "lower.md", tagged("Ёлка во дворе", "01-03-2025 10:00", ["елка"]))
    build(config, NOW)
    output = config.feeds.output_dir
    assert titles(feeds_of(output, "tag/elka")[0]) == ["Ёлка во дворе"]
    # "Елка" sorts before "елка": numbered by name order, it would take tag/elka from it.
    write_post(content, "upper.md", tagged("Ёлка в клинике", "02-03-2025 10:00", ["Елка"]))
    build(config, NOW)
    write_post(content, "yo.md", tagged("Ёлочные игрушки", "03-03-2025 10:00", ["Ёлка"]))
    build(config, NOW, use_cache=False)  # a build without the cache keeps them too: it is no cache
    for folder, term, posts in (
        ("tag/elka", "елка", ["Ёлка во дворе"]),
        ("tag/elka-2", "Елка", ["Ёлка в клинике"]),
        ("tag/elka-3", "Ёлка", ["Ёлочные игрушки"]),
    ):
        rss, atom, json_feed = feeds_of(output, folder)
        assert titles(rss) == titles(atom) == posts, folder
        assert json_feed["title"] == f"{SITE_TITLE} — {term}"
    record = json.loads((tmp_path / "state" / "term-slugs.json").read_text(encoding="utf-8"))
    assert record == {"tag": {"Ёлка": "elka-3", "Елка": "elka-2", "елка": "elka"}}
    assert not config.store.path.exists()  # the record needs no store


def test_a_written_slug_is_never_given_to_another_term(write_config: WriteConfig, tmp_path: Path) -> None:
    content = tmp_path / "content"
    config = tag_site(write_config, tmp_path)
    old = write_post(content, "old.md", tagged("Старая", "01-03-2025 10:00", ["елка"]))
    build(config, NOW)
    old.unlink()  # "елка" loses its last post: its feed goes, its slug stays its own
    write_post(content, "new.md", tagged("Новая", "02-03-2025 10:00", ["Елка"]))
    build(config, NOW)
    output = config.feeds.output_dir
    assert not (output / "tag" / "elka").exists()
    assert titles(feeds_of(output, "tag/elka-2")[0]) == ["Новая"]
    write_post(content, "old.md", tagged("Снова", "03-03-2025 10:00", ["елка"]))
    build(config, NOW)
    assert titles(feeds_of(output, "tag/elka")[0]) == ["Снова"]


def test_a_broken_slug_record_is_one_line_and_nothing_is_written(
    write_config: WriteConfig, tmp_path: Path
) -> None:
    write_post(tmp_path / "content", "a.md", tagged("Пост", "01-03-2025 10:00", ["елка"]))
    config_path = write_config(feeds={"taxonomies": ["tag"]})
    record = tmp_path / "state" / "term-slugs.json"
    record.parent.mkdir()
    record.write_text('{"tag": ["elka"]}', encoding="utf-8")
    result = CliRunner().invoke(main, ["build", "--config", str(config_path)], catch_exceptions=False)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {record}: not a record of feed slugs")
    assert len(result.stderr.splitlines()) == 1 and "Traceback" not in result.stderr
    assert not (tmp_path / "public").exists()
    assert record.read_text(encoding="utf-8") == '{"tag": ["elka"]}'


# Each term feed is its own Atom feed (issue 15 item 19) ----------------------------------


def atom_id(path: Path) -> str:
    return str(etree.parse(str(path)).getroot().findtext(ATOM_ID))


def test_each_term_feed_has_its_own_stable_atom_id(write_config: WriteConfig, tmp_path: Path) -> None:
    output = build_tagged_site(write_config, tmp_path)
    folders = ("tag/donorstvo", "tag/vaccines", "category/novosti")
    ids = {folder: atom_id(output / folder / "atom.xml") for folder in folders}
    assert ids == {folder: f"{SITE_URL}/{folder}/atom.xml" for folder in folders}
    assert atom_id(output / "atom.xml") == SITE_URL + "/"  # the main feed keeps the id it had
    # Another post and another term later: every id stays what it was.
    write_post(tmp_path / "content", "new.md", tagged("Новое", "05-03-2025 10:00", ["донорство", "Кровь"]))
    build(load_config(tmp_path / "config.yaml"), NOW)
    assert {folder: atom_id(output / folder / "atom.xml") for folder in folders} == ids
    assert atom_id(output / "tag/krov/atom.xml") not in {*ids.values(), SITE_URL + "/"}


def test_a_language_numbers_the_terms_of_its_own_folder(tmp_path: Path) -> None:
    """public/kk/tag/ is another folder than public/tag/: its slugs are recorded apart."""
    path = tmp_path / "term-slugs.json"
    slugs = TermSlugs(path, {})
    assert slugs.slugs("tag", ["Елка"]) == {"Елка": "elka"}
    assert slugs.in_folder("kk").slugs("tag", ["елка", "Елка"]) == {"Елка": "elka", "елка": "elka-2"}
    slugs.save()
    record = json.loads(path.read_text(encoding="utf-8"))
    assert record == {"kk/tag": {"Елка": "elka", "елка": "elka-2"}, "tag": {"Елка": "elka"}}
    again = TermSlugs(path, record)
    assert again.in_folder("kk").slugs("tag", ["елка"]) == {"елка": "elka-2"}
    assert again.slugs("tag", ["елка"]) == {"елка": "elka-2"}

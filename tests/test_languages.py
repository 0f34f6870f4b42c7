"""A multi-language Grav site (tests/sites/multilang: ru, kk, en) read as Grav reads it."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import feedparser
import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from bulletin.cli import main
from bulletin.config import Languages, load_config
from bulletin.errors import ConfigError
from bulletin.feeds.build import build
from bulletin.site.posts import visible_posts
from bulletin.site.reading import load_site_posts
from bulletin.web.app import create_app

from .feed_site import ALMATY
from .test_build_cache import backdate

SITE = Path(__file__).parent / "sites" / "multilang"
URL = "https://emhana.example"
NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=ALMATY)
# Each language's blog collection at NOW, newest first. A folder's page in a language is
# its own file, else the default language's (item.ru.md, then item.md), as in Grav: so
# lab-hours (post.md only) is in every version, nauryz-open-day (post.kk.md only) in kk
# alone; the draft and the post scheduled for 2027 are in none.
RU = ["vaccination", "lab-hours", "donor-week", "clinic-opening"]
KK = ["tumauga-karsy-ekpe", "lab-hours", "donor-week", "nauryz-open-day", "clinic-opening"]
EN = ["vaccination", "lab-hours", "donor-week", "clinic-opening"]
# The W3C validator in the shared tools folder beside the checkout (or beside its worktrees' folder).
REPOSITORY = Path(__file__).resolve().parents[1]
VALIDATORS = [folder / "shared/tools/validate-feeds" for folder in (REPOSITORY.parent, REPOSITORY.parents[1])]


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A copy of the fixture site; returns its config.yaml."""
    shutil.copytree(SITE, tmp_path / "site")
    return tmp_path / "site" / "config.yaml"


def system_yaml(config_path: Path, languages: str) -> None:
    """Replace the fixture's languages section of system.yaml."""
    path = config_path.parent / "user/config/system.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text[: text.index("languages:")] + languages, encoding="utf-8")


def links(path: Path) -> list[str]:
    return [entry.link for entry in feedparser.parse(path).entries]


def blog(prefix: str, *slugs: str) -> list[str]:
    return [f"{URL}{prefix}/blog/{slug}" for slug in slugs]


def test_languages_are_read_as_grav_reads_them(site: Path) -> None:
    languages = load_config(site).content.languages
    assert languages == Languages(("ru", "kk", "en"), "ru")
    # Language::getFallbackLanguages(lang, true): the language, the default, then the file
    # without a language ("").
    assert languages.fallback_languages("kk") == ("kk", "ru", "")
    assert languages.fallback_languages("ru") == ("ru", "")
    assert languages.page_extensions("en") == (".en.md", ".ru.md", ".md")
    assert (languages.prefix("ru"), languages.prefix("kk")) == ("/ru", "/kk")


def test_grav_language_settings(site: Path) -> None:
    system_yaml(
        site,
        "languages:\n  supported: [kk, en]\n  default_lang: ru\n  include_default_lang: false\n"
        "  content_fallback:\n    kk: 'en,ru'\n    en: []\n    ru:\n",
    )
    languages = load_config(site).content.languages
    assert languages is not None
    assert languages.supported == ("ru", "kk", "en")  # Grav puts a missing default first
    assert (languages.prefix("ru"), languages.prefix("en")) == ("", "/en")
    assert languages.fallback_languages("kk") == ("kk", "en", "ru", "")
    assert languages.fallback_languages("en") == ("en",)  # an empty list: no fallback at all
    assert languages.fallback_languages("ru") == ("ru", "")  # null: the default's
    system_yaml(site, "languages:\n  supported: [ru, kk, en]\n  pages_fallback_only: true\n")
    only = load_config(site).content.languages
    assert only is not None and only.fallback_languages("en") == ("en", "kk", "ru", "")
    system_yaml(site, "languages:\n  supported: []\n")
    assert load_config(site).content.languages is None  # Grav turns languages off


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ("languages:\n  supported: ru\n", "'languages.supported' must be a list"),
        ("languages:\n  supported: [ru, '../x']\n", "holds '../x', which is no language code"),
        ("languages:\n  supported: [ru]\n  default_lang: true\n", "'languages.default_lang' holds True"),
        ("languages:\n  supported: [ru]\n  content_fallback: [kk]\n", "'languages.content_fallback' must"),
    ],
)
def test_a_bad_languages_section_is_one_clear_line(site: Path, section: str, message: str) -> None:
    system_yaml(site, section)
    with pytest.raises(ConfigError) as caught:
        load_config(site)
    assert caught.value.problems == (f"{site.parent / 'user/config/system.yaml'}: {message}",) or any(
        message in problem for problem in caught.value.problems
    )
    result = CliRunner().invoke(main, ["build", "--config", str(site), "--now", NOW.isoformat()])
    assert result.exit_code == 1 and message in result.output and "Traceback" not in result.output
    assert not (site.parent / "public").exists()


def test_one_post_per_language_and_each_language_its_own_feeds(site: Path) -> None:
    config = load_config(site)
    result = build(config, NOW)
    public = config.feeds.output_dir
    assert result.visible == 4  # the default language's
    for language, slugs in (("ru", RU), ("kk", KK), ("en", EN)):
        for name in ("feed.xml", "atom.xml", "blog.rss", "blog.atom"):
            feed = feedparser.parse(public / language / name)
            assert not feed.bozo, (language, name)
            assert [entry.link for entry in feed.entries] == blog(f"/{language}", *slugs), (language, name)
            assert feed.feed.language == language
        for name in ("feed.json", "blog.json"):
            document = json.loads((public / language / name).read_bytes())
            assert [item["url"] for item in document["items"]] == blog(f"/{language}", *slugs)
            assert document["language"] == language
        rss = feedparser.parse(public / language / "feed.xml").feed
        assert [link.href for link in rss.links if link.rel == "self"] == [f"{URL}/{language}/feed.xml"]
    kk = feedparser.parse(public / "kk/blog.rss")
    assert kk.feed.title == "«Шипагер» емханасы — жаңалықтар"
    assert kk.entries[0].title == "Тұмауға қарсы екпе"
    assert kk.entries[1].title == "Лаборатория теперь работает по субботам"  # the fallback's text
    # The root feeds are the default language's, linking to themselves at the root.
    for name in ("feed.xml", "atom.xml", "blog.rss"):
        assert links(public / name) == blog("/ru", *RU)
    root = feedparser.parse(public / "feed.xml").feed
    assert root.language == "ru" and [link.href for link in root.links if link.rel == "self"] == [
        f"{URL}/feed.xml"
    ]


def test_items_link_their_translations(site: Path) -> None:
    config = load_config(site)
    build(config, NOW)
    public = config.feeds.output_dir

    def translations(path: Path) -> dict[str, dict[str, str]]:
        """Entry link -> {language: URL} of its translations (the entry's own language left out)."""
        language = feedparser.parse(path).feed.language
        return {
            entry.link: {
                link.hreflang: link.href
                for link in entry.links
                if link.rel == "alternate" and link.get("hreflang") not in (None, language)
            }
            for entry in feedparser.parse(path).entries
        }

    for name in ("kk/feed.xml", "kk/atom.xml"):
        found = translations(public / name)
        assert found[f"{URL}/kk/blog/clinic-opening"] == {
            "ru": f"{URL}/ru/blog/clinic-opening",
            "en": f"{URL}/en/blog/clinic-opening",
        }
        # The Kazakh slug: each language's page has its own route.
        assert found[f"{URL}/kk/blog/tumauga-karsy-ekpe"] == {"ru": f"{URL}/ru/blog/vaccination"}
        assert found[f"{URL}/kk/blog/nauryz-open-day"] == {}  # no translation
        assert found[f"{URL}/kk/blog/lab-hours"] == {}  # one text, shown in every version
    ru = translations(public / "ru/atom.xml")
    assert ru[f"{URL}/ru/blog/vaccination"] == {"kk": f"{URL}/kk/blog/tumauga-karsy-ekpe"}
    # en shows the Russian text of donor-week (no post.en.md): its translations are ru and kk.
    en = translations(public / "en/feed.xml")
    assert en[f"{URL}/en/blog/donor-week"] == {
        "ru": f"{URL}/ru/blog/donor-week",
        "kk": f"{URL}/kk/blog/donor-week",
    }


def test_without_the_default_language_in_urls_and_without_fallback(site: Path) -> None:
    system_yaml(
        site,
        "languages:\n  supported: [ru, kk, en]\n  include_default_lang: false\n"
        "  content_fallback:\n    kk: []\n",
    )
    config = load_config(site)
    build(config, NOW)
    public = config.feeds.output_dir
    assert links(public / "feed.xml") == blog("", *RU)
    assert links(public / "ru/atom.xml") == blog("", *RU)
    # kk without fallback: only the pages written in Kazakh.
    assert links(public / "kk/atom.xml") == blog(
        "/kk", "tumauga-karsy-ekpe", "donor-week", "nauryz-open-day", "clinic-opening"
    )
    assert feedparser.parse(public / "feed.xml").feed.link == f"{URL}/"


def test_every_feed_is_valid_to_the_w3c_validator(site: Path) -> None:
    validator = next((path for path in VALIDATORS if path.exists()), None)
    if validator is None:
        pytest.skip(f"the W3C feed validator is not at {VALIDATORS[0]}")
    config = load_config(site)
    build(config, NOW)
    public = config.feeds.output_dir
    files = sorted(str(path) for path in public.rglob("*") if path.suffix in (".xml", ".rss", ".atom"))
    assert len(files) == 4 * 4
    run = subprocess.run([sys.executable, str(validator), *files], capture_output=True, text=True)
    if "ModuleNotFoundError" in run.stderr:
        pytest.skip(f"the feed validator needs html5lib and rdflib: {run.stderr.strip().splitlines()[-1]}")
    assert run.returncode == 0 and run.stdout.count(": valid") == len(files), run.stdout + run.stderr


def test_a_new_translation_changes_that_languages_feeds_on_a_cached_build(site: Path) -> None:
    config = load_config(site)
    build(config, NOW)
    public = config.feeds.output_dir
    backdate(site.parent)
    before = {path: path.read_bytes() for path in public.rglob("*") if path.is_file()}
    page = site.parent / "user/pages/01.blog/lab-hours/post.kk.md"
    page.write_text(
        "---\ntitle: 'Зертхана енді сенбі күндері де жұмыс істейді'\ndate: '08:00 05-05-2026'\n---\n\n"
        "Қан анализін сенбі күні де тапсыруға болады.\n",
        encoding="utf-8",
    )
    build(config, NOW)
    kk = feedparser.parse(public / "kk/blog.atom")
    assert kk.entries[1].title == "Зертхана енді сенбі күндері де жұмыс істейді"
    changed = sorted(str(p.relative_to(public)) for p, data in before.items() if p.read_bytes() != data)
    # kk: the new text; ru, en and the root: the new translation link on lab-hours.
    assert {name.split("/")[0] for name in changed} >= {"kk", "ru", "en", "feed.xml"}
    uncached = site.parent / "uncached"
    shutil.copytree(site.parent / "user", uncached / "user")
    shutil.copy(site, uncached / "config.yaml")
    build(load_config(uncached / "config.yaml"), NOW, use_cache=False)
    for path in public.rglob("*"):
        if path.is_file():
            fresh = (uncached / "public" / path.relative_to(public)).read_bytes()
            assert path.read_bytes() == fresh.replace(b"/uncached/", b"/site/"), path


def test_digests_take_the_default_languages_posts(site: Path) -> None:
    posts = load_site_posts(load_config(site))
    assert sorted(post.url for post in visible_posts(posts, NOW)) == sorted(blog("/ru", *RU))
    assert {post.language for post in posts} == {"ru"}


def test_serve_serves_each_languages_feeds(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BULLETIN_SECRET", "multilang-test-secret-0123456789")
    config = load_config(site)
    build(config, NOW)
    client = TestClient(create_app(config), base_url=URL)
    for path, media_type in {
        "/kk/feed.xml": "application/rss+xml; charset=utf-8",
        "/kk/blog.atom": "application/atom+xml; charset=utf-8",
        "/en/blog.json": "application/feed+json; charset=utf-8",
        "/ru/blog.rss": "application/rss+xml; charset=utf-8",
    }.items():
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["content-type"] == media_type
    assert [e.link for e in feedparser.parse(client.get("/kk/blog.atom").content).entries] == blog("/kk", *KK)
    assert client.get("/fr/feed.xml").status_code == 404


def test_check_counts_posts_per_language(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BULLETIN_SECRET", "multilang-test-secret-0123456789")  # check reports its absence
    result = CliRunner().invoke(main, ["check", "--config", str(site), "--now", NOW.isoformat()])
    assert result.exit_code == 0, result.output
    assert "Read 19 posts (ru 6, kk 7, en 6) in 3 collection pages: 0 errors" in result.output, result.output


def test_a_site_without_languages_reads_language_files_as_before(site: Path) -> None:
    # Without languages.supported the first file of a folder is its page, as before.
    system_yaml(site, "")
    config = load_config(site)
    assert config.content.languages is None
    build(config, NOW)
    assert not (config.feeds.output_dir / "kk").exists()
    assert os.path.exists(config.feeds.output_dir / "feed.xml")

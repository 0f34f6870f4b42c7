"""A Grav user/ tree (tests/sites/blog, the blog skeleton's shapes) read as Grav reads it."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import feedparser
import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from bulletin.cli import main
from bulletin.config import load_config
from bulletin.feeds.build import build
from bulletin.site.reading import read_site
from bulletin.web.app import create_app

from .feed_site import ALMATY, NOW, copy_sample_site

BLOG_SITE = Path(__file__).parent / "sites" / "blog"
URL = "https://clinic.example"
# The blog page's collection at NOW: date descending, its feed.limit of 4; the draft,
# the feed: skip page and the scheduled post are left out.
BLOG_POSTS = ["winter-hours", "donor-day", "new-laboratory", "flu-vaccination"]


@pytest.fixture
def blog_site(tmp_path: Path) -> Path:
    """A copy of the fixture site; returns its config.yaml."""
    shutil.copytree(BLOG_SITE, tmp_path / "site")
    return tmp_path / "site" / "config.yaml"


def urls(feed: feedparser.FeedParserDict) -> list[str]:
    return [entry.link for entry in feed.entries]


def blog_urls(*slugs: str) -> list[str]:
    return [f"{URL}/blog/{slug}" for slug in slugs]


def test_grav_config_fills_what_config_yaml_leaves_out(blog_site: Path) -> None:
    config = load_config(blog_site)
    assert config.content.grav and config.content.pages_dir == blog_site.parent / "user" / "pages"
    assert config.site.title == "Клиника «Здоровье»"
    assert config.site.description == "Заметки врачей и новости клиники"
    assert (config.site.author.name, config.site.author.email) == ("Анна Петрова", "anna@clinic.example")
    assert config.site.timezone == ALMATY and config.site.language == "ru"
    assert config.content.summary_size == 200 and config.content.home == "/blog"
    assert config.feeds.limit == 10 and config.feeds.route_json is True
    assert config.feeds.description == "Новости клиники «Здоровье»"
    sources = dict(config.sources)
    assert sources["site.title"] == "user/config/site.yaml"
    assert sources["site.timezone"] == "user/config/system.yaml"
    assert sources["feeds.limit"] == "user/config/plugins/feed.yaml"
    assert sources["site.url"] == "config.yaml"


def test_a_key_set_in_config_yaml_wins_over_grav(blog_site: Path) -> None:
    text = blog_site.read_text(encoding="utf-8")
    blog_site.write_text(text.replace("site:\n", "site:\n  title: 'Своё название'\n"), encoding="utf-8")
    (blog_site.parent / "user/config/plugins/feed.yaml").unlink()
    config = load_config(blog_site)
    assert config.site.title == "Своё название"
    assert dict(config.sources)["site.title"] == "config.yaml"
    # Without the plugin's file, Grav's own default limit of 10 holds.
    assert config.feeds.limit == 10 and dict(config.sources)["feeds.limit"] == "Grav's default"
    assert config.feeds.route_json is False


def test_feeds_hold_exactly_the_collection_in_grav_order_at_grav_urls(blog_site: Path) -> None:
    config = load_config(blog_site)
    result = build(load_config(blog_site), NOW)
    public = config.feeds.output_dir
    assert result.visible == 5  # summer-camp too: in the collection, beyond the limit of 4
    for name in ("blog.rss", "blog.atom", "feed.xml", "atom.xml"):
        feed = feedparser.parse(public / name)
        assert urls(feed) == blog_urls(*BLOG_POSTS), name
        assert feed.feed.title == "Блог клиники «Здоровье»"
        assert feed.feed.subtitle == "Записки врачей: прививки, анализы, расписание"
        assert feed.feed.link == URL + "/"  # the blog is the home page (home.alias)
    blog_json = json.loads((public / "blog.json").read_text(encoding="utf-8"))
    assert [item["url"] for item in blog_json["items"]] == blog_urls(*BLOG_POSTS)
    assert blog_json["feed_url"] == URL + "/blog.json"
    assert blog_json["items"][3]["date_published"] == "2025-10-10T14:55:00+05:00"
    notices = feedparser.parse(public / "notices.rss")
    # @taxonomy.category: объявления, ordered by title ascending; the draft and the
    # scheduled notice are not visible yet.
    assert urls(notices) == blog_urls("winter-hours", "new-laboratory")
    assert notices.feed.title == "Объявления" and notices.feed.link == URL + "/notices"
    assert not (public / "one-page.rss").exists()  # its collection holds only modular parts
    assert not (public / "about.rss").exists() and not (public / "modules.rss").exists()


def test_the_json_route_feed_only_when_the_plugin_enables_it(blog_site: Path) -> None:
    plugin = blog_site.parent / "user/config/plugins/feed.yaml"
    plugin.write_text(plugin.read_text(encoding="utf-8").replace("true", "false"), encoding="utf-8")
    config = load_config(blog_site)
    build(config, NOW)
    public = config.feeds.output_dir
    assert (public / "blog.rss").exists() and (public / "feed.json").exists()
    assert not (public / "blog.json").exists()


def test_pages_in_no_collection_are_never_errors_and_titles_follow_grav(blog_site: Path) -> None:
    pages = blog_site.parent / "user" / "pages"
    # A bad date on a page no collection takes in stops nothing.
    (pages / "02.about/default.md").write_text("---\ndate: 'когда-нибудь'\n---\nО нас.\n", encoding="utf-8")
    site, problems = read_site(load_config(blog_site))
    assert problems == []
    by_route = {post.route: post for post in site.posts}
    assert sorted(by_route) == sorted(
        f"/blog/{slug}"
        for slug in [*BLOG_POSTS, "summer-camp", "price-draft", "staff-party", "spring-screening"]
    )
    assert by_route["/blog/summer-camp"].title == "Summer-camp"  # ucfirst(slug)
    skipped = dict(site.skipped)
    assert skipped[str(pages / "02.about/default.md")] == "in no collection"
    assert skipped[str(pages / "01.blog/blog.md")] == "a collection page (its feed is its own)"


def test_a_bad_date_on_a_post_is_still_an_error(blog_site: Path) -> None:
    post = blog_site.parent / "user/pages/01.blog/donor-day/item.md"
    post.write_text("---\ntitle: X\ndate: 'когда-нибудь'\n---\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["build", "--config", str(blog_site), "--now", NOW.isoformat()])
    assert result.exit_code == 1
    assert f"{post}: bad date" in result.output and "Traceback" not in result.output


def test_bulletin_serve_serves_route_feeds_with_their_media_types(
    blog_site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BULLETIN_SECRET", "grav-site-test-secret-0123456789")  # not "s" * 32: guessable
    config = load_config(blog_site)
    build(config, NOW)
    client = TestClient(create_app(config), base_url=URL)
    expected = {
        "/blog.rss": "application/rss+xml; charset=utf-8",
        "/blog.atom": "application/atom+xml; charset=utf-8",
        "/blog.json": "application/feed+json; charset=utf-8",
        "/feed.xml": "application/rss+xml; charset=utf-8",
    }
    for path, media_type in expected.items():
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["content-type"] == media_type
    assert urls(feedparser.parse(client.get("/blog.atom").content)) == blog_urls(*BLOG_POSTS)
    assert client.get("/nothing.rss").status_code == 404


def test_check_counts_collections_and_names_sources_with_verbose(
    blog_site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BULLETIN_SECRET", "grav-site-test-secret-0123456789")  # check reports its absence
    now = dt.datetime(2026, 1, 15, 12).isoformat()
    result = CliRunner().invoke(main, ["--verbose", "check", "--config", str(blog_site), "--now", now])
    assert result.exit_code == 0, result.output
    assert "3 collection pages" in result.output and "8 posts" in result.output
    assert "site.title: user/config/site.yaml" in result.output
    assert "02.about/default.md: in no collection" in result.output
    assert "_intro/text.md: a modular part" in result.output
    quiet = CliRunner().invoke(main, ["check", "--config", str(blog_site), "--now", now])
    assert "site.title:" not in quiet.output and "3 collection pages" in quiet.output


def test_the_sample_site_is_a_grav_user_tree(tmp_path: Path) -> None:
    config = load_config(copy_sample_site(tmp_path))
    assert config.content.grav and config.site.title == "Центр гематологии — новости"
    build(config, dt.datetime(2026, 11, 1, tzinfo=ALMATY))
    public = config.feeds.output_dir
    main_feed = feedparser.parse(public / "feed.xml")
    # The home page (/blog) collects its own children and the notes: the main feed is both.
    assert urls(main_feed) == urls(feedparser.parse(public / "blog.rss"))
    notes = {"https://centre.example/notes/parking", "https://centre.example/notes/new-phone-line"}
    assert notes < set(urls(main_feed)) and set(urls(feedparser.parse(public / "notes.atom"))) == notes
    assert not any("/about" in url for url in urls(main_feed))
    rss = (public / "feed.xml").read_bytes()
    # The donor-day image: a media:thumbnail in the item itself, never in a lone media:group.
    assert b"<media:thumbnail" in rss and b"media:group" not in rss

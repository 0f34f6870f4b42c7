"""RSS, Atom and JSON Feed output, read back with feedparser and json as readers do."""

from __future__ import annotations

import calendar
import datetime as dt
import re
import shutil
from pathlib import Path

import pytest
from lxml import etree

from bulletin.files import write_files_atomically

from .feed_site import (
    ALMATY,
    NOW,
    SITE_URL,
    TESTS_CONTENT,
    BuiltSite,
    build_site,
    parse_feed,
    simple_post,
    write_post,
)
from .test_content import VISIBLE_AT_NOW

ATOM = {"a": "http://www.w3.org/2005/Atom"}


def titles(parsed) -> list[str]:  # type: ignore[no-untyped-def]
    return [entry.title for entry in parsed.entries]


def entry(parsed, title_part: str):  # type: ignore[no-untyped-def]
    [found] = [e for e in parsed.entries if title_part in e.title]
    return found


def utc(parsed_time) -> dt.datetime:  # type: ignore[no-untyped-def]
    return dt.datetime.fromtimestamp(calendar.timegm(parsed_time), tz=dt.UTC)


# Channel ------------------------------------------------------------------------------


def test_rss_channel(edge_site: BuiltSite) -> None:
    feed = edge_site.rss.feed
    assert feed.title == "Клиника — новости"
    assert feed.link == SITE_URL + "/"
    assert feed.subtitle == "News of a test clinic"
    assert feed.language == "ru"
    assert feed.generator == "bulletin"
    self_links = [link.href for link in feed.links if link.rel == "self"]
    assert self_links == [SITE_URL + "/feed.xml"]


def test_atom_channel(edge_site: BuiltSite) -> None:
    feed = edge_site.atom.feed
    assert feed.title == "Клиника — новости"
    assert feed.id == SITE_URL + "/"
    assert feed.link == SITE_URL + "/"
    assert feed.subtitle == "News of a test clinic"
    assert feed.language == "ru"
    assert feed.generator == "bulletin"
    assert feed.author_detail.name == "Пресс-служба"
    self_links = [link.href for link in feed.links if link.rel == "self"]
    assert self_links == [SITE_URL + "/atom.xml"]


def test_channel_updated_is_newest_item_not_build_time(edge_site: BuiltSite) -> None:
    newest = dt.datetime(2025, 3, 20, 9, 0, tzinfo=ALMATY)  # taxonomy_tag_and_category
    assert utc(edge_site.rss.feed.updated_parsed) == newest
    assert utc(edge_site.atom.feed.updated_parsed) == newest
    assert b"<updated>2025-03-20T09:00:00+05:00</updated>" in edge_site.read("atom.xml")
    assert b"<lastBuildDate>Thu, 20 Mar 2025 09:00:00 +0500</lastBuildDate>" in edge_site.read("feed.xml")


def test_json_feed_1_1_fields(edge_site: BuiltSite) -> None:
    feed = edge_site.json
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert feed["title"] == "Клиника — новости"
    assert feed["home_page_url"] == SITE_URL + "/"
    assert feed["feed_url"] == SITE_URL + "/feed.json"
    assert feed["description"] == "News of a test clinic"
    assert feed["language"] == "ru"
    assert feed["authors"] == [{"name": "Пресс-служба"}]
    assert len(feed["items"]) == len(VISIBLE_AT_NOW)
    for item in feed["items"]:
        assert {"id", "url", "title", "content_html", "summary", "date_published"} <= set(item)
        assert item["url"].startswith(SITE_URL + "/")
        assert dt.datetime.fromisoformat(item["date_published"]).utcoffset() is not None
    tagged = next(i for i in feed["items"] if i["title"] == "Tags and categories")
    assert tagged["tags"] == ["donors", "news", "гематология"]
    assert tagged["date_published"] == "2025-03-20T09:00:00+05:00"
    authored = next(i for i in feed["items"] if i["title"] == "Пост со своим автором")
    assert authored["authors"] == [{"name": "Айгуль Сейткали"}]
    linked = next(i for i in feed["items"] if i["title"] == "Relative links and images")
    assert linked["image"] == SITE_URL + "/blog/relative-links-and-images/photo.jpg"
    summary = next(i for i in feed["items"] if i["title"] == "Анонс отделён строкой ===")
    assert summary["summary"] == "Это анонс: короткий первый абзац."


def test_feed_urls_follow_feeds_url(tmp_path: Path) -> None:
    site = build_site(tmp_path, TESTS_CONTENT, feeds={"url": "https://feeds.example/news/"})
    assert site.json["feed_url"] == "https://feeds.example/news/feed.json"
    assert [l.href for l in site.rss.feed.links if l.rel == "self"] == [  # noqa: E741
        "https://feeds.example/news/feed.xml"
    ]


# Items --------------------------------------------------------------------------------


def test_all_three_feeds_hold_the_visible_posts_newest_first(edge_site: BuiltSite) -> None:
    rss, atom, json_feed = edge_site.rss, edge_site.atom, edge_site.json
    assert len(rss.entries) == len(VISIBLE_AT_NOW)
    assert titles(rss) == titles(atom) == [item["title"] for item in json_feed["items"]]
    dates = [utc(e.published_parsed) for e in rss.entries]
    assert dates == sorted(dates, reverse=True)
    assert titles(rss)[0] == "Tags and categories"
    assert titles(rss)[-1] == "Day-month-year with dashes"
    for hidden in ("Scheduled", "Черновик", "Unpublished already", "Hidden from", "Not routable",
                   "Skipped by feeds"):  # fmt: skip
        assert not any(hidden in t for t in titles(rss)), hidden


def test_order_is_not_reversed_by_feedgen(tmp_path: Path) -> None:
    # feedgen #55: add_entry() prepends unless told otherwise.
    content = tmp_path / "content"
    for day in range(1, 6):
        write_post(content, f"day{day}.md", simple_post(f"Day {day}", f"0{day}-01-2025 10:00"))
    site = build_site(tmp_path, content)
    expected = [f"Day {day}" for day in range(5, 0, -1)]
    assert titles(site.rss) == titles(site.atom) == expected
    assert [i["title"] for i in site.json["items"]] == expected


def test_item_dates_keep_their_offsets(edge_site: BuiltSite) -> None:
    rss = edge_site.read("feed.xml").decode()
    atom = edge_site.read("atom.xml").decode()
    # 2022 in Almaty is +06, 2024 is +05; an explicit offset stays as written.
    assert "<pubDate>Tue, 12 Apr 2022 10:00:00 +0600</pubDate>" in rss
    assert "<pubDate>Fri, 12 Apr 2024 10:00:00 +0500</pubDate>" in rss
    assert "<pubDate>Tue, 12 Apr 2022 10:20:00 +0300</pubDate>" in rss
    assert "<published>2022-04-12T10:00:00+06:00</published>" in atom
    item = entry(edge_site.rss, "Month/day/year")
    assert utc(item.published_parsed) == dt.datetime(2022, 4, 12, 4, 10, tzinfo=dt.UTC)


def test_links_and_guids_are_permalinks(edge_site: BuiltSite) -> None:
    for parsed in (edge_site.rss, edge_site.atom):
        item = entry(parsed, "Папка в стиле Grav")
        assert item.link == SITE_URL + "/blog/grav-folder-post"
        assert item.id == SITE_URL + "/blog/grav-folder-post"
        slugged = entry(parsed, "Slug in the header")
        assert slugged.link == SITE_URL + "/edge/My-Custom-Slug"
    assert b'<guid isPermaLink="true">' in edge_site.read("feed.xml")


def test_guid_is_stable_when_title_and_text_change(tmp_path: Path) -> None:
    content = tmp_path / "content"
    post = write_post(content, "01.blog/01.post/item.md", simple_post("First title", "01-01-2025"))
    before = build_site(tmp_path, content)
    ids = (before.rss.entries[0].id, before.atom.entries[0].id, before.json["items"][0]["id"])
    post.write_text(simple_post("Другой заголовок", "01-01-2025", "New text."), encoding="utf-8")
    after = build_site(tmp_path, content)
    assert after.rss.entries[0].title == "Другой заголовок"
    assert (after.rss.entries[0].id, after.atom.entries[0].id, after.json["items"][0]["id"]) == ids
    assert ids == (SITE_URL + "/blog/post",) * 3


def test_categories_from_tags_and_categories(edge_site: BuiltSite) -> None:
    for parsed in (edge_site.rss, edge_site.atom):
        item = entry(parsed, "Tags and categories")
        assert [tag.term for tag in item.tags] == ["donors", "news", "гематология"]


def test_author_header_else_site_author(edge_site: BuiltSite) -> None:
    atom = edge_site.atom
    assert entry(atom, "Пост со своим автором").author == "Айгуль Сейткали"
    fallback = entry(atom, "No summary delimiter")
    assert fallback.author_detail.name == "Пресс-служба"
    assert fallback.author_detail.email == "press@clinic.example"
    assert entry(edge_site.rss, "Пост со своим автором").author == "Айгуль Сейткали"
    assert "Пресс-служба" in entry(edge_site.rss, "No summary delimiter").author


def test_summary_only_by_default(edge_site: BuiltSite) -> None:
    for parsed in (edge_site.rss, edge_site.atom):
        item = entry(parsed, "Анонс отделён")
        assert "Это анонс" in item.summary
        assert "А это продолжение" not in item.summary
        assert "content" not in item
    assert b"content:encoded" not in edge_site.read("feed.xml")
    assert b"<content" not in edge_site.read("atom.xml")
    item = next(i for i in edge_site.json["items"] if i["title"] == "Анонс отделён строкой ===")
    assert "А это продолжение" not in item["content_html"]


def test_full_content(edge_site_full: BuiltSite) -> None:
    for parsed in (edge_site_full.rss, edge_site_full.atom):
        item = entry(parsed, "Анонс отделён")
        assert "А это продолжение" not in item.summary
        [content] = item.content
        assert content.type == "text/html"
        assert "Это анонс" in content.value and "А это продолжение" in content.value
    assert b"<content:encoded>" in edge_site_full.read("feed.xml")
    item = next(i for i in edge_site_full.json["items"] if i["title"].startswith("Анонс"))
    assert "А это продолжение" in item["content_html"]
    assert item["summary"] == "Это анонс: короткий первый абзац."


READ_MORE = "Читать далее"


@pytest.mark.parametrize(
    ("title", "has_link"),
    [
        ("Анонс отделён строкой ===", True),  # summary shorter than the post
        ("No summary delimiter", True),  # truncated
        ("Windows line endings", True),
        ("Continue link switched off", False),  # continue_link: false
        ("Короткий пост без разделителя", False),  # the summary is the whole post
        ("A setext heading is not a delimiter", False),
    ],
)
def test_read_more_link(edge_site: BuiltSite, title: str, has_link: bool) -> None:
    for parsed in (edge_site.rss, edge_site.atom):
        item = entry(parsed, title)
        assert (READ_MORE in item.summary) is has_link
        if has_link:
            assert f'<a href="{item.link}">{READ_MORE}' in item.summary


def test_atom_text_constructs_are_html_never_cdata(edge_site_full: BuiltSite) -> None:
    # feedgen #123: type="CDATA" is not an Atom type.
    tree = etree.fromstring(edge_site_full.read("atom.xml"))
    constructs = tree.findall("a:entry/a:summary", ATOM) + tree.findall("a:entry/a:content", ATOM)
    assert len(constructs) == 2 * len(VISIBLE_AT_NOW)
    assert {element.get("type") for element in constructs} == {"html"}
    assert b"CDATA" not in edge_site_full.read("atom.xml")


def test_atom_entry_links_keep_rel_alternate(edge_site: BuiltSite) -> None:
    # feedgen #135 drops the attributes of entry links.
    # An image beside a post adds an enclosure link, which must keep rel="enclosure".
    tree = etree.fromstring(edge_site.read("atom.xml"))
    entries = tree.findall("a:entry", ATOM)
    assert len(entries) == len(VISIBLE_AT_NOW)
    for entry in entries:
        links = entry.findall("a:link", ATOM)
        alternate = [link for link in links if link.get("rel") == "alternate"]
        assert len(alternate) == 1
        assert alternate[0].get("type") == "text/html"
        assert alternate[0].get("href", "").startswith(SITE_URL + "/")
        assert all(link.get("rel") in ("alternate", "enclosure") for link in links)
        for link in links:
            if link.get("rel") == "enclosure":
                assert link.get("type", "").startswith("image/") and int(link.get("length", "0")) > 0


def test_absolute_urls_in_feeds(edge_site_full: BuiltSite) -> None:
    base = SITE_URL + "/blog/relative-links-and-images/"
    for parsed in (edge_site_full.rss, edge_site_full.atom):
        item = entry(parsed, "Relative links and images")
        for html in (item.summary, item.content[0].value):
            assert f'src="{base}photo.jpg"' in html
            assert f'href="{SITE_URL}/clinic/hours"' in html
    # feedparser's sanitizer drops srcset, so it is read from the XML itself.
    srcset = f'srcset="{base}small.jpg 1x, {SITE_URL}/media/large.jpg 2x'.encode()
    assert edge_site_full.read("atom.xml").count(srcset) == 2  # summary and content
    assert edge_site_full.read("feed.xml").count(srcset) == 2  # description, content:encoded
    json_item = next(i for i in edge_site_full.json["items"] if i["title"].startswith("Relative"))
    assert f'src="{base}photo.jpg"' in json_item["content_html"]
    assert not re.search(r'(?:src|href)="(?!https?:|mailto:|#)', json_item["content_html"])


def test_titles_with_markup_are_escaped_not_injected(edge_site: BuiltSite) -> None:
    literal = '<b>Bold</b> & <script>alert(1)</script> "quoted" café'
    for parsed in (edge_site.rss, edge_site.atom):
        assert entry(parsed, "Bold").title == literal
    rss = etree.fromstring(edge_site.read("feed.xml"))
    [title] = [t for t in rss.iter("title") if "Bold" in (t.text or "")]
    assert len(title) == 0 and title.text == literal
    atom = etree.fromstring(edge_site.read("atom.xml"))
    [title] = [t for t in atom.iterfind("a:entry/a:title", ATOM) if "Bold" in (t.text or "")]
    assert len(title) == 0 and title.text == literal
    assert b"<script>" not in edge_site.read("feed.xml") + edge_site.read("atom.xml")
    assert any(i["title"] == literal for i in edge_site.json["items"])


def test_no_xml_invalid_characters(edge_site_full: BuiltSite) -> None:
    invalid = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")
    for name in ("feed.xml", "atom.xml", "feed.json"):
        assert not invalid.search(edge_site_full.read(name)), name
    for parsed in (edge_site_full.rss, edge_site_full.atom):
        item = entry(parsed, "Bell")
        assert item.title == "Bell and escape in a title"
        assert "vertical tab," in item.content[0].value


def test_jinja_braces_stay_literal_in_feeds(edge_site: BuiltSite) -> None:
    item = entry(edge_site.atom, "Braces")
    assert item.title == "Braces {{ like_jinja }} stay literal"
    assert "{{ site.title }} and {% if x %}no{% endif %}" in item.summary


def test_feeds_limit(tmp_path: Path) -> None:
    site = build_site(tmp_path, TESTS_CONTENT, feeds={"limit": 3})
    expected = [
        "Tags and categories",
        "Пост со своим автором",
        "Braces {{ like_jinja }} stay literal",
    ]
    assert titles(site.rss) == titles(site.atom) == expected
    assert [i["title"] for i in site.json["items"]] == expected


def test_now_decides_visibility(tmp_path: Path) -> None:
    later = build_site(tmp_path, TESTS_CONTENT, now=dt.datetime(2026, 6, 1, 9, 0, tzinfo=ALMATY))
    assert titles(later.rss)[0] == "Scheduled for the future"
    assert "Снимется с публикации позже" in titles(later.rss)
    much_later = build_site(tmp_path, TESTS_CONTENT, now=dt.datetime(2027, 1, 1, tzinfo=ALMATY))
    assert "Снимется с публикации позже" not in titles(much_later.rss)


# Stability and writing ----------------------------------------------------------------


def test_rebuild_is_byte_identical(tmp_path: Path) -> None:
    first = build_site(tmp_path, TESTS_CONTENT)
    files = {name: first.read(name) for name in ("feed.xml", "atom.xml", "feed.json")}
    # A day later nothing new is visible: the feeds must not change at all.
    second = build_site(tmp_path, TESTS_CONTENT, now=NOW + dt.timedelta(days=1))
    assert {name: second.read(name) for name in files} == files


def test_empty_content_folder_gives_valid_empty_feeds(tmp_path: Path) -> None:
    content = tmp_path / "content"
    content.mkdir()
    site = build_site(tmp_path, content)
    assert site.rss.entries == [] and site.rss.feed.title == "Клиника — новости"
    assert site.atom.entries == [] and site.atom.feed.title == "Клиника — новости"
    assert site.json["items"] == []
    again = build_site(tmp_path, content, now=NOW + dt.timedelta(days=3))
    assert again.read("atom.xml") == site.read("atom.xml")


def test_feeds_are_well_formed_xml(edge_site_full: BuiltSite) -> None:
    for name in ("feed.xml", "atom.xml"):
        data = edge_site_full.read(name)
        assert data.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
        etree.fromstring(data, parser=etree.XMLParser(recover=False))
        parse_feed(data)


def test_atomic_write_leaves_previous_files_on_failure(tmp_path: Path) -> None:
    out = tmp_path / "public"
    out.mkdir()
    (out / "feed.xml").write_bytes(b"old rss")
    blocker = tmp_path / "blocker"
    blocker.write_bytes(b"a file where a folder should be")
    with pytest.raises(OSError):
        write_files_atomically({out / "feed.xml": b"new rss", blocker / "atom.xml": b"new"})
    assert (out / "feed.xml").read_bytes() == b"old rss"
    assert sorted(p.name for p in out.iterdir()) == ["feed.xml"]  # no temporary file left


def test_atomic_write_replaces_files(tmp_path: Path) -> None:
    out = tmp_path / "public" / "nested"
    write_files_atomically({out / "a.xml": b"one", out / "b.json": b"two"})
    assert (out / "a.xml").read_bytes() == b"one"
    write_files_atomically({out / "a.xml": b"three"})
    assert (out / "a.xml").read_bytes() == b"three"
    assert sorted(p.name for p in out.iterdir()) == ["a.xml", "b.json"]
    shutil.rmtree(out)


def test_fragment_query_and_root_links_resolve_against_the_post(tmp_path: Path) -> None:
    """Readers resolve a bare #section against the feed's URL and ?page=2 against the folder:
    both must already name the post; "/" is the root of a site served under a path (issue 15 item 20)."""
    content = tmp_path / "content"
    body = "См. [раздел](#sat), [страницу 2](?page=2) и ![схема](/img/a.png)."
    write_post(content, "01.blog/hours/item.md", simple_post("Часы работы", "01-03-2025 10:00", body))
    site = build_site(
        tmp_path, content, site={"url": "https://example.org/clinic"}, feeds={"full_content": True}
    )
    post = "https://example.org/clinic/blog/hours"
    expected = [f'href="{post}#sat"', f'href="{post}?page=2"', 'src="https://example.org/clinic/img/a.png"']
    for parsed in (site.rss, site.atom):
        [item] = parsed.entries
        for html in (item.summary, item.content[0].value):
            assert all(part in html for part in expected), html
    [item] = site.json["items"]
    assert all(part in item["content_html"] for part in expected)

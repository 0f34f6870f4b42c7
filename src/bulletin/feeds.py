"""Posts -> RSS 2.0, Atom 1.0 and JSON Feed 1.1 documents (bytes)."""

from __future__ import annotations

import datetime as dt
import json
from html import escape
from collections.abc import Sequence
from dataclasses import dataclass

from feedgen.feed import FeedGenerator
from lxml import etree

from . import __version__
from .config import Config
from .content import Post
from .render import RenderedPost, render_post, text_of, xml_safe

RSS_FILE = "feed.xml"
ATOM_FILE = "atom.xml"
JSON_FILE = "feed.json"
ATOM_NS = "http://www.w3.org/2005/Atom"
GENERATOR_URI = "https://pypi.org/project/bulletin/"
# An empty feed still needs an "updated" date; the build time would make every
# rebuild differ, so it is a fixed point instead.
EMPTY_FEED_UPDATED = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
READ_MORE = {"ru": "Читать далее", "kk": "Толығырақ", "uk": "Читати далі", "de": "Weiterlesen"}


@dataclass(frozen=True)
class FeedItem:
    post: Post
    rendered: RenderedPost

    @property
    def categories(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.post.tags + self.post.categories))


def feed_items(posts: Sequence[Post], config: Config) -> list[FeedItem]:
    """Render the posts that go into the feeds (only these are turned into HTML)."""
    return [
        FeedItem(post, render_post(post, config.site.url, config.content.summary_size))
        for post in posts
    ]


def read_more_text(language: str) -> str:
    return READ_MORE.get(language.split("-")[0].lower(), "Read more")


def summary_with_link(item: FeedItem, language: str) -> str:
    """The summary, plus a "read more" link when the post goes on and the post allows it."""
    html = item.rendered.summary_html
    if item.rendered.has_more and item.post.continue_link:
        html += f'\n<p><a href="{escape(item.post.url)}">{escape(read_more_text(language))} \u2192</a></p>'
    return html


def _author(item: FeedItem, config: Config) -> dict[str, str] | None:
    if item.post.author:
        return {"name": xml_safe(item.post.author)}
    author = config.site.author
    if author.name or author.email:
        return {k: xml_safe(v) for k, v in (("name", author.name), ("email", author.email)) if v}
    return None


def _generator(config: Config, items: Sequence[FeedItem], self_url: str, kind: str) -> FeedGenerator:
    site = config.site
    fg = FeedGenerator()
    fg.load_extension("dc")
    fg.id(site.url + "/")
    fg.title(xml_safe(site.title))
    # feedgen gives RSS the href of the *last* link added, whatever its comment says,
    # so the self link goes first and the site link last.
    fg.link(href=self_url, rel="self", type=kind)
    fg.link(href=site.url + "/", rel="alternate", type="text/html")
    # RSS requires a channel description; the title is the honest fallback.
    fg.description(xml_safe(site.description or site.title))
    fg.subtitle(xml_safe(site.description or site.title))
    fg.language(site.language)
    fg.generator("bulletin", version=__version__, uri=GENERATOR_URI)
    updated = items[0].post.date if items else EMPTY_FEED_UPDATED
    fg.updated(updated)
    fg.lastBuildDate(updated)  # feedgen would otherwise stamp the build time
    if site.author.name or site.author.email:
        fg.author({k: v for k, v in (("name", site.author.name), ("email", site.author.email)) if v})
    for item in items:
        post = item.post
        # feedgen prepends by default, which reverses the order (feedgen #55).
        entry = fg.add_entry(order="append")
        entry.id(post.url)
        entry.guid(post.url, permalink=True)
        entry.title(xml_safe(post.title))
        entry.link(href=post.url, rel="alternate", type="text/html")
        entry.published(post.date)
        entry.updated(post.date)
        for term in item.categories:
            entry.category(term=xml_safe(term))
        author = _author(item, config)
        if author:
            entry.author(author)  # RSS shows it only with an email, hence dc:creator too
            entry.dc.dc_creator(author.get("name") or author["email"])
        # type="html": escaped text. feedgen's type="CDATA" writes an invalid Atom
        # type attribute (feedgen #123), so it is never used.
        entry.summary(summary_with_link(item, site.language), type="html")
        if config.feeds.full_content:
            entry.content(item.rendered.content_html, type="html")
    return fg


def rss_bytes(config: Config, items: Sequence[FeedItem]) -> bytes:
    fg = _generator(config, items, config.feeds.url + "/" + RSS_FILE, "application/rss+xml")
    return bytes(fg.rss_str(pretty=True))


def atom_bytes(config: Config, items: Sequence[FeedItem]) -> bytes:
    fg = _generator(config, items, config.feeds.url + "/" + ATOM_FILE, "application/atom+xml")
    return _restore_entry_link_attributes(bytes(fg.atom_str(pretty=True)))


def _restore_entry_link_attributes(atom: bytes) -> bytes:
    """Put back rel/type on entry links, which feedgen drops (feedgen #135).

    Each entry has exactly one link, the alternate HTML page, so the fix is exact.
    """
    tree = etree.fromstring(atom, parser=etree.XMLParser(resolve_entities=False))
    for link in tree.iterfind("a:entry/a:link", {"a": ATOM_NS}):
        link.set("rel", "alternate")
        link.set("type", "text/html")
    return bytes(etree.tostring(tree, xml_declaration=True, encoding="UTF-8", pretty_print=True))


def json_feed_bytes(config: Config, items: Sequence[FeedItem]) -> bytes:
    """JSON Feed 1.1, written by hand: no maintained generator exists for it."""
    site = config.site
    feed: dict[str, object] = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": site.title,
        "home_page_url": site.url + "/",
        "feed_url": config.feeds.url + "/" + JSON_FILE,
        "language": site.language,
    }
    if site.description:
        feed["description"] = site.description
    if site.author.name:
        feed["authors"] = [{"name": site.author.name}]
    entries = []
    for item in items:
        post = item.post
        entry: dict[str, object] = {
            "id": post.url,
            "url": post.url,
            "title": post.title,
            "content_html": (
                item.rendered.content_html
                if config.feeds.full_content
                else summary_with_link(item, site.language)
            ),
            "summary": " ".join(text_of(item.rendered.summary_html).split()),
            "date_published": post.date.isoformat(),
        }
        if post.author:
            entry["authors"] = [{"name": post.author}]
        if item.categories:
            entry["tags"] = list(item.categories)
        if item.rendered.image:
            entry["image"] = item.rendered.image
        entries.append(entry)
    feed["items"] = entries
    return (json.dumps(feed, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def feed_documents(config: Config, items: Sequence[FeedItem]) -> dict[str, bytes]:
    """File name -> bytes for the three feeds."""
    return {
        RSS_FILE: rss_bytes(config, items),
        ATOM_FILE: atom_bytes(config, items),
        JSON_FILE: json_feed_bytes(config, items),
    }

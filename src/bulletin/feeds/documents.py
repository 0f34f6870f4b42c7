"""Posts -> RSS 2.0, Atom 1.0 and JSON Feed 1.1 documents (bytes)."""

from __future__ import annotations

import datetime as dt
import functools
import json
import mimetypes
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path

from feedgen.feed import FeedGenerator
from lxml import etree

from .. import __version__
from ..config import Config
from ..i18n import texts
from ..site.content_files import ReadLimits
from ..site.images import file_beside_post, is_missing_file
from ..site.posts import Post, with_body, xml_safe
from ..site.render import RenderedPost, render_post, text_of
from .feed_style import with_stylesheet
from .paths import ATOM_FILE, JSON_FILE, RSS_FILE

ATOM_NS = "http://www.w3.org/2005/Atom"
GENERATOR_URI = "https://pypi.org/project/bulletin/"
# An empty feed still needs an "updated" date; the build time would make every
# rebuild differ, so it is a fixed point instead.
EMPTY_FEED_UPDATED = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
HISTORY_NS = "http://purl.org/syndication/history/1.0"  # RFC 5005
DC_NS = "http://purl.org/dc/elements/1.1/"
MEDIA_NS = "http://search.yahoo.com/mrss/"
# feedgen's own output is parsed again to add links. huge_tree: a post of more than
# 10 MB is one text node over libxml2's default limit; entities are never resolved.
_REPARSE = etree.XMLParser(resolve_entities=False, huge_tree=True)


@dataclass(frozen=True)
class FeedSpec:
    """One feed (in three formats): its title, where its files live, its extra links.

    Paths are relative to feeds.output_dir (and to feeds.url for the public URLs).
    ``links`` maps a format ("rss", "atom", "json") to (rel, path) pairs such as the
    RFC 5005 archive links; hubs are added to every format from config.
    """

    title: str
    description: str
    home_url: str
    rss_path: str = RSS_FILE
    atom_path: str = ATOM_FILE
    json_path: str = JSON_FILE
    links: tuple[tuple[str, str, str], ...] = ()  # (format, rel, path)
    is_archive: bool = False  # an RFC 5005 archive document: carries <fh:archive/>
    # Atom's feed <id> (RFC 4287 4.2.6): permanent and the feed's own; the home URL when
    # empty. RFC 5005 archive pages carry the id of the feed they are the history of.
    feed_id: str = ""
    # "updated" of a feed without entries. An empty archive page gives a real post's date:
    # validators call 1970 implausible.
    updated_if_empty: dt.datetime = EMPTY_FEED_UPDATED

    def links_for(self, kind: str) -> list[tuple[str, str]]:
        return [(rel, path) for fmt, rel, path in self.links if fmt == kind]


@dataclass(frozen=True)
class FeedItem:
    post: Post
    rendered: RenderedPost

    @property
    def categories(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.post.tags + self.post.categories))

    @functools.cached_property
    def image(self) -> str | None:
        """The post's image, unless it names a file beside the post that is not there.

        Asked here, not in the cached rendering, as the file may appear before the next build.
        """
        image = self.rendered.image
        return None if is_missing_file(self.post, image) else image


def feed_items(posts: Sequence[Post], config: Config) -> list[FeedItem]:
    """Render the posts that go into the feeds (only these are turned into HTML)."""
    items = []
    for post in posts:
        post = with_body(post, ReadLimits.of(config.content))
        rendered = render_post(post, config.site.url, config.content.summary_size, config.content.markdown)
        items.append(FeedItem(post, rendered))
    return items


def summary_with_link(item: FeedItem, language: str) -> str:
    """The summary, plus a "read more" link when the post goes on and the post allows it."""
    html = item.rendered.summary_html
    if item.rendered.has_more and item.post.continue_link:
        label = texts(language)["read_more"]
        html += f'\n<p><a href="{escape(item.post.url)}">{escape(label)} \u2192</a></p>'
    return html


def _author(item: FeedItem, config: Config) -> dict[str, str] | None:
    if item.post.author:
        return {"name": xml_safe(item.post.author)}
    author = config.site.author
    if author.name or author.email:
        return {k: xml_safe(v) for k, v in (("name", author.name), ("email", author.email)) if v}
    return None


def public_url(config: Config, path: str) -> str:
    return config.feeds.url + "/" + path


def enclosure_file(item: FeedItem) -> Path | None:
    """The file beside the post that the post's image names, there or not (a build depends on it)."""
    return file_beside_post(item.post, item.rendered.image)


def _enclosure(item: FeedItem) -> tuple[str, int, str] | None:
    """(url, length, type) of the post's image when the file lies beside the post."""
    path = enclosure_file(item)
    if path is None:
        return None
    image = item.image
    if image is None:
        return None
    try:
        length = path.stat().st_size
    except OSError:
        return None
    kind = mimetypes.guess_type(path.name)[0]
    return (image, length, kind) if kind else None


def _generator(
    config: Config, spec: FeedSpec, items: Sequence[FeedItem], self_path: str, kind: str
) -> FeedGenerator:
    site = config.site
    fg = FeedGenerator()
    fg.load_extension("dc")
    fg.load_extension("media")
    fg.id(spec.feed_id or spec.home_url)
    fg.title(xml_safe(spec.title))
    # feedgen gives RSS the href of the *last* link added, whatever its comment says,
    # so the self link goes first and the site link last.
    fg.link(href=public_url(config, self_path), rel="self", type=kind)
    fg.link(href=spec.home_url, rel="alternate", type="text/html")
    # RSS requires a channel description; the title is the honest fallback.
    fg.description(xml_safe(spec.description or spec.title))
    fg.subtitle(xml_safe(spec.description or spec.title))
    fg.language(site.language)
    fg.generator("bulletin", version=__version__, uri=GENERATOR_URI)
    if site.icon:
        fg.icon(site.icon)
    if site.logo or site.icon:
        fg.logo(site.logo or site.icon)
        fg.image(url=site.logo or site.icon, title=xml_safe(spec.title), link=spec.home_url)
    updated = max((item.post.date for item in items), default=spec.updated_if_empty)
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
            entry.author(author)
            if "email" not in author:
                # RSS's <author> must be an email address, so feedgen leaves it out without
                # one; dc:creator carries the name instead (never both: validators warn).
                entry.dc.dc_creator(author["name"])
        # type="html": escaped text. feedgen's type="CDATA" writes an invalid Atom
        # type attribute (feedgen #123), so it is never used.
        entry.summary(summary_with_link(item, site.language), type="html")
        if config.feeds.full_content:
            entry.content(item.rendered.content_html, type="html")
        if item.image:
            entry.media.thumbnail({"url": item.image})
        enclosure = _enclosure(item)
        if enclosure:
            entry.enclosure(enclosure[0], str(enclosure[1]), enclosure[2])
    return fg


def _extra_links(config: Config, spec: FeedSpec, kind: str) -> list[tuple[str, str]]:
    """(rel, absolute URL) pairs beyond self/alternate: WebSub hubs and archive links."""
    links = [("hub", hub) for hub in config.feeds.websub_hubs]
    links += [(rel, public_url(config, path)) for rel, path in spec.links_for(kind)]
    return links


def rss_bytes(config: Config, spec: FeedSpec, items: Sequence[FeedItem]) -> bytes:
    fg = _generator(config, spec, items, spec.rss_path, "application/rss+xml")
    rss = bytes(fg.rss_str(pretty=True))
    extra = _extra_links(config, spec, "rss")
    has_images = any(item.image for item in items)
    has_translations = any(item.post.translations for item in items)
    if not extra and not spec.is_archive and not has_images and not has_translations:
        return rss
    # feedgen writes only the self atom:link in RSS; hub and archive links are added here.
    tree = etree.fromstring(rss, parser=_REPARSE)
    _unwrap_media_groups(tree)
    channel = tree.find("channel")
    assert channel is not None
    for element, item in zip(channel.iterfind("item"), items, strict=True):
        # RSS has no link per language; Atom's link with hreflang is what readers know. They go
        # before <link>: readers that take the first atom:link find the post's own first, and
        # those that take the last alternate (feedparser) end on <link>.
        if item.post.translations:
            link = element.find("link")
            position = list(element).index(link) if link is not None else len(element)
            for offset, attributes in enumerate(_translation_links(item)[:-1]):
                element.insert(position + offset, etree.Element(f"{{{ATOM_NS}}}link", attributes))
    anchor = channel.find(f"{{{ATOM_NS}}}link")
    position = list(channel).index(anchor) + 1 if anchor is not None else 0
    for offset, (rel, href) in enumerate(extra):
        link = etree.Element(f"{{{ATOM_NS}}}link", href=href, rel=rel)
        channel.insert(position + offset, link)
    if spec.is_archive:
        channel.insert(
            position + len(extra), etree.Element(f"{{{HISTORY_NS}}}archive", nsmap={"fh": HISTORY_NS})
        )
    return _serialize(tree)


def atom_bytes(config: Config, spec: FeedSpec, items: Sequence[FeedItem]) -> bytes:
    fg = _generator(config, spec, items, spec.atom_path, "application/atom+xml")
    tree = etree.fromstring(bytes(fg.atom_str(pretty=True)), parser=_REPARSE)
    _unwrap_media_groups(tree)
    # feedgen drops rel, type and length on entry links (feedgen #135), which would
    # turn an enclosure into a second alternate link. The entries are in the order
    # of ``items``, so each entry's links are written again from the item itself.
    for entry, item in zip(tree.iterfind(f"{{{ATOM_NS}}}entry"), items, strict=True):
        # feedgen's dc:creator (meant for RSS) would name the author a second time
        # beside atom:author: one author element per entry.
        for creator in entry.findall(f"{{{DC_NS}}}creator"):
            entry.remove(creator)
        old_links = entry.findall(f"{{{ATOM_NS}}}link")
        position = list(entry).index(old_links[0]) if old_links else len(entry)
        for link in old_links:
            entry.remove(link)
        links = _translation_links(item) or [{"href": item.post.url, "rel": "alternate", "type": "text/html"}]
        enclosure = _enclosure(item)
        if enclosure:
            links.append(
                {"href": enclosure[0], "rel": "enclosure", "type": enclosure[2], "length": str(enclosure[1])}
            )
        for offset, attributes in enumerate(links):
            entry.insert(position + offset, etree.Element(f"{{{ATOM_NS}}}link", attributes))
    anchor = tree.find(f"{{{ATOM_NS}}}link")
    position = list(tree).index(anchor) + 1 if anchor is not None else 0
    extra = _extra_links(config, spec, "atom")
    for offset, (rel, href) in enumerate(extra):
        tree.insert(position + offset, etree.Element(f"{{{ATOM_NS}}}link", href=href, rel=rel))
    if spec.is_archive:
        tree.insert(
            position + len(extra), etree.Element(f"{{{HISTORY_NS}}}archive", nsmap={"fh": HISTORY_NS})
        )
    return _serialize(tree)


def _translation_links(item: FeedItem) -> list[dict[str, str]]:
    """The alternate links of a post with translations (none without): its own, each
    translation with its language (hreflang), and its own again with its language.

    Readers disagree on which alternate link is the post's: SimplePie and Miniflux take
    the first, feedparser the last. So the post's own link is both; the two differ in
    hreflang, as Atom requires of alternate links of one type.
    """
    post = item.post
    if not post.translations:
        return []
    html = {"rel": "alternate", "type": "text/html"}
    own = {"href": post.url, **html}
    others = [{"href": url, **html, "hreflang": language} for language, url in post.translations]
    return [own, *others, {**own, "hreflang": post.language or ""}]


def _unwrap_media_groups(tree: etree._Element) -> None:
    """Move a lone media:thumbnail out of the media:group feedgen wraps it in.

    Media RSS means a group for alternatives of one media object; a group without
    several media:content children is an error to feed validators, while a
    thumbnail directly in the item is what readers look for.
    """
    for group in list(tree.iter(f"{{{MEDIA_NS}}}group")):
        if len(group.findall(f"{{{MEDIA_NS}}}content")) > 1:
            continue
        parent = group.getparent()
        assert parent is not None
        position = parent.index(group)
        for offset, child in enumerate(list(group)):
            parent.insert(position + offset, child)
        parent.remove(group)


def _serialize(tree: etree._Element) -> bytes:
    etree.indent(tree, space="  ")
    return bytes(etree.tostring(tree, xml_declaration=True, encoding="UTF-8", pretty_print=True))


def json_feed_bytes(config: Config, spec: FeedSpec, items: Sequence[FeedItem]) -> bytes:
    """JSON Feed 1.1, written by hand: no maintained generator exists for it."""
    site = config.site
    feed: dict[str, object] = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": spec.title,
        "home_page_url": spec.home_url,
        "feed_url": public_url(config, spec.json_path),
        "language": site.language,
    }
    if spec.description:
        feed["description"] = spec.description
    if site.icon or site.logo:
        feed["icon"] = site.logo or site.icon
    if site.icon:
        feed["favicon"] = site.icon
    if site.author.name:
        feed["authors"] = [{"name": site.author.name}]
    if config.feeds.websub_hubs:
        feed["hubs"] = [{"type": "WebSub", "url": hub} for hub in config.feeds.websub_hubs]
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
        if item.image:
            entry["image"] = item.image
        enclosure = _enclosure(item)
        if enclosure:
            entry["attachments"] = [
                {"url": enclosure[0], "mime_type": enclosure[2], "size_in_bytes": enclosure[1]}
            ]
        entries.append(entry)
    feed["items"] = entries
    return (json.dumps(feed, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def main_spec(config: Config) -> FeedSpec:
    site, feeds = config.site, config.feeds
    return FeedSpec(feeds.title or site.title, feeds.description or site.description, site.home_url)


def feed_documents(
    config: Config, items: Sequence[FeedItem], spec: FeedSpec | None = None
) -> dict[str, bytes]:
    """Path (relative to feeds.output_dir) -> bytes for the three formats of one feed."""
    spec = spec or main_spec(config)
    return {
        spec.rss_path: with_stylesheet(rss_bytes(config, spec, items), spec.rss_path),
        spec.atom_path: with_stylesheet(atom_bytes(config, spec, items), spec.atom_path),
        spec.json_path: json_feed_bytes(config, spec, items),
    }

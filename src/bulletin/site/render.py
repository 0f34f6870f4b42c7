"""Markdown -> HTML for feeds and mail: summaries, absolute URLs, plain text."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import lxml.html
from lxml import etree

from ..config.model import MarkdownSettings
from ..errors import ContentError
from .markdown import GRAV_DEFAULTS, markdown_to_html
from .markdown_cost import MarkdownTooCostly
from .posts import Post, xml_safe

ELLIPSIS = "\u2026"
_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})(.*)")
_LINK_ATTRIBUTES = ("href", "src")


@dataclass(frozen=True)
class RenderedPost:
    summary_html: str
    content_html: str
    has_more: bool  # the summary is shorter than the post: worth a "read more" link
    image: str | None  # absolute URL of the header image, else the first image


def split_summary(body: str) -> tuple[str | None, str]:
    """Split at the first paragraph that is only ``===`` (Grav's summary delimiter).

    Returns (summary Markdown or None, whole Markdown without the delimiter). The line
    must stand alone between blank lines: under a line of text ``===`` is a heading.
    Fenced code is skipped so a code sample cannot end the summary. As in Parsedown 1.7
    (Grav's), only a run of three or more of the opening character with nothing but
    spaces after it closes a fence: ``~~~`` inside a ```` ``` ```` block is code.
    """
    lines = body.split("\n")
    fence: str | None = None  # the run that opened the fence we are in
    for index, line in enumerate(lines):
        if match := _FENCE.match(line):
            run, rest = match.groups()
            if fence is None:
                fence = run
                continue
            if run[0] == fence[0] and not rest.strip(" "):
                fence = None
                continue
        if fence or line.strip() != "===":
            continue
        before_blank = index == 0 or not lines[index - 1].strip()
        after_blank = index == len(lines) - 1 or not lines[index + 1].strip()
        if before_blank and after_blank:
            summary = "\n".join(lines[:index])
            rest = "\n".join(lines[index + 1 :])
            return summary, summary + "\n\n" + rest
    return None, body


@functools.lru_cache(maxsize=4096)
def render_post(
    post: Post, site_url: str, summary_size: int, markdown: MarkdownSettings = GRAV_DEFAULTS
) -> RenderedPost:
    """Render one post; cached because feeds and digests may ask for the same post."""
    try:
        return _render(post, site_url, summary_size, markdown)
    except RecursionError:
        # Python-Markdown parses nested lists and quotes recursively: a few hundred
        # levels exhaust the stack. No reader needs that; the author gets one line.
        raise ContentError(f"{post.source}: nested too deeply to render (lists, quotes or HTML)") from None
    except MarkdownTooCostly as exc:
        raise ContentError(f"{post.source}: {exc.reason}") from None


def _render(post: Post, site_url: str, summary_size: int, markdown: MarkdownSettings) -> RenderedPost:
    summary_md, whole_md = split_summary(post.body)
    content = make_links_absolute(markdown_to_html(whole_md, markdown), post.folder_url, site_url, post.url)
    if summary_md is not None:
        summary = make_links_absolute(
            markdown_to_html(summary_md, markdown), post.folder_url, site_url, post.url
        )
        has_more = bool(text_of(content).strip() != text_of(summary).strip())
    else:
        summary, has_more = truncate_html(content, summary_size)
    if post.image:
        image: str | None = absolute_url(post.image, post.folder_url, site_url, post.url)
    else:
        image = _first_image(content)
    return RenderedPost(summary, content, has_more, image)


def absolute_url(url: str, page_base: str, site_url: str, permalink: str) -> str:
    """Root-relative against the site URL, page-relative against the post's folder.

    A fragment or query alone (``#section``, ``?page=2``) belongs to the post itself:
    left as it is, a reader resolves it against the feed's URL or the folder.
    """
    url = url.strip()
    if not url:
        return url
    if url.startswith(("#", "?")):
        return urljoin(permalink, url)
    parts = urlsplit(url)
    if parts.scheme or url.startswith("//"):
        return url
    if url.startswith("/"):
        # Not urljoin: a site.url with a path (https://example.org/clinic) keeps it.
        return site_url.rstrip("/") + url
    return urljoin(page_base, url)


def _fragment(html: str) -> etree._Element:
    return lxml.html.fragment_fromstring(xml_safe(html) or "", create_parent="div")


def _serialize(root: etree._Element) -> str:
    for item in root.iter("li"):
        if item.text is None and len(item) == 0:
            # libxml2 leaves out the end tag of an empty <li>; an empty text node keeps it.
            item.text = ""
    html = str(lxml.html.tostring(root, encoding="unicode"))
    # Drop the wrapper <div> added by fragment_fromstring.
    return html[len("<div>") : -len("</div>")]


def make_links_absolute(html: str, page_base: str, site_url: str, permalink: str) -> str:
    if not html.strip():
        return ""
    root = _fragment(html)
    for element in root.iter(etree.Element):
        for attribute in _LINK_ATTRIBUTES:
            value = element.get(attribute)
            if value is not None:
                element.set(attribute, absolute_url(value, page_base, site_url, permalink))
        srcset = element.get("srcset")
        if srcset is not None:
            element.set("srcset", _absolute_srcset(srcset, page_base, site_url, permalink))
    return _serialize(root)


def _absolute_srcset(srcset: str, page_base: str, site_url: str, permalink: str) -> str:
    candidates = []
    for candidate in srcset.split(","):
        pieces = candidate.strip().split(None, 1)
        if pieces:
            pieces[0] = absolute_url(pieces[0], page_base, site_url, permalink)
            candidates.append(" ".join(pieces))
    return ", ".join(candidates)


def _first_image(html: str) -> str | None:
    if "<img" not in html:
        return None
    for image in _fragment(html).iter("img"):
        if src := image.get("src"):
            return str(src)
    return None


def text_of(html: str) -> str:
    if not html.strip():
        return ""
    return str(_fragment(html).text_content())


_VOID_ELEMENTS = {"area", "br", "col", "embed", "hr", "img", "input", "source", "track", "wbr"}
_WORD_OR_SPACE = re.compile(r"\s+|\S+")
_TRAILING = " ,;:-\u2013\u2014"


class _Truncator:
    """Keeps the first ``budget`` characters of text in a tree, dropping the rest.

    Working on the parsed tree (not the string) is what guarantees that no tag or
    entity is cut in half: serialising the pruned tree closes every open element.
    Text is counted as a reader sees it: a run of whitespace is one space, wherever
    it falls between elements, so the count spans text nodes rather than restarting
    in each one, and a cut at a node boundary still falls between whole words.
    """

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.used = 0
        self.pending_space = False  # whitespace seen since the last kept word
        self.done = False
        # Where the last kept word sits, to carry the ellipsis when the cut falls
        # at the very start of a later text node.
        self.last: tuple[etree._Element, str] | None = None

    def cut(self, text: str | None, owner: etree._Element, attribute: str) -> str | None:
        """Return the part of ``text`` that fits; sets ``done`` when the budget ran out."""
        if self.done or text is None:
            return None
        kept_end = 0
        for match in _WORD_OR_SPACE.finditer(text):
            token = match.group()
            if token.isspace():
                self.pending_space = self.used > 0
                continue
            cost = len(token) + (1 if self.pending_space else 0)
            if self.used + cost <= self.budget:
                self.used += cost
                self.pending_space = False
                kept_end = match.end()
                self.last = (owner, attribute)
                continue
            self.done = True
            if self.used == 0:
                # A single word longer than the whole budget: cutting it is all there is.
                return text[: match.start()] + token[: self.budget] + ELLIPSIS
            if kept_end:
                return text[:kept_end].rstrip(_TRAILING) + ELLIPSIS
            # Nothing of this node fits: the ellipsis goes after the last word kept.
            self._end_last_text()
            return None
        return text

    def _end_last_text(self) -> None:
        assert self.last is not None
        owner, attribute = self.last
        value = getattr(owner, attribute) or ""
        setattr(owner, attribute, value.rstrip().rstrip(_TRAILING) + ELLIPSIS)

    def prune(self, element: etree._Element) -> None:
        element.text = self.cut(element.text, element, "text")
        for child in list(element):
            if self.done:
                element.remove(child)
                continue
            if isinstance(child.tag, str):
                self.prune(child)
            if self.done:
                child.tail = None
                if _is_empty(child):
                    # The cut fell at the start of this element: drop the empty shell.
                    element.remove(child)
            else:
                child.tail = self.cut(child.tail, child, "tail")


def _is_empty(element: etree._Element) -> bool:
    return (
        isinstance(element.tag, str)
        and element.tag not in _VOID_ELEMENTS
        and len(element) == 0
        and not (element.text or "").strip()
    )


def truncate_html(html: str, size: int) -> tuple[str, bool]:
    """The first ``size`` characters of text as well-formed HTML, and whether it was cut."""
    if not html.strip():
        return "", False
    root = _fragment(html)
    truncator = _Truncator(size)
    truncator.prune(root)
    # Serialised even when nothing was cut: raw HTML in Markdown can be unbalanced,
    # and the tree is what closes it.
    return _serialize(root).rstrip() if truncator.done else _serialize(root), truncator.done


_BLOCKS = {
    "p",
    "div",
    "ul",
    "ol",
    "table",
    "blockquote",
    "pre",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "figure",
    "dl",
    "section",
    "article",
    "header",
    "footer",
}


def html_to_text(html: str) -> str:
    """A readable plain-text version of post HTML for the text part of an email.

    Paragraphs stay paragraphs, list items get a dash, links keep their address in
    brackets and images their alt text, so the text part reads as written rather
    than as stripped markup.
    """
    if not html.strip():
        return ""
    out: list[str] = []

    def walk(element: etree._Element) -> None:
        tag = element.tag if isinstance(element.tag, str) else ""
        if tag in _BLOCKS:
            out.append("\n\n")
        if tag == "li":
            out.append("\n- ")
        elif tag == "br":
            out.append("\n")
        elif tag == "img":
            alt = (element.get("alt") or "").strip()
            if alt:
                out.append(f"[{alt}]")
        elif tag in ("td", "th"):
            out.append(" | ")
        elif tag == "tr":
            out.append("\n")
        if element.text and tag not in ("script", "style"):
            # Line breaks in the source are just spaces to HTML; only <pre> keeps them.
            out.append(element.text if tag == "pre" else element.text.replace("\n", " "))
        for child in element:
            walk(child)
            if child.tail:
                out.append(child.tail.replace("\n", " "))
        if tag == "a":
            href = element.get("href") or ""
            label = element.text_content().strip()
            if href and not href.startswith("#") and href != label:
                out.append(f" ({href})")
        if tag in _BLOCKS:
            out.append("\n\n")

    walk(_fragment(html))
    text = "".join(out)
    paragraphs = []
    for block in re.split(r"\n\s*\n", text):
        lines = [" ".join(line.split()) for line in block.split("\n")]
        cleaned = "\n".join(line for line in lines if line)
        if cleaned:
            paragraphs.append(cleaned)
    return "\n\n".join(paragraphs)

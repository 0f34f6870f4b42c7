"""Markdown -> HTML as Grav renders it (Parsedown, or Parsedown Extra), with Python-Markdown.

Grav's system.yaml `pages.markdown` picks the dialect: GitHub-flavoured Parsedown by default,
Markdown Extra with `extra: true`. Python-Markdown is set up below to give the same HTML on
what posts use; tests/oracle/test_markdown_php.py compares the two on generated documents.

Known differences, kept because closing them means writing a Markdown parser of our own:
- A list nested by fewer than four spaces is a nested list to Parsedown; Python-Markdown
  reads it as text of the outer item (four spaces nest in both).
- A code block ends with a newline before `</code>` here, not in Parsedown (invisible), and
  keeps two blank lines in a row where Parsedown keeps one.
- A raw `<img>` (or any tag Parsedown does not call text-level) directly followed by text on
  the next line: Parsedown ends the HTML block after the tag, here both stay one paragraph.
- An item of a list whose text is a second paragraph, followed directly by the next item,
  and an item right under a loose nested list: Python-Markdown joins them to the paragraph
  or the nested list; Parsedown starts a new item of the outer list.
- `1. x` right under a `- item` (or the reverse), without a blank line, is a nested list to
  Parsedown and text of the item here.
- Parsedown opens `_emphasis_` inside a word (snake_case ... `_x_` later in the paragraph),
  drops an escaped `#` that ends a heading (`## a \\#`), and reads `* * *` right under a
  list as one more item.
- A line that starts with `{` and holds a Twig tag (`{{ x }}`) is a raw block to Grav; here it
  is a paragraph. Bulletin does not run Twig, so the braces show either way.
- With auto_url_links, `www.example.org` without a scheme is linked here, not by Parsedown.
- With extra: footnotes are marked up the Python-Markdown way (`class="footnote"`, back
  links with a title), and `{: .class}` under a paragraph sets its class, where Parsedown
  Extra leaves the text; headings, links and fenced code take attributes in both.
"""

from __future__ import annotations

import xml.etree.ElementTree as etree
from typing import Any

from markdown import Extension, Markdown
from markdown.postprocessors import RawHtmlPostprocessor
from markdown.treeprocessors import Treeprocessor

from ..config.model import MarkdownSettings
from .markdown_cost import check_markdown_cost
from .posts import xml_safe

GRAV_DEFAULTS = MarkdownSettings()


class _GravInline(Extension):
    """Parsedown's inline rules where Python-Markdown's extensions go further.

    Registered last, so it can take out what an extension added: Parsedown links bare
    http(s) URLs but not e-mail addresses, and escape_markup turns every tag into text.
    """

    def __init__(self, settings: MarkdownSettings) -> None:
        super().__init__()
        self.settings = settings

    def extendMarkdown(self, md: Markdown) -> None:  # noqa: N802 (Python-Markdown's name)
        # After the inline patterns (priority 20), before prettify adds whitespace (10).
        md.treeprocessors.register(_LooseLists(md), "parsedown-loose-lists", 15)
        md.postprocessors.register(_ParsedownRawHtml(md), "raw_html", 30)
        if "magic-mail" in md.inlinePatterns:
            md.inlinePatterns.deregister("magic-mail")
        if self.settings.escape_markup:
            # Parsedown's setMarkupEscaped: raw HTML blocks, inline tags and comments are
            # text; <http://...> autolinks still work.
            md.preprocessors.deregister("html_block")
            md.inlinePatterns.deregister("html")


# Parsedown's textLevelElements: a line starting with any other tag is a raw HTML block.
_TEXT_LEVEL = frozenset(
    "a br bdo abbr blink nextid acronym basefont b em big cite small spacer listing i rp del code strike "
    "marquee q rt ins font strong s tt kbd mark u xm sub nobr sup ruby var span wbr time".split()
)


class _ParsedownRawHtml(RawHtmlPostprocessor):
    """A paragraph that is one raw tag, such as `<img ...>` alone on its line, is a bare
    HTML block in Parsedown unless the tag is text-level; Python-Markdown wraps it in <p>.

    Deciding here, after parsing, keeps Python-Markdown's block parser from treating
    <img> as a block that runs until a closing tag that never comes.
    """

    def isblocklevel(self, html: str) -> bool:
        match = self.BLOCK_LEVEL_REGEX.match(html)
        if match and match.group(1).isalnum() and match.group(1).lower() not in _TEXT_LEVEL:
            return True
        return super().isblocklevel(html)


class _LooseLists(Treeprocessor):
    """A list with a blank line between any two items is loose throughout, as in Parsedown.

    Python-Markdown wraps only the items next to the blank line in <p>; Parsedown wraps
    every item of that list, which changes the spacing readers see.
    """

    def run(self, root: etree.Element) -> None:
        for element in root.iter():
            if element.tag not in ("ul", "ol"):
                continue
            items = [item for item in element if item.tag == "li"]
            # One item in paragraphs is a blank line inside that item, which Parsedown too
            # marks on that item alone; two or more is a blank line between items.
            if sum(_starts_with_paragraph(item) for item in items) >= 2:
                for item in items:
                    _wrap_leading_inline(item)


def _starts_with_paragraph(item: etree.Element) -> bool:
    return len(item) > 0 and item[0].tag == "p" and not (item.text or "").strip()


def _wrap_leading_inline(item: etree.Element) -> None:
    """Put an item's text and inline children before its first block into a <p>."""
    if _starts_with_paragraph(item):
        return
    paragraph = etree.Element("p")
    paragraph.text, item.text = item.text, None
    while len(item) and not _is_block(item[0].tag):
        child = item[0]
        item.remove(child)
        paragraph.append(child)
    if (paragraph.text or "").strip() or len(paragraph):
        item.insert(0, paragraph)
    else:
        item.text = paragraph.text


def _is_block(tag: object) -> bool:
    # A comment's tag is a function, not a name: it is no block.
    if not isinstance(tag, str):
        return False
    return tag in ("p", "ul", "ol", "pre", "blockquote", "table", "div", "hr", "dl") or tag[:1] == "h"


def _extensions(settings: MarkdownSettings) -> list[Any]:
    """The extensions as instances, not names: a name makes Python-Markdown look through every
    installed package's entry points first (20 ms, a tenth of a 1,000-post build)."""
    from markdown.extensions.sane_lists import SaneListExtension
    from pymdownx.tilde import DeleteSubExtension

    extensions: list[Any]
    if settings.extra:
        extensions = ["extra"]  # it names its own parts; only sites with extra: true pay the look-up
    else:
        from markdown.extensions.fenced_code import FencedCodeExtension
        from markdown.extensions.tables import TableExtension

        extensions = [FencedCodeExtension(), TableExtension()]
    # An ordered list keeps the number it starts at (<ol start="3">), as in Parsedown.
    extensions.append(SaneListExtension())
    # ~~strike~~ as Parsedown has it; a single ~ is no subscript there.
    extensions.append(DeleteSubExtension(subscript=False))
    if settings.auto_line_breaks:
        from markdown.extensions.nl2br import Nl2BrExtension

        extensions.append(Nl2BrExtension())
    if settings.auto_url_links:
        from pymdownx.magiclink import MagiclinkExtension

        extensions.append(MagiclinkExtension())
    extensions.append(_GravInline(settings))
    return extensions


def _new_markdown(settings: MarkdownSettings) -> Markdown:
    return Markdown(extensions=_extensions(settings), output_format="html")


_INSTANCES: dict[MarkdownSettings, Markdown] = {}


def markdown_to_html(text: str, settings: MarkdownSettings = GRAV_DEFAULTS) -> str:
    """One post body as HTML; one Markdown instance per settings, reset between posts.

    MarkdownTooCostly (before any work) for a text Python-Markdown would take super-linear
    time on (see markdown_cost).
    """
    text = xml_safe(text)
    check_markdown_cost(text, hard_line_breaks=settings.auto_line_breaks)
    markdown = _INSTANCES.get(settings)
    if markdown is None:
        markdown = _INSTANCES[settings] = _new_markdown(settings)
    markdown.reset()
    try:
        return str(markdown.convert(text))
    except BaseException:
        # reset() does not empty the block parser's state stack: after a parse that
        # failed half-way (a RecursionError) every later post would render wrongly.
        del _INSTANCES[settings]
        raise

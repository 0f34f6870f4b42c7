"""HTML made comparable: what a browser shows the same, compares equal.

Parsedown and Python-Markdown write the same document with different bytes that no reader
sees: `<br />` or `<br>`, `&quot;` or `"`, attribute order, a newline or none between block
tags, a newline before `</code></pre>`. The normal form below keeps only what renders:
- tags with their attributes sorted, values and text with entities decoded;
- void elements (br, hr, img) as a start tag only, however they were closed;
- outside <pre>, a run of whitespace is one space, and whitespace touching a block tag or a
  <br> is dropped (HTML collapses it the same way, and CSS removes spaces at the start and
  end of a line: it never shows);
- inside <pre>, text is kept as is, except one newline before the closing </code>, which
  browsers do not show as a line either.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "wbr"}
BLOCK = {
    "address", "article", "aside", "blockquote", "dd", "div", "dl", "dt", "figure", "footer", "h1", "h2",
    "h3", "h4", "h5", "h6", "header", "hr", "li", "ol", "p", "pre", "section", "table", "tbody", "td",
    "tfoot", "th", "thead", "tr", "ul",
}  # fmt: skip
LINE_EDGES = BLOCK | {"br"}  # whitespace next to these is at the start or end of a line
_SPACE = re.compile(r"[ \t\n\r\f]+")

Token = tuple[str, str]  # (kind, canonical text): kinds start, end, text, comment


class _Tokens(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tokens: list[Token] = []
        self.pre_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        pairs = " ".join(f'{name}="{value or ""}"' for name, value in sorted(attrs))
        self.tokens.append(("start", f"<{tag} {pairs}>" if pairs else f"<{tag}>"))
        if tag == "pre":
            self.pre_depth += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        self.tokens.append(("end", f"</{tag}>"))
        if tag == "pre" and self.pre_depth:
            self.pre_depth -= 1

    def handle_data(self, data: str) -> None:
        kind = "pre" if self.pre_depth else "text"
        if self.tokens and self.tokens[-1][0] == kind:
            data = self.tokens.pop()[1] + data  # entities split text into pieces
        self.tokens.append((kind, data))

    def handle_comment(self, data: str) -> None:
        self.tokens.append(("comment", f"<!--{data}-->"))


def _tag(token: Token) -> str:
    return token[1][1:].lstrip("/").split(" ", 1)[0].rstrip(">")


def _at_line_edge(token: Token | None) -> bool:
    return token is None or (token[0] in ("start", "end") and _tag(token) in LINE_EDGES)


def normalise(html: str) -> str:
    parser = _Tokens()
    parser.feed(html)
    parser.close()
    tokens = parser.tokens
    out: list[str] = []
    for index, (kind, text) in enumerate(tokens):
        before = tokens[index - 1] if index else None
        after = tokens[index + 1] if index + 1 < len(tokens) else None
        if kind == "pre":
            if after == ("end", "</code>") and text.endswith("\n"):
                text = text[:-1]
        elif kind == "text":
            text = _SPACE.sub(" ", text)
            if _at_line_edge(before):
                text = text.lstrip(" ")
            if _at_line_edge(after):
                text = text.rstrip(" ")
        if text:
            out.append(text)
    return "".join(out)

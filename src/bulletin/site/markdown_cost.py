"""A linear look at a post's Markdown before Python-Markdown renders it: refuse what it would
take super-linear time on, so no post can stall a build or a send.

Python-Markdown is quadratic in four ways (figures: bench/markdown_cost.py):

- Each inline match (a link, emphasis, a code span, an entity, a tag, an escape) rebuilds the
  rest of its paragraph's text, so a paragraph with K marks and L characters costs K x L:
  64,000 ``<b>a</b>`` in one paragraph took 16 s, 64,000 ``*a*`` 6.7 s.
- A ``[`` scans, character by character in Python, to its matching ``]`` (to the paragraph's
  end when there is none): ``"[" * n + "]" * n`` took 0.2/0.7/2.9/18 s for n = 1k/2k/4k/8k;
  a link's ``](`` likewise to its ``)``: ``"[a](" * 8000`` took 28 s.
- A tag start (``<a``, ``</x``, ``<!``) with no ``>`` after it makes the HTML block parser
  (the standard library's html.parser) scan to the next ``>``: ``"<a " * 8000`` took 6.3 s.
- Each fenced code block or raw HTML block is stashed by rebuilding the whole text.

Each of these is estimated here in one pass and compared with a budget of about a quarter
of a second of rendering (a second for the last); the first one over its budget is the
reason the post is refused. Ordinary posts are far below every budget: a 50 KB paragraph
with 5,000 marks is a fifth of the first, a 10 MB post of ordinary paragraphs costs nothing.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from ..errors import ContentError

REBUILD_BUDGET = 1_000_000_000  # marks x characters, per paragraph
BRACKET_BUDGET = 1_000_000  # characters scanned from each [ to its ] and each ]( to its ), per paragraph
TAG_BUDGET = 3_000_000  # characters scanned from each tag start to the next >, whole text
STASH_BUDGET = 600_000_000  # fenced or HTML blocks x characters, whole text
FENCE_BUDGET = 10_000_000  # characters scanned from each fence that no line closes, whole text

# Where an inline pattern can match (a two-space line break is counted apart).
_MARKS = "[]<&*_`~\\!"
_BLANK_LINE = re.compile(r"\n[ \t]*\n")
_BRACKET = re.compile(r"\\.|[\[\]]", re.S)
_PARENTHESIS = re.compile(r"\\.|\]\(|[()]", re.S)
_TAG_START_OR_END = re.compile(r"<[A-Za-z/!?]|>")
_HTML_BLOCK = re.compile(r"^<", re.M)
# Python-Markdown's fenced_code: an opening fence with an optional {attributes} or language,
# closed by a line holding the same fence alone.
_FENCE_OPENER = re.compile(r"(`{3,}|~{3,}) *(?:\{[^\n]*\}|\.?[\w#.+-]* *)")
_FENCE_ALONE = re.compile(r"`{3,}|~{3,}")


@dataclass(frozen=True)
class _Prose:
    text: str  # the text without its fenced code blocks (Python-Markdown stashes them first)
    fenced_blocks: int
    unclosed_scan: int  # characters the fence pattern scans from fences that nothing closes


class MarkdownTooCostly(ContentError):
    """Rendering this text would take super-linear time; ``reason`` says what and where."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def check_markdown_cost(text: str, hard_line_breaks: bool = False) -> None:
    """MarkdownTooCostly when rendering ``text`` would take Python-Markdown super-linear time.

    ``hard_line_breaks``: every line break is a match (Grav's auto_line_breaks).
    """
    prose = _without_fenced_code(text)
    if (reason := _whole_text_reason(prose, len(text))) is not None:
        raise MarkdownTooCostly(_refusal(reason, ""))
    for paragraph in _BLANK_LINE.split(prose.text):
        if (reason := _paragraph_reason(paragraph, hard_line_breaks)) is not None:
            raise MarkdownTooCostly(_refusal(reason, paragraph))


def _whole_text_reason(prose: _Prose, size: int) -> str | None:
    text = prose.text
    if prose.unclosed_scan > FENCE_BUDGET:
        return "code fences (``` or ~~~) that no line closes"
    if text.count("<") * size > TAG_BUDGET and _tag_scan(text) > TAG_BUDGET:
        return "tag starts ('<' and a letter) with no '>' after them"
    stashed = prose.fenced_blocks + (len(_HTML_BLOCK.findall(text)) if size * size > STASH_BUDGET else 0)
    if stashed * size > STASH_BUDGET:
        return "too many fenced code or HTML blocks for its length"
    return None


def _without_fenced_code(text: str) -> _Prose:
    """The text with each fenced code block made a blank line, in one pass over its lines."""
    lines = text.split("\n")
    closers: dict[str, list[int]] = {}  # a fence -> the lines that hold it alone
    for number, line in enumerate(lines):
        if line[:3] in ("```", "~~~") and _FENCE_ALONE.fullmatch(line.rstrip(" ")):
            closers.setdefault(line.rstrip(" "), []).append(number)
    kept: list[str] = []
    blocks = unclosed_scan = offset = number = 0
    while number < len(lines):
        line = lines[number]
        opener = _FENCE_OPENER.fullmatch(line) if line[:3] in ("```", "~~~") else None
        if opener is not None:
            after = closers.get(opener.group(1), [])
            found = bisect.bisect_right(after, number)
            if found < len(after):
                kept.append("")
                blocks += 1
                offset += sum(len(skipped) + 1 for skipped in lines[number : after[found] + 1])
                number = after[found] + 1
                continue
            unclosed_scan += len(text) - offset  # the pattern reads on to the end, in vain
        kept.append(line)
        offset += len(line) + 1
        number += 1
    return _Prose("\n".join(kept), blocks, unclosed_scan)


def _paragraph_reason(paragraph: str, hard_line_breaks: bool) -> str | None:
    size = len(paragraph)
    if size * size <= min(REBUILD_BUDGET, BRACKET_BUDGET):
        return None  # short: nothing in it can cost much
    if size * size > REBUILD_BUDGET:
        marks = sum(paragraph.count(mark) for mark in _MARKS) + paragraph.count("  \n")
        if hard_line_breaks:
            marks += paragraph.count("\n")
        if marks * size > REBUILD_BUDGET:
            return f"{marks:,} markup characters in one paragraph of {size:,} characters"
    if paragraph.count("[") * size > BRACKET_BUDGET and _bracket_scan(paragraph) > BRACKET_BUDGET:
        return "'[' far from their ']' (or with none) in one paragraph"
    if paragraph.count("](") * size > BRACKET_BUDGET and _link_target_scan(paragraph) > BRACKET_BUDGET:
        return "link targets '](' far from their ')' (or with none) in one paragraph"
    return None


def _bracket_scan(paragraph: str) -> int:
    """How far Python-Markdown's link parser scans: from each [ to its matching ], or to the end."""
    opened: list[int] = []
    scanned = 0
    for match in _BRACKET.finditer(paragraph):
        if match.group() == "[":
            opened.append(match.start())
        elif match.group() == "]" and opened:
            scanned += match.start() - opened.pop()
    return scanned + sum(len(paragraph) - start for start in opened)


def _link_target_scan(paragraph: str) -> int:
    """How far the link parser scans for a link's target: from each '](' to the ')' that
    balances it (parentheses nest), or to the end."""
    opened: list[tuple[int, bool]] = []  # (where, is it a link target's parenthesis)
    scanned = 0
    for match in _PARENTHESIS.finditer(paragraph):
        token = match.group()
        if token in ("](", "("):
            opened.append((match.end() - 1, token == "]("))
        elif token == ")" and opened:
            start, is_target = opened.pop()
            scanned += match.start() - start if is_target else 0
    return scanned + sum(len(paragraph) - start for start, is_target in opened if is_target)


def _tag_scan(text: str) -> int:
    """How far the HTML parser scans: from each tag start to the next '>', or to the end."""
    waiting = waiting_from = scanned = 0  # tag starts with no '>' yet, and the sum of their offsets
    for match in _TAG_START_OR_END.finditer(text):
        if match.group() == ">":
            scanned += waiting * match.start() - waiting_from
            waiting = waiting_from = 0
        else:
            waiting += 1
            waiting_from += match.start()
    return scanned + waiting * len(text) - waiting_from


def _refusal(reason: str, paragraph: str) -> str:
    where = f" (the paragraph starting {paragraph.lstrip()[:30]!r})" if paragraph else ""
    return (
        f"too costly to render as Markdown: {reason}{where}; split it with blank lines,"
        " or escape the characters with a backslash"
    )

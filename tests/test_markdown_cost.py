"""The guard in front of Python-Markdown: the inputs it would take super-linear time on are
refused (one line naming the file in build, send and check), everything ordinary renders as
before. Speed itself is measured by bench/markdown_cost.py, never here: these tests check the
guard's decisions and that its linear scans count what a character-by-character scan counts."""

from __future__ import annotations

import runpy
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bulletin.site.markdown import markdown_to_html
from bulletin.site.markdown_cost import (
    MarkdownTooCostly,
    _bracket_scan,
    _link_target_scan,
    _tag_scan,
    check_markdown_cost,
)

from .digest_site import DigestSite

ROOT = Path(__file__).parent.parent
# The patterns bench/markdown_cost.py times, read from it so the two lists cannot drift apart.
MEASURED: dict[str, Callable[[int], str]] = runpy.run_path(str(ROOT / "bench" / "markdown_cost.py"))[
    "PATTERNS"
]
PATHOLOGICAL = {name: pattern for name, pattern in MEASURED.items() if name != "ordinary"}


@pytest.mark.parametrize("pattern", PATHOLOGICAL)
def test_every_quadratic_pattern_is_refused_from_n_4000(pattern: str) -> None:
    """Python-Markdown takes 0.7-13 s on each of these at n = 4000 (bench/markdown_cost.py)."""
    for n in (4000, 8000, 64_000):
        with pytest.raises(MarkdownTooCostly, match="too costly to render as Markdown"):
            markdown_to_html(PATHOLOGICAL[pattern](n))


def test_the_refusal_says_what_and_where() -> None:
    text = "Вступление.\n\nОбычный абзац со [ссылкой](a.html).\n\n" + "[" * 3000 + "]" * 3000

    with pytest.raises(MarkdownTooCostly) as refused:
        check_markdown_cost(text)

    assert refused.value.reason == (
        "too costly to render as Markdown: '[' far from their ']' (or with none) in one paragraph"
        " (the paragraph starting '" + "[" * 30 + "'); split it with blank lines,"
        " or escape the characters with a backslash"
    )


def test_line_breaks_count_as_marks_only_when_grav_makes_them_breaks() -> None:
    lines = "строка\n" * 20_000  # one paragraph of 20,000 lines

    check_markdown_cost(lines)
    with pytest.raises(MarkdownTooCostly, match="markup characters in one paragraph"):
        check_markdown_cost(lines, hard_line_breaks=True)


def site_texts() -> list[Path]:
    """Every Markdown file the tests and the sample site publish."""
    folders = [ROOT / "tests" / "content", ROOT / "tests" / "sites", ROOT / "content"]
    return sorted(path for folder in folders for path in folder.rglob("*.md"))


def test_no_post_of_the_test_and_sample_sites_is_refused() -> None:
    paths = site_texts()
    assert len(paths) > 30
    for path in paths:
        check_markdown_cost(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    "body",
    [
        ("Слово word " * 100 + "<b>bold</b> & [link](a.html).\n\n") * 7000,  # 10 MB of paragraphs
        "x" * 2_000_000,
        "<span><b><i>" * 2000 + "inline" + "</i></b></span>" * 2000,
        "<div>" * 5000 + "deep" + "</div>" * 5000,
        "*" * 5000 + "stars" + "*" * 5000,
        "Абзац с [ссылкой](https://example.org/(a)) и *курсивом*, `кодом` и &amp;. " * 600,
        "```\n" + "[[[[ <a <b ****\n" * 5000 + "```\n",  # one big code block
    ],
    ids=["10-mb", "a-long-line", "nested-inline", "nested-div", "stars", "a-long-paragraph", "code"],
)
def test_large_but_linear_texts_pass(body: str) -> None:
    check_markdown_cost(body)


# The scans against a character-by-character reading ----------------------------------------------


def slow_pair_scan(text: str, opener: str, pair: str) -> int:
    """For every unescaped ``opener`` ('[', or '](' of a link target), the characters from its
    last character (``pair[0]``) to the ``pair[1]`` balancing it, or to the end: what
    Python-Markdown's getText and getLink walk through one by one."""
    escaped = _escaped_positions(text)
    total = 0
    for found in range(len(text)):
        if not text.startswith(opener, found) or found in escaped:
            continue
        start = found + len(opener) - 1
        depth, end = 0, len(text)
        for index in range(start, len(text)):
            if index in escaped:
                continue
            depth += {pair[0]: 1, pair[1]: -1}.get(text[index], 0)
            if depth == 0:
                end = index
                break
        total += end - start
    return total


def slow_tag_scan(text: str) -> int:
    total = 0
    for start in range(len(text) - 1):
        after = text[start + 1]
        if text[start] == "<" and (after.isascii() and after.isalpha() or after in "/!?"):
            end = text.find(">", start)
            total += (end if end >= 0 else len(text)) - start
    return total


def _escaped_positions(text: str) -> set[int]:
    """Positions taken by a backslash escape (the backslash and the character after it)."""
    taken: set[int] = set()
    index = 0
    while index < len(text):
        if text[index] == "\\" and index + 1 < len(text):
            taken.update((index, index + 1))
            index += 2
        else:
            index += 1
    return taken


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="[]()\\a<>b/!", max_size=60))
def test_the_linear_scans_count_what_a_plain_scan_counts(text: str) -> None:
    assert _bracket_scan(text) == slow_pair_scan(text, "[", "[]")
    assert _link_target_scan(text) == slow_pair_scan(text, "](", "()")
    assert _tag_scan(text) == slow_tag_scan(text)


# Through the commands --------------------------------------------------------------------------


def test_build_send_and_check_name_the_costly_post(outbox_site: DigestSite) -> None:
    outbox_site.post("fine", "Обычный пост", "2026-04-01 10:00", body="Текст.\n\n===\n\nДальше.")
    path = outbox_site.post("costly", "Скобки", "2026-04-02 10:00", body="[" * 5000 + "]" * 5000)
    outbox_site.configure(digest={"footer": "Алматы"})
    expected = f"Error: {path}: too costly to render as Markdown: '[' far from their ']'"

    for command in ("build", "send", "check"):
        result = outbox_site.cli(command, "--now", "2026-04-12T10:00")
        assert result.exit_code == 1, (command, result.output)
        errors = [line for line in result.output.splitlines() if line.startswith("Error")]
        assert len(errors) == 1 and errors[0].startswith(expected), (command, result.output)
    assert not (outbox_site.root / "outbox").exists()

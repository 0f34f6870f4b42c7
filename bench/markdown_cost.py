#!/usr/bin/env python3
"""Markdown rendering time on the inputs Python-Markdown handles badly, without and with the guard.

Run it from the repository root (after `pip install -e .`, or with PYTHONPATH=src):

    python bench/markdown_cost.py                    # every pattern, n = 1k, 2k, 4k, 8k
    python bench/markdown_cost.py brackets tags --sizes 1000 2000 4000 8000 16000

This is a benchmark, not a test: it prints figures and never fails on them.

For each pattern and n it prints two times in seconds: "raw", Python-Markdown as bulletin sets
it up with the guard bypassed (site.markdown's Markdown instance called directly; a raw time over
--give-up seconds stops that pattern's raw runs), and "guarded", bulletin's markdown_to_html,
which either renders or refuses the text (then shown with a trailing "r"). The guard's own
pre-scan is part of the guarded time.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

from bulletin.site.markdown import GRAV_DEFAULTS, _new_markdown, markdown_to_html
from bulletin.site.markdown_cost import MarkdownTooCostly

PATTERNS: dict[str, Callable[[int], str]] = {
    "brackets": lambda n: "[" * n + "]" * n,
    "open-brackets": lambda n: "[" * n,
    "link-starts": lambda n: "[a](" * n,
    "image-starts": lambda n: "![" * n,
    "reference-starts": lambda n: "[a][" * n,
    "bracket-lines": lambda n: "[\n" * n,
    "tag-starts": lambda n: "<a " * n,
    "url-starts": lambda n: "<http://a " * n,
    "mail-starts": lambda n: "<a@b " * n,
    "tags": lambda n: "<b>a</b> " * (8 * n),
    "emphasis": lambda n: "*a* " * (8 * n),
    "code-spans": lambda n: "`a` " * (8 * n),
    "entities": lambda n: "&amp; " * (8 * n),
    "escapes": lambda n: "\\[" * (8 * n),
    "nested-strong": lambda n: "**a " * (2 * n) + "b" + "**" * (2 * n),
    "hard-breaks": lambda n: "a  \n" * (8 * n),
    "fenced-blocks": lambda n: "```\nx\n```\n" * (4 * n),
    "html-blocks": lambda n: "<div>a</div>\n\n" * (4 * n),
    "unclosed-fences": lambda n: "```a\n" * n,
    "indented-tags": lambda n: "    [[[[ <a <b ****\n" * (n // 2),
    "ordinary": lambda n: "Слово word, [ссылка](a.html) и *курсив*.\n\n" * n,
}


def timed(render: Callable[[str], object], text: str) -> tuple[float, bool]:
    started = time.perf_counter()
    try:
        render(text)
    except MarkdownTooCostly:
        return time.perf_counter() - started, True
    return time.perf_counter() - started, False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("patterns", nargs="*", default=list(PATTERNS))
    parser.add_argument("--sizes", nargs="+", type=int, default=[1000, 2000, 4000, 8000])
    parser.add_argument("--give-up", type=float, default=30.0)
    args = parser.parse_args()
    raw = _new_markdown(GRAV_DEFAULTS)

    def unguarded(text: str) -> str:
        raw.reset()
        return str(raw.convert(text))

    print(f"{'pattern':17s} " + " ".join(f"{'n=' + str(n):>17s}" for n in args.sizes))
    print(f"{'':17s} " + " ".join(f"{'raw':>8s} {'guarded':>8s}" for _ in args.sizes))
    for name in args.patterns:
        cells, slow = [], False
        for n in args.sizes:
            text = PATTERNS[name](n)
            before = "-" if slow else f"{timed(unguarded, text)[0]:.3f}"
            slow = slow or (before != "-" and float(before) > args.give_up)
            after, refused = timed(markdown_to_html, text)
            cells.append(f"{before:>8s} {after:7.3f}{'r' if refused else ' '}")
        print(f"{name:17s} " + " ".join(cells), flush=True)


if __name__ == "__main__":
    main()

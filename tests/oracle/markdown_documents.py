"""Hypothesis strategies for Markdown documents made of what posts use.

Blocks (paragraphs, headings, code, lists, quotes, tables, rules, raw HTML, reference
definitions) hold inline pieces (emphasis, code, links, images, strikethrough, inline HTML,
entities, escapes, hard breaks) of Russian, Kazakh and English words. The constructs where
Parsedown and Python-Markdown are known to differ (site/markdown.py lists them) are left out,
so any disagreement found here is a new one.
"""

from __future__ import annotations

from hypothesis import strategies as st

WORDS = (
    "Приём врача", "анализ", "крови", "Қабылдау", "дәрігер", "ауруханада", "сәуір", "Өскемен", "үшін",
    "clinic", "hours", "донор", "2026", "9:00", "№5", "café", "итог:", "Алматы,", "(после)", "да.",
)  # fmt: skip
URLS = (
    "https://clinic.example/page",
    "/contacts",
    "../donors#faq",
    "photo.jpg",
    "mailto:desk@clinic.example",
)
# Phrases of one to three words, made once: drawing one string from a pool is what keeps
# generating thousands of documents fast (a draw per word took 15 ms a document).
PHRASES = tuple(
    " ".join(WORDS[(start + step * offset) % len(WORDS)] for offset in range(length))
    for start in range(len(WORDS))
    for step, length in ((1, 1), (3, 2), (7, 3))
)
_TEMPLATES = ("{}", "{}", "**{}**", "*{}*", "__{}__", "_{}_", "~~{}~~", "`{}`")
_LITERALS = (
    "<b>жирный</b>", "<em>курсив</em>", '<span class="x">Қазақ</span>', "<br>",
    "&amp;", "&copy;", "&#8212;", "AT&T", "5 > 3", "a < b", '"кавычки"', "«ёлочки»",
    "\\*не курсив\\*", "\\#", "\\[скобки\\]", "2*3*4",
    "<https://clinic.example/a>", "<desk@clinic.example>",
    "https://clinic.example/путь", "http://clinic.example/a?b=1.", "(https://kz.example/x)",
)  # fmt: skip


def _links() -> list[str]:
    made = []
    for index, text in enumerate(PHRASES):
        url = URLS[index % len(URLS)]
        title = f' "{PHRASES[(index * 5) % len(PHRASES)]}"' if index % 2 else ""
        made.append(f"{'!' if index % 3 == 0 else ''}[{text}]({url}{title})")
    return made


PIECES = tuple(
    [template.format(phrase) for template in _TEMPLATES for phrase in PHRASES]
    + _links()
    + list(_LITERALS) * 6
)
words = st.sampled_from(PHRASES)
inline_text = st.lists(st.sampled_from(PIECES), min_size=1, max_size=6).map(" ".join)


def _wrapped(left: str) -> st.SearchStrategy[str]:
    return words.map(lambda text: f"{left}{text}{left}")


@st.composite
def paragraphs(draw: st.DrawFn) -> str:
    lines = draw(st.lists(inline_text, min_size=1, max_size=3))
    breaks = draw(st.lists(st.sampled_from(["\n", "  \n"]), min_size=len(lines), max_size=len(lines)))
    return "".join(line + brk for line, brk in zip(lines, breaks, strict=True)).rstrip()


headings = st.one_of(
    st.builds(
        lambda level, text: "#" * level + " " + text,
        st.integers(1, 6),
        inline_text.filter(lambda text: not text.endswith("\\#")),  # Parsedown strips that '#'
    ),
    st.builds(lambda text, under: f"{text}\n{under}", words, st.sampled_from(["===", "---", "======"])),
)
code_lines = st.lists(
    st.sampled_from(["x = 1", "  if a < b:", "<div>&amp;</div>", "печать('Сәлем')", "", "**не жирный**"]),
    min_size=1,
    max_size=4,
).filter(lambda lines: "\n\n\n" not in "\n".join(lines))  # Parsedown keeps one blank line of two
fenced_code = st.builds(
    lambda fence, lang, lines: f"{fence}{lang}\n" + "\n".join(lines).strip("\n") + f"\n{fence}",
    st.sampled_from(["```", "~~~"]),
    st.sampled_from(["", "python", "text", "php"]),
    code_lines.filter(lambda lines: any(lines)),
)
indented_code = code_lines.filter(lambda lines: bool(lines[0].strip())).map(
    lambda lines: "\n".join("    " + line if line else "" for line in lines).rstrip()
)


@st.composite
def lists(draw: st.DrawFn, depth: int = 0) -> str:
    ordered = draw(st.booleans())
    loose = draw(st.booleans())
    items = draw(st.lists(inline_text, min_size=1, max_size=4))
    lines = []
    for number, item in enumerate(items, start=draw(st.sampled_from([1, 1, 3]))):
        marker = f"{number}." if ordered else draw(st.sampled_from(["-", "*", "+"]))
        lines.append(f"{marker} {item}")
        if depth < 1 and draw(st.integers(0, 4)) == 0:
            nested = draw(lists(depth + 1))  # type: ignore[call-arg]
            lines.append("\n".join("    " + line if line else "" for line in nested.split("\n")))
            # An item right under a loose nested list is taken into it by Python-Markdown.
            loose = loose or "\n\n" in nested
    return ("\n\n" if loose else "\n").join(lines)


quotes = st.lists(inline_text, min_size=1, max_size=3).map(
    lambda lines: "\n".join("> " + line for line in lines)
)


@st.composite
def tables(draw: st.DrawFn) -> str:
    columns = draw(st.integers(1, 3))
    cells = st.lists(st.one_of(words, _wrapped("**"), _wrapped("`")), min_size=columns, max_size=columns)
    header = draw(cells)
    rows = draw(st.lists(cells, min_size=1, max_size=3))
    aligns = draw(st.lists(st.sampled_from(["---", ":--", "--:", ":-:"]), min_size=columns, max_size=columns))

    def row(values: list[str]) -> str:
        return "| " + " | ".join(values) + " |"

    return "\n".join([row(header), row(aligns), *(row(values) for values in rows)])


html_blocks = st.sampled_from(
    [
        '<div class="note">\nПримечание: <b>важно</b>\n</div>',
        "<p>Готовый абзац</p>",
        "<table><tr><td>ячейка</td></tr></table>",
        "<!-- комментарий -->",
        '<figure>\n<img src="a.png" alt="Сурет">\n</figure>',
    ]
)
rules = st.sampled_from(["---", "***", "___"])  # "* * *" after a list is an item to Parsedown


@st.composite
def reference_links(draw: st.DrawFn) -> str:
    name = draw(st.sampled_from(["сайт", "site", "1"]))
    title = draw(st.sampled_from(["", ' "Заголовок"']))
    text = draw(words)
    return f"{text} [{text}][{name}] {text}\n\n[{name}]: https://clinic.example/{len(text)}{title}"


blocks = st.one_of(
    paragraphs(),
    paragraphs(),
    headings,
    fenced_code,
    indented_code,
    lists(),
    quotes,
    tables(),
    html_blocks,
    rules,
    reference_links(),
)


def _join(parts: list[str]) -> str:
    # Indented code right after a list would be part of the last item: a document of its own.
    kept = [part for index, part in enumerate(parts) if not (index and part.startswith("    "))]
    return "\n\n".join(kept)


documents = st.lists(blocks, min_size=1, max_size=5).map(_join)

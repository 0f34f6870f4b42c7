"""grav_yaml.simple reads everyday headers exactly as the full reader (libyaml + Symfony's
scalar types) does, and leaves every other header to it.

Hypothesis writes headers line by line from pieces chosen to sit on both sides of the
line the fast reader draws: quoting styles, quotes inside quotes, numbers, dates, booleans
in every spelling, colons, comments, anchors, tags, block scalars, tabs, no-break spaces,
flow and block lists, nested mappings, odd indentation, keys given twice. Whenever the fast
reader returns a mapping, it must be the full reader's, value for value and type for type;
where the full reader refuses the text, the fast reader must have declined it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from bulletin.grav_yaml import YamlRefused, _inspect, _load, load_yaml
from bulletin.grav_yaml.simple import read_simple
from bulletin.site.frontmatter import parse_header

WORDS = ["Клиника", "жаңалықтар", "Қазақ", "news", "Yes", "No", "on", "Off", "null", "NULL", "~", "true"]
WORDS += ["False", "1", "007", "-3", "+4", "1.5", ".5", "1e3", "0x1F", "0o17", "12:30", "2026-04-12"]
WORDS += ["2026-02-30", "2026-04-12 10:00:00", "2026-04-12T10:00:00+05:00", ".inf", "1_000", "C#"]
WORDS += ["Q&A", "a: b", "a:b", "end:", "x #y", "#x", "&a", "*a", "!x", "!!str 5", "|", ">", "@self.children"]
WORDS += ["`cmd`", "%x", "-", "- x", "?x", "[a]", "{a: 1}", "a, b", "it's", 'say "hi"', "a\\b", "\xa0a\xa0"]
WORDS += ["a\tb", "1 000", "Dr. Who (MD)", "a/b+c", "é", "٣", "²", "a_b", "_x", ""]
KEYS = ["title", "date", "taxonomy", "tag", "category", "author", "published", "slug", "x-y", "a_b"]
KEYS += ["True", "null", "y", "n", "content.items", "1", "<<", "k", "-k", "k "]


def plain(word: str) -> str:
    return word


def single(word: str) -> str:
    return "'" + word.replace("'", "''") + "'"


def broken_single(word: str) -> str:
    return "'" + word + "'"


def double(word: str) -> str:
    return '"' + word + '"'


# Words the fast reader takes as they are (typed by symfony_scalar): clean headers use only
# these, so that the fast path is taken often; noisy ones draw from every word.
SAFE = [w for w in WORDS if w and w[0] not in "-?:,[]{}#&*!|>'\"%@`" and ": " not in w and "#" not in w]
SAFE = [w for w in SAFE if not w.endswith(":") and "\t" not in w]


def scalar_values(words: list[str], quotes: list[Any]) -> st.SearchStrategy[str]:
    return st.builds(lambda quote, word: quote(word), st.sampled_from(quotes), st.sampled_from(words))


def flow_lists(items: st.SearchStrategy[str], clean: bool) -> st.SearchStrategy[str]:
    return st.builds(
        lambda items, sep, trailing: "[" + sep.join(items) + ("," if trailing else "") + "]",
        st.lists(items, max_size=4),
        st.sampled_from([", ", ",", " , "] if clean else [", ", ",", " , ", ",  ", " ,"]),
        st.booleans() if not clean else st.just(False),
    )


@st.composite
def headers(draw: st.DrawFn) -> str:
    """A header as lines: keys with values, nested blocks, block lists, blank lines. A clean
    one sticks to what the fast reader reads; a noisy one mixes in everything else."""
    clean = draw(st.booleans())
    words = SAFE if clean else WORDS
    quotes = [plain, single, double] if clean else [plain, single, broken_single, double]
    scalars = scalar_values(words, quotes)
    extra = [""] if clean else ["", " ", "  # note", "|\n  text", "&a x", "*a"]
    values = st.one_of(scalars, flow_lists(scalars, clean), st.sampled_from(extra))
    keys = KEYS[:10] if clean else KEYS
    lines: list[str] = []
    indent_step = draw(st.sampled_from([2, 4, 3]))
    spaces = [" ", "  "] if clean else [" ", ""]
    # A clean header gives each key once (a key twice is Grav's lenient parser's business).
    order = draw(st.permutations(keys)) if clean else [draw(st.sampled_from(keys)) for _ in keys]
    for key in order[: draw(st.integers(1, 6))]:
        pad = "" if clean else " " * draw(st.sampled_from([0, 0, 0, 1]))
        shape = draw(st.sampled_from(["value", "value", "nested", "items", "blank"]))
        if shape == "blank":
            lines.append(draw(st.sampled_from(["", "  "] if clean else ["", "  ", "# comment"])))
        elif shape == "value":
            lines.append(f"{pad}{key}:{draw(st.sampled_from(spaces))}{draw(values)}")
        elif shape == "nested":
            lines.append(f"{pad}{key}:")
            child = " " * (len(pad) + indent_step)
            inner = draw(st.permutations(keys)) if clean else [draw(st.sampled_from(keys)) for _ in keys]
            for inner_key in inner[: draw(st.integers(0, 3))]:
                lines.append(f"{child}{inner_key}: {draw(values)}")
        else:
            lines.append(f"{pad}{key}:")
            child = " " * (len(pad) + draw(st.sampled_from([indent_step] if clean else [0, indent_step])))
            for _ in range(draw(st.integers(1, 3))):
                lines.append(f"{child}- {draw(scalars)}")
    trailing = draw(st.sampled_from(["", " "] if clean else ["", " ", "\t"]))
    return "\n" + "\n".join(line + trailing for line in lines) + "\n"


def full_reading(text: str) -> tuple[str, Any]:
    """What load_yaml gave before the fast reader: ("ok", value), or the kind of refusal."""
    try:
        _inspect(text)
        return "ok", _load(text)
    except (yaml.YAMLError, YamlRefused, ValueError) as exc:
        return type(exc).__name__, None


def typed(value: Any) -> Any:
    """``value`` with every scalar's type beside it (1 and True and 1.0 compare equal)."""
    if isinstance(value, dict):
        return {typed(key): typed(item) for key, item in value.items()}
    if isinstance(value, list):
        return [typed(item) for item in value]
    return (type(value).__name__, value)


@settings(max_examples=2000, deadline=None)
@given(headers())
def test_the_fast_reader_agrees_with_the_full_one_or_declines(text: str) -> None:
    fast = read_simple(text)  # never raises: the full reader reports what is wrong
    if fast is None:
        return
    assert full_reading(text) == ("ok", fast)
    assert typed(fast) == typed(full_reading(text)[1])


EVERYDAY = [
    "\ntitle: 'Донорский день'\ndate: '30-11-2020 00:35'\ntaxonomy:\n    category: ['news']\n"
    "    tag: ['lab', 'лаборатория', 'health']\n",
    "\ntitle: Жаңалықтар: no\ndate: 2026-04-12\npublished: false\n",
    "\ntitle: \"Қазақ тілі\"\nauthor:\n  name: Анна\ntaxonomy:\n  tag:\n    - донорство\n    - 'Q&A'\n",
    "\ntitle: It's open\nslug: open-day\nimage: photo.jpg\nhide_from_post_list: true\nrank: 3\n",
]


@pytest.mark.parametrize("text", EVERYDAY)
def test_everyday_headers_take_the_fast_path_and_read_the_same(text: str) -> None:
    fast = read_simple(text)
    if "Жаңалықтар: no" in text:
        assert fast is None  # "title: Foo: Bar" is the lenient parser's, left to the repair
        return
    assert fast is not None
    assert typed(fast) == typed(full_reading(text)[1])
    assert parse_header(text, "item.md") == fast


def test_the_fast_reader_types_scalars_as_symfony() -> None:
    fast = read_simple("\na: yes\nb: 012\nc: 1e3\nd: 2026-04-12\ne: [On, '5', 7]\nf: ~\n")
    assert fast == {
        "a": "yes",
        "b": 10,
        "c": 1000.0,
        "d": dt.date(2026, 4, 12),
        "e": ["On", "5", 7],
        "f": None,
    }
    assert load_yaml("\na: yes\n") == {"a": "yes"}


def test_an_impossible_date_is_left_to_the_full_reader() -> None:
    """Which error a header gets is the full reader's: here the syntax error after the date."""
    text = '\ntitle:\n  - 2026-02-30\n  - "say "hi""\n'
    assert read_simple(text) is None
    assert full_reading(text)[0] == "ParserError"
    assert read_simple("\ndate: 2026-02-30\n") is None
    assert full_reading("\ndate: 2026-02-30\n")[0] == "ValueError"

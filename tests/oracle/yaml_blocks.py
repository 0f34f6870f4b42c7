"""Random front matter blocks shaped like Grav posts', each with its quoted twin.

A block is built from pieces that know two spellings: the header as a person writes it
(``items: @self.children``, ``title: Қазақ тілі: жаңалықтар``) and the twin, with every
free-text scalar quoted and a repeated key dropped, which Symfony YAML reads as Grav's
lenient fallback parser reads the first. Free text never looks like a number, a date, a
boolean or null, so quoting it cannot change its value.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

LATIN = (
    "Clinic",
    "news",
    "Doctor",
    "open",
    "day",
    "Health",
    "vaccine",
    "blog",
    "post",
    "Yes",
    "No",
    "On",
    "off",
)
RUSSIAN = ("Клиника", "новости", "приём", "врач", "Алматы", "день", "открытых", "дверей", "Ёлка")
KAZAKH = (
    "Қазақ",
    "тілі",
    "әлем",
    "ғылым",
    "құрылыс",
    "жаңалықтар",
    "өмір",
    "ұлт",
    "үй",
    "һикая",
    "дәрігер",
    "іс",
)
INNER = (
    "!",
    "?",
    "«",
    "»",
    "—",
    ",",
    ".",
    "(",
    ")",
    "'",
    '"',
    "C#",
    "&",
    "*",
    "@",
    "%",
    "50%",
    ": ",
    "\t",
    "/",
)
LENIENT_START = ("@", "`", "%", "|", ">")
BOOLEANS = (
    "true",
    "True",
    "TRUE",
    "false",
    "False",
    "FALSE",
    "yes",
    "no",
    "on",
    "off",
    "Yes",
    "NO",
    "y",
    "n",
    "On",
)
NULLS = ("null", "Null", "NULL", "~", "")
INTEGERS = ("0", "7", "-3", "012", "08", "0o17", "0x1F", "1_000", "+12", "123456789012", "-0", "2024")
FLOATS = ("1.5", "-0.25", "1e3", ".5", "2.", "1_000.5", ".inf", "-.inf", "1.0", "3.14e-2")
DATES = (
    "2022-04-12", "2022-4-1", "2022-04-12 10:20:30", "2022-04-12T10:20:30Z", "2022-04-12T10:20:30+05:00",
    "2022-04-12 10:20:30.5 +6", "14:55 08/11/2017", "20:18 23-06-2015", "12:30", "08/11/2017",
    "2024-03-01 10:00", "1 March 2024", "2024-02-29",
)  # fmt: skip
IMPOSSIBLE_DATES = ("2023-02-30", "2022-13-01")
KEYS = (
    "title",
    "date",
    "publish_date",
    "unpublish_date",
    "published",
    "visible",
    "routable",
    "slug",
    "image",
)
NESTED_KEYS = ("заголовок", "kk_тақырып", "note", "extra", "level", "sub", "x_y", "Key With Space")


@dataclass(frozen=True)
class Block:
    header: str
    twin: str
    impossible_date: bool = False


@dataclass(frozen=True)
class Piece:
    """One scalar in two spellings, and whether it can sit inside a flow collection."""

    raw: str
    twin: str
    impossible_date: bool = False


class Writer:
    def __init__(self, chance: random.Random) -> None:
        self.chance = chance
        self.unit = chance.choice((2, 4))
        self.raw: list[str] = []
        self.twin: list[str] = []
        self.impossible = False

    def line(self, depth: int, raw: str, twin: str | None = None) -> None:
        indent = " " * (self.unit * depth)
        if depth and self.unit == 4 and self.chance.random() < 0.15:
            indent = "\t" + indent[4:]  # Grav turns a line-leading tab into four spaces
        self.raw.append(indent + raw)
        self.twin.append(indent + (raw if twin is None else twin))

    def sep(self) -> str:
        return self.chance.choice((" ",) * 8 + ("\t", "  ", " \t"))

    def comment(self) -> str:
        return self.chance.choice(("",) * 6 + (" # коммент", " # note: x", "\t# таб"))

    # Scalars -----------------------------------------------------------------------------

    def text(self, flow: bool = False, colon: bool = True) -> Piece:
        """Free text; ``colon`` False where ": " would make it a key (a "- " list item)."""
        pick = self.chance
        words = [pick.choice(pick.choice((LATIN, RUSSIAN, KAZAKH))) for _ in range(pick.randint(1, 4))]
        if not flow and pick.random() < 0.4:
            at = pick.randrange(len(words))
            inner = pick.choice(INNER if colon else INNER[:-3] + INNER[-2:])
            words[at] = words[at] + inner + pick.choice(KAZAKH + RUSSIAN)
        body = " ".join(words) if not flow else "-".join(words).replace(" ", "")
        if pick.random() < 0.2:
            body = pick.choice(LENIENT_START[:2] if flow else LENIENT_START) + body
        style = pick.random()
        if style < 0.5 or (body.strip() != body):
            return Piece(body, single(body))
        if style < 0.75:
            return Piece(single(body), single(body))
        return Piece(double(body, pick), double(body, pick))

    def typed(self) -> Piece:
        pick = self.chance
        kind = pick.random()
        if kind < 0.04:
            value = pick.choice(IMPOSSIBLE_DATES)
            return Piece(value, value, impossible_date=True)
        pool = BOOLEANS if kind < 0.3 else NULLS if kind < 0.4 else INTEGERS if kind < 0.6 else FLOATS
        value = pick.choice(pool if kind < 0.8 else DATES)
        if pick.random() < 0.15 and value:
            value = single(value)  # a quoted date or number is a string on both sides
        return Piece(value, value)

    def scalar(self, flow: bool = False, colon: bool = True) -> Piece:
        return self.text(flow, colon) if self.chance.random() < 0.55 else self.typed()

    # Structures --------------------------------------------------------------------------

    def entry(self, depth: int, key: str, piece: Piece) -> None:
        self.impossible |= piece.impossible_date
        comment = self.comment() if piece.raw else ""
        separator = self.sep() if piece.raw else ""
        self.line(depth, f"{key}:{separator}{piece.raw}{comment}", f"{key}:{separator}{piece.twin}{comment}")

    def flow_list(self, size: int) -> Piece:
        items = [self.scalar(flow=True) for _ in range(size)]
        for item in items:
            self.impossible |= item.impossible_date
        return Piece(
            "[" + ", ".join(i.raw for i in items) + "]", "[" + ", ".join(i.twin for i in items) + "]"
        )

    def block_list(self, depth: int, key: str) -> None:
        self.line(depth, f"{key}:{self.comment()}")
        inner = depth + (0 if self.chance.random() < 0.3 else 1)  # Symfony allows "- " at the key's indent
        for _ in range(self.chance.randint(1, 3)):
            piece = self.scalar(colon=False)
            self.impossible |= piece.impossible_date
            self.line(inner, f"- {piece.raw}", f"- {piece.twin}")

    def taxonomy(self, depth: int) -> None:
        self.line(depth, "taxonomy:")
        for name in self.chance.sample(("category", "tag", "author"), self.chance.randint(1, 3)):
            form = self.chance.random()
            if form < 0.45:
                self.entry(depth + 1, name, self.flow_list(self.chance.randint(0, 3)))
            elif form < 0.8:
                self.block_list(depth + 1, name)
            else:
                self.entry(depth + 1, name, self.text(flow=True))

    def content(self, depth: int) -> None:
        self.line(depth, "content:")
        if collection(self, depth + 1) == "flow":
            return
        if self.chance.random() < 0.6:
            self.line(depth + 1, "order:")
            self.entry(
                depth + 2, "by", Piece(*[self.chance.choice(("date", "title", "folder", "default"))] * 2)
            )
            self.entry(depth + 2, "dir", Piece(*[self.chance.choice(("asc", "desc"))] * 2))
        if self.chance.random() < 0.5:
            self.entry(depth + 1, "limit", Piece(*[str(self.chance.randint(1, 20))] * 2))
        if self.chance.random() < 0.4:
            self.entry(depth + 1, "pagination", Piece(*[self.chance.choice(BOOLEANS)] * 2))

    def block_text(self, depth: int, key: str) -> None:
        """A literal or folded block: summaries and descriptions."""
        indicator = self.chance.choice(("|", ">", "|-", ">-", "|+", ">+", "|2"))
        self.line(depth, f"{key}: {indicator}")
        for number in range(self.chance.randint(1, 3)):
            line = " ".join(self.chance.choice(KAZAKH + RUSSIAN + LATIN) for _ in range(3))
            more = (
                number and indicator != "|2" and self.chance.random() < 0.3
            )  # the first line sets the indent
            self.line(depth + 1, "  " + line if more else line)
        if self.chance.random() < 0.3:
            self.raw.append("")
            self.twin.append("")

    def records(self, depth: int, key: str) -> None:
        """A list of mappings, "- " on the first key of each."""
        self.line(depth, f"{key}:")
        for _ in range(self.chance.randint(1, 2)):
            first, second = self.text(colon=False), self.scalar()
            quote = self.chance.choice(("", "'", '"'))
            self.line(
                depth + 1, f"- {quote}title{quote}: {first.raw}", f"- {quote}title{quote}: {first.twin}"
            )
            self.line(depth + 1, f"  route: {second.raw}", f"  route: {second.twin}")
            self.impossible |= second.impossible_date

    def nested(self, depth: int, key: str) -> None:
        self.line(depth, f"{key}:{self.comment()}")
        for name in self.chance.sample(NESTED_KEYS, self.chance.randint(1, 3)):
            if depth < 3 and self.chance.random() < 0.25:
                self.nested(depth + 1, name)
            else:
                self.entry(depth + 1, name, self.scalar())


def collection(writer: Writer, depth: int) -> str:
    """``items:`` in each form Grav's collections take, unquoted or quoted; "flow" when
    the whole collection went on the ``content:`` line."""
    pick = writer.chance

    def name(text: str) -> Piece:
        return Piece(text, single(text)) if pick.random() < 0.6 else Piece(single(text), single(text))

    form = pick.randrange(6)
    if form == 0:
        writer.entry(
            depth, "items", name(pick.choice(("@self.children", "@page.descendants", "@self.siblings")))
        )
    elif form == 1:
        writer.line(depth, "items:")
        key, route = name("@page.children"), name("/blog")
        writer.line(depth + 1, f"{key.raw}: {route.raw}", f"{key.twin}: {route.twin}")
    elif form == 2:
        writer.line(depth, "items:")
        key, term = name("@taxonomy.category"), name(pick.choice(("news", "жаңалықтар", "blog")))
        writer.line(depth + 1, f"{key.raw}: {term.raw}", f"{key.twin}: {term.twin}")
    elif form == 3:
        key, item = name("@taxonomy"), name("@self.children")
        writer.line(depth, "items:")
        writer.line(
            depth + 1,
            f"{key.raw}: {{category: [blog], tag: [x, ұлт]}}",
            f"{key.twin}: {{category: [blog], tag: [x, ұлт]}}",
        )
    elif form == 4:
        writer.line(depth, "items:")
        for text in pick.sample(("@self.children", "@page.children", "@taxonomy.tag"), 2):
            item = name(text)
            writer.line(depth + 1, f"- {item.raw}", f"- {item.twin}")
    else:
        item = name("@self.children")
        flow = f"{{ items: {item.raw}, order: {{ by: date, dir: desc }} }}"
        twin = f"{{ items: {item.twin}, order: {{ by: date, dir: desc }} }}"
        writer.raw[-1] += " " + flow  # "content: { items: @self.children, ... }" on the content line
        writer.twin[-1] += " " + twin
        return "flow"
    return "block"


def single(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def double(text: str, pick: random.Random) -> str:
    out = []
    for char in text:
        if char in '"\\':
            out.append("\\" + char)
        elif char == "\t":
            out.append("\\t")
        elif ord(char) > 127 and pick.random() < 0.2:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def random_block(chance: random.Random) -> Block:
    writer = Writer(chance)
    writer.entry(0, "title", writer.text())
    for key in chance.sample(KEYS[1:], chance.randint(0, 4)):
        writer.entry(0, key, writer.scalar())
    parts = [
        writer.taxonomy,
        writer.content,
        lambda d: writer.nested(d, "feed"),
        lambda d: writer.nested(d, "metadata"),
        lambda d: writer.block_text(d, chance.choice(("summary", "description"))),
        lambda d: writer.records(d, "related"),
    ]
    for part in chance.sample(parts, chance.randint(0, len(parts))):
        if chance.random() < 0.2:
            writer.line(0, chance.choice(("# комментарий", "#", "")))
        part(0)
    if chance.random() < 0.08:
        piece = writer.text()
        writer.raw.append(f"title: {piece.raw}")  # a key given twice: the first one wins
    return Block("\n".join(writer.raw) + "\n", "\n".join(writer.twin) + "\n", writer.impossible)

"""Quote the plain scalars that strict YAML refuses and Grav's lenient parser reads as text.

When Symfony YAML refuses a header, Grav reads it again with Symfony 2.8's parser
(RocketTheme\\Toolbox\\Compat\\Yaml), which takes a value that starts with ``@``, a
backtick, ``%``, ``|``/``>`` (not a block header) or ``-``, or holds ``: ``, as a
plain string, and allows a tab after ``key:``. Rather than a second parser, libyaml
says where it stumbled and that one value is quoted, until the header reads or a
repair does not help. Only headers that fail the fast load come here.
"""

from __future__ import annotations

import re

import yaml

MAX_REPAIRS = 50  # each repair is one more parse; a real header needs a handful
# Quoting doubles the quotes inside a scalar; should a repair ever quote text an earlier repair
# made, fifty rounds would double the header fifty times. No real repair grows it this much.
MAX_GROWTH = 4
# One line of a block mapping or sequence, split as Symfony's parser splits it: the
# indentation and sequence dashes, the key (shortest text before ':' and a blank), the
# value, and a trailing comment.
_LINE = re.compile(
    r"""(?P<lead>[ ]*(?:-[ \t]+)*)
    (?:(?P<key>"(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|(?:[^\s'"\[\]{}!#,-]|-(?=\S))[^\t]*?)[ ]*:(?P<gap>[ \t]+|\Z))?
    (?P<value>.*?)(?P<comment>[ \t]+\#.*)?\Z""",
    re.VERBOSE,
)
_BLOCK_HEADER = re.compile(r"[|>][-+0-9]*\Z")
_FLOW_END = re.compile(r"[,\]}]")
_KEY_END = re.compile(r":(?: |\Z)")


def repaired(text: str, error: yaml.YAMLError, loader: type) -> str | None:
    """``text`` as Grav's lenient parser would read it, quoted so ``loader`` reads it the
    same way; None when that does not make it valid YAML."""
    if not isinstance(error, (yaml.scanner.ScannerError, yaml.parser.ParserError)):
        return None  # an unknown tag or alias is refused by Grav too, never quoted away
    lines = text.split("\n")
    where: tuple[int, int] | None = None
    for _ in range(MAX_REPAIRS):
        mark = getattr(error, "problem_mark", None)
        if mark is None or (mark.line, mark.column) == where or mark.line >= len(lines):
            return None
        where = (mark.line, mark.column)
        fixed = _repair_line(lines[mark.line], mark.column)
        if fixed is None:
            return None
        lines[mark.line] = fixed
        candidate = "\n".join(lines)
        if len(candidate) > MAX_GROWTH * len(text) + 1024:
            return None
        try:
            for _event in yaml.parse(candidate, Loader=loader):
                pass
        except (yaml.scanner.ScannerError, yaml.parser.ParserError) as next_error:
            error = next_error
            continue
        except yaml.YAMLError:
            return None
        return candidate
    return None


def _repair_line(line: str, column: int) -> str | None:
    """``line`` with the value (or key) that holds ``column`` quoted; None if it cannot be."""
    match = _LINE.match(line)
    if match is None:
        return None
    gap_start, gap_end = match.span("gap")
    if gap_start <= column < gap_end and "\t" in match["gap"]:
        return line[:gap_start] + " " + line[gap_end:]  # key:<tab>value
    key_start, key_end = match.span("key")
    if key_start <= column < key_end:
        if match["key"][0] in "'\"":
            return None  # quoted already (perhaps by an earlier repair): quoting again cannot help
        return line[:key_start] + _quoted(match["key"]) + line[key_end:]
    value, start = match["value"], match.start("value")
    if column < start or not value:
        return None
    if value[0] in "[{":
        return _repair_flow(line, column, start)
    if value[0] in "'\"!&*" or _BLOCK_HEADER.match(value):
        return None
    return line[:start] + _quoted(value) + line[match.end("value") :]


def _repair_flow(line: str, column: int, start: int) -> str | None:
    """Quote the scalar that starts at ``column`` inside a one-line flow collection, up
    to the next ``,``, ``]`` or ``}`` (where Symfony 2.8 ends a flow scalar)."""
    if column <= start:
        return None
    if line[column] == "," and line[:column].rstrip()[-1:] in ("[", ","):
        return line[:column] + "null" + line[column:]  # "[, a]": Symfony reads the empty entry as null
    if line[column] in " ,[]{}'\":" or line[column - 1] not in " \t[{,:":
        return None  # only a scalar that starts a flow entry; "!`" is a tag, refused as Grav does
    end = _FLOW_END.search(line, column)
    stop = end.start() if end else len(line)
    scalar = line[column:stop].rstrip()
    if line[:column].rstrip()[-1:] in ("{", "[", ",") and (colon := _KEY_END.search(scalar)):
        scalar = scalar[: colon.start()]  # a flow key ends at the first ': ', as in Symfony 2.8
    if not scalar:
        return None
    return line[:column] + _quoted(scalar) + line[column + len(scalar) :]


def _quoted(scalar: str) -> str:
    return "'" + scalar.strip().replace("'", "''") + "'"

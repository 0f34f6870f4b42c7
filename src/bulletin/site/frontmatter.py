"""A page file -> (header mapping, Markdown body): decoding, the '---' block, its YAML."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from frontmatter.default_handlers import YAMLHandler

from ..errors import ContentError
from ..grav_yaml import YamlRefused, load_yaml, yaml_problem

_SPLITTER = YAMLHandler()


def read_page(path: str | Path) -> tuple[dict[str, Any], str]:
    """The header and the body of the page file at ``path``; ContentError names the file."""
    return split_front_matter(read_page_text(path), path)


def read_page_text(path: str | Path) -> str:
    """The text of a page file: UTF-8 (a BOM is dropped), line endings made \\n."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as exc:
        raise ContentError(f"{path}: cannot read: {exc.strerror or exc}") from None
    return decode_page(raw, path)


def decode_page(raw: bytes, path: str | Path) -> str:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise ContentError(f"{path}:{line}: not UTF-8 (byte {exc.start})") from None
    # Windows editors leave CRLF (and old Macs CR); everything below sees \n only.
    return text.replace("\r\n", "\n").replace("\r", "\n")


def split_front_matter(text: str, path: str | Path) -> tuple[dict[str, Any], str]:
    stripped = text.lstrip()  # Grav allows blank lines before the opening '---'
    if not _SPLITTER.detect(stripped):
        raise ContentError(f"{path}: no front matter (the file must start with a '---' line)")
    try:
        front, body = _SPLITTER.split(stripped)
    except ValueError:
        raise ContentError(f"{path}: front matter is not closed by a '---' line") from None
    # The file line the YAML text starts on, so an error names the line to look at.
    start = len(text) - len(stripped) + stripped.find(front, 3)
    return parse_header(front, path, text.count("\n", 0, start) + 1), body


def parse_header(front: str, path: str | Path, first_line: int = 1) -> dict[str, Any]:
    """The mapping a front matter block holds (the text between the '---' lines, which
    starts on line ``first_line`` of the file)."""
    if "\n\t" in front[1:]:
        # As Grav's MarkdownFile does: a tab that starts a line (the first line of the
        # block aside) becomes four spaces, so tab-indented headers read.
        front = front[:1] + front[1:].replace("\n\t", "\n    ")
    try:
        data = load_yaml(front)
    except YamlRefused as exc:
        raise ContentError(f"{path}: front matter {exc}") from None
    except yaml.YAMLError as exc:
        line, problem = yaml_problem(exc)
        where = f":{first_line + line - 1}" if line is not None else ""
        raise ContentError(f"{path}{where}: front matter is not valid YAML: {problem}") from None
    except ValueError as exc:
        raise ContentError(f"{path}: front matter has an impossible value: {exc}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ContentError(f"{path}: front matter must be a mapping of keys, not a {type(data).__name__}")
    return data

"""A page file -> (header mapping, Markdown body): decoding, the '---' block, its YAML."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import yaml

from ..encoding import not_utf8
from ..errors import ContentError
from ..grav_yaml import YamlRefused, load_yaml, yaml_problem
from .content_files import ANY_FOLDER, ReadLimits, read_content_file

# A '---' line (three or more dashes, then only spaces): python-frontmatter's boundary, which
# bulletin used before; its one regular expression is all this needs of that package.
_BOUNDARY = re.compile(r"^-{3,}\s*$", re.MULTILINE)
FOLDER_DEFAULTS = "frontmatter.yaml"  # Grav merges it under the header of the page beside it
_ST_SIZE = 6  # position of st_size in a stat tuple


def read_page(
    path: str | Path, *, folder_defaults: bool = False, limits: ReadLimits = ANY_FOLDER
) -> tuple[dict[str, Any], str]:
    """The header and the body of the page file at ``path``; ContentError names the file.

    With ``folder_defaults``, a ``frontmatter.yaml`` in the page's folder supplies the
    keys the header leaves out, merged as Grav merges it (PHP's array_replace_recursive:
    the page's own header wins, key by key, lists index by index). Both files are read
    within ``limits`` (regular files in the content folder, of bounded size).
    """
    header, body = split_front_matter(read_page_text(path, limits), path)
    if folder_defaults:
        defaults_path = os.path.join(os.path.dirname(path), FOLDER_DEFAULTS)
        if os.path.isfile(defaults_path):
            header = replace_recursive(read_defaults(defaults_path, limits), header)
    return header, body


def page_source_stat(path: str) -> tuple[os.stat_result, bool]:
    """(what a cached reading of ``path`` depends on, whether the folder has a ``frontmatter.yaml``).

    The stat of the file, made to change with the folder's ``frontmatter.yaml`` too when
    there is one (the cache compares size and mtime only). A caller whose folder listing
    shows no ``frontmatter.yaml`` takes the file's own stat instead."""
    stat = os.stat(path)
    try:
        defaults = os.stat(os.path.join(os.path.dirname(path), FOLDER_DEFAULTS))
    except OSError:
        return stat, False
    fields = list(stat)
    fields[_ST_SIZE] = stat.st_size + ((defaults.st_size + 1) << 32)
    return os.stat_result(fields, {"st_mtime_ns": max(stat.st_mtime_ns, defaults.st_mtime_ns)}), True


def read_defaults(path: str, limits: ReadLimits = ANY_FOLDER) -> dict[str, Any]:
    """A folder's ``frontmatter.yaml``: a mapping read as Grav reads YAML files."""
    text = decode_page(read_content_file(path, limits), path)
    return _mapping(text, path, first_line=1, what="frontmatter.yaml")


def replace_recursive(base: dict[Any, Any], override: dict[Any, Any]) -> dict[Any, Any]:
    """PHP's array_replace_recursive(base, override) for YAML values."""
    merged = dict(base)
    for key, value in override.items():
        current = merged.get(key)
        if isinstance(value, (dict, list)) and isinstance(current, (dict, list)):
            merged[key] = _replace_arrays(current, value)
        else:
            merged[key] = value
    return merged


def _replace_arrays(base: dict[Any, Any] | list[Any], override: dict[Any, Any] | list[Any]) -> Any:
    if isinstance(base, list) and isinstance(override, list):
        # A PHP list is keyed 0..n-1: the override replaces items by position.
        merged = replace_recursive(dict(enumerate(base)), dict(enumerate(override)))
        return [merged[index] for index in range(len(merged))]
    as_dict = [dict(enumerate(side)) if isinstance(side, list) else side for side in (base, override)]
    return replace_recursive(as_dict[0], as_dict[1])


def read_page_text(path: str | Path, limits: ReadLimits = ANY_FOLDER) -> str:
    """The text of a page file: UTF-8 (a BOM is dropped), line endings made \\n."""
    return decode_page(read_content_file(path, limits), path)


def decode_page(raw: bytes, path: str | Path) -> str:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise ContentError(f"{path}:{line}: {not_utf8(raw, exc)}") from None
    # Windows editors leave CRLF (and old Macs CR); everything below sees \n only. (Looked for
    # in the bytes, where it costs a memchr: most files have none, and 10,000 texts are 30 MB.)
    return text.replace("\r\n", "\n").replace("\r", "\n") if b"\r" in raw else text


def split_front_matter(text: str, path: str | Path) -> tuple[dict[str, Any], str]:
    stripped = text.lstrip()  # Grav allows blank lines before the opening '---'
    if not _BOUNDARY.match(stripped):
        raise ContentError(f"{path}: no front matter (the file must start with a '---' line)")
    parts = _BOUNDARY.split(stripped, 2)
    if len(parts) != 3:
        raise ContentError(f"{path}: front matter is not closed by a '---' line")
    _, front, body = parts
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
    return _mapping(front, path, first_line, "front matter")


def _mapping(text: str, path: str | Path, first_line: int, what: str) -> dict[str, Any]:
    try:
        data = load_yaml(text)
    except YamlRefused as exc:
        raise ContentError(f"{path}: {what} {exc}") from None
    except yaml.YAMLError as exc:
        line, problem = yaml_problem(exc)
        where = f":{first_line + line - 1}" if line is not None else ""
        raise ContentError(f"{path}{where}: {what} is not valid YAML: {problem}") from None
    except ValueError as exc:
        raise ContentError(f"{path}: {what} has an impossible value: {exc}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ContentError(f"{path}: {what} must be a mapping of keys, not a {type(data).__name__}")
    return data

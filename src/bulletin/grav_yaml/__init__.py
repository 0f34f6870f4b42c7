"""YAML as Grav reads it, safely; a YAML error -> (line, problem) for one clear message.

Grav reads a page header with Symfony YAML and, when that refuses it, with an older
lenient parser (Symfony 2.8's, kept in RocketTheme's toolbox). So headers that strict
YAML refuses still work on a Grav site: ``items: @self.children``, backticks, a tab
after ``key:``, ``title: Foo: Bar``, a key given twice (the first one wins). bulletin
reads a header of the everyday shape with its own line reader (simple.py), any other with
libyaml (fast, safe), both with Symfony's scalar types; only a header that libyaml refuses
is repaired the way the lenient parser reads it (yaml_repair).
"""

from __future__ import annotations

from typing import Any

import yaml

from .repair import repaired
from .scalars import symfony_scalar
from .simple import read_simple

# The C loader reads 10,000 headers in a fraction of what the Python one needs; both are safe.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_PLAIN_TAG = "tag:bulletin,2026:plain"
MAX_DEPTH = 200  # Grav headers nest a few levels; libyaml's composer recurses and can crash far deeper


class YamlRefused(ValueError):
    """YAML that is well formed but not accepted: aliases (they can expand without limit),
    or nesting deeper than any header needs."""


class _GravLoader(_LOADER):  # type: ignore[misc,valid-type]
    """The safe loader, with plain scalars typed by Symfony's rules and the first of
    two equal keys kept, as Grav's parsers do."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        if kind is yaml.ScalarNode and implicit[0] and value != "<<":  # "<<" is the merge key
            return _PLAIN_TAG
        return super().resolve(kind, value, implicit)

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> Any:
        # Most mappings have no key text twice; one set of the texts tells, and only a
        # mapping that has one is copied without the later keys.
        texts = [key_node.value for key_node, _ in node.value if isinstance(key_node, yaml.ScalarNode)]
        if len(set(texts)) < len(texts):
            node.value = _first_of_each_key(node.value)
        return super().construct_mapping(node, deep=deep)


def _first_of_each_key(pairs: list[tuple[yaml.Node, yaml.Node]]) -> list[tuple[yaml.Node, yaml.Node]]:
    """``pairs`` without a key (same tag, same text) already given: Grav's lenient parser
    keeps the first (Symfony 5 refuses the header). Merge keys ("<<") all stay."""
    seen: set[tuple[str, str]] = set()
    kept = []
    for key_node, value_node in pairs:
        if isinstance(key_node, yaml.ScalarNode) and key_node.tag != "tag:yaml.org,2002:merge":
            key = (key_node.tag, key_node.value)
            if key in seen:
                continue
            seen.add(key)
        kept.append((key_node, value_node))
    return kept


def _construct_plain(loader: yaml.BaseLoader, node: yaml.ScalarNode) -> Any:
    return symfony_scalar(node.value)


_GravLoader.add_constructor(_PLAIN_TAG, _construct_plain)


def yaml_problem(exc: yaml.YAMLError) -> tuple[int | None, str]:
    """(1-based line in the YAML text or None, what is wrong) of a PyYAML error."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or "invalid YAML"
    return (mark.line + 1 if mark is not None else None), problem


def load_yaml(text: str) -> Any:
    """The value ``text`` holds, read as Grav reads a header.

    Raises yaml.YAMLError (bad YAML, reported where libyaml first stumbled),
    YamlRefused (aliases, too deep), or ValueError for an impossible date (2025-02-30).
    """
    simple = read_simple(text)  # the everyday shape, without PyYAML's Python-side cost
    if simple is not None:
        return simple
    _inspect(text)
    try:
        return _load(text)
    except yaml.YAMLError as first_error:
        fixed = repaired(text, first_error, _LOADER)
        if fixed is None:
            raise
        _inspect(fixed)
        return _load(fixed)


def _load(text: str) -> Any:
    try:
        return yaml.load(text, Loader=_GravLoader)  # noqa: S506 - a safe loader
    except RecursionError:
        raise YamlRefused(f"is nested more than {MAX_DEPTH} levels deep") from None


def _inspect(text: str) -> None:
    """Refuse aliases and deep nesting before anything is built.

    Aliases let a few lines expand into gigabytes ("billion laughs"); Grav headers
    never need them. Both checks walk libyaml's events, which costs a second parse,
    so they run only on text that could hold either.
    """
    aliases = "&" in text and "*" in text
    could_be_deep = len(text) > 20_000 or sum(text.count(c) for c in "[{-?") > MAX_DEPTH
    if not (aliases or could_be_deep):
        return
    depth = 0
    try:
        for event in yaml.parse(text, Loader=_LOADER):
            if isinstance(event, yaml.AliasEvent):
                raise YamlRefused("uses YAML aliases, which are not allowed")
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    raise YamlRefused(f"is nested more than {MAX_DEPTH} levels deep")
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.YAMLError:
        return  # the real load reports the syntax error with its line

"""YAML text -> Python values, safely; a YAML error -> (line, problem) for one clear message."""

from __future__ import annotations

from typing import Any

import yaml

# The C loader reads 10,000 headers in a fraction of what the Python one needs; both are safe.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class YamlRefused(ValueError):
    """YAML that is well formed but not accepted (aliases, which can expand without limit)."""


def yaml_problem(exc: yaml.YAMLError) -> tuple[int | None, str]:
    """(1-based line in the YAML text or None, what is wrong) of a PyYAML error."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or "invalid YAML"
    return (mark.line + 1 if mark is not None else None), problem


def load_yaml(text: str) -> Any:
    """The value ``text`` holds.

    Raises yaml.YAMLError for bad YAML, YamlRefused for aliases, and ValueError for
    an impossible date (PyYAML builds dates itself and raises a bare ValueError for
    2025-02-30).
    """
    if "&" in text and "*" in text and _has_alias(text):
        # Aliases let a few lines expand into gigabytes ("billion laughs"); Grav
        # headers never need them, so they are refused before anything is built.
        raise YamlRefused("YAML aliases are not allowed")
    return yaml.load(text, Loader=_LOADER)  # noqa: S506 - a safe loader


def _has_alias(text: str) -> bool:
    try:
        return any(isinstance(event, yaml.AliasEvent) for event in yaml.parse(text, Loader=_LOADER))
    except yaml.YAMLError:
        return False  # the real load reports the syntax error with its line

"""The W3C feed validator (w3c/feedvalidator, run offline from its source) on feed files.

The validator is not on PyPI: its source folder is found through $BULLETIN_FEEDVALIDATOR
(the folder holding the ``feedvalidator`` package, ``src/`` in a checkout), else in
shared/tools beside the repository, where the team's validate-feeds keeps it and CI has it.
It runs in a child process because importing it replaces the socket module's default timeout
for the whole interpreter.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

VALIDATOR_ENV = "BULLETIN_FEEDVALIDATOR"
ROOT = Path(__file__).resolve().parent.parent
PLACES = (ROOT.parent / "shared" / "tools",)

# The child: each file validated with its self link as its location (as the web
# service does when given the URL), every warning and error as one JSON object.
_RUNNER = r"""
import json, re, sys
sys.path.insert(0, sys.argv[1])
import feedvalidator
from feedvalidator import compatibility
from feedvalidator.formatter.text_plain import Formatter
from feedvalidator.logging import Error, Warning

out = {}
for name in sys.argv[2:]:
    data = open(name, "rb").read()
    m = re.search(rb'<atom:link href="([^"]+)" rel="self"|<link href="([^"]+)" rel="self"', data)
    base = (m.group(1) or m.group(2)).decode() if m else "http://example.invalid/"
    result = feedvalidator.validateString(data, firstOccurrenceOnly=1, base=base)
    events = compatibility.AA(result["loggedEvents"])
    out[name] = [
        {
            "level": "error" if isinstance(event, Error) else "warning",
            "name": type(event).__name__,
            "line": int(event.params.get("line", 0)),
            "element": str(event.params.get("element", "")),
            "message": text,
        }
        for event, text in zip(events, Formatter(events))
        if isinstance(event, (Error, Warning))
    ]
json.dump(out, sys.stdout)
"""


@dataclass(frozen=True)
class Problem:
    level: str  # "error" or "warning"
    name: str  # the validator's own name, e.g. MediaGroupWithoutAlternatives
    line: int
    element: str
    message: str


def validator_source() -> Path:
    """The folder holding the validator's package; skips the test when there is none."""
    pytest.importorskip("html5lib", reason="the W3C feed validator needs html5lib (test extras)")
    pytest.importorskip("rdflib", reason="the W3C feed validator needs rdflib (test extras)")
    configured = os.environ.get(VALIDATOR_ENV)
    for folder in (*([Path(configured)] if configured else []), *PLACES):
        if (folder / "feedvalidator" / "__init__.py").is_file():
            return folder
    pytest.skip(f"no W3C feed validator: set ${VALIDATOR_ENV}, or keep ../shared/tools beside the repo")


def validate(paths: Sequence[Path]) -> dict[Path, list[Problem]]:
    """Every error and warning the validator reports, per file."""
    source = validator_source()
    done = subprocess.run(
        [sys.executable, "-c", _RUNNER, str(source), *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    return {Path(name): [Problem(**problem) for problem in problems] for name, problems in found.items()}

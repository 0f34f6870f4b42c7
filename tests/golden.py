"""Golden files: output compared byte for byte with a committed copy, as Pelican does.

A difference fails with a unified diff of the two texts; ``pytest --update-golden`` writes
this run's output over the committed copies instead (then review ``git diff tests/golden``).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

import pytest

GOLDEN = Path(__file__).parent / "golden"
DIFF_LINES = 80  # enough to see what changed; the rest is in the files themselves


@dataclass(frozen=True)
class Golden:
    folder: Path
    update: bool = False

    def check(self, name: str, actual: bytes) -> None:
        """``actual`` must equal ``folder/name`` byte for byte."""
        path = self.folder / name
        if self.update:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(actual)
            return
        if not path.exists():
            pytest.fail(f"no golden file {path}; run pytest --update-golden to write it", pytrace=False)
        expected = path.read_bytes()
        if actual != expected:
            pytest.fail(f"{name} differs from {path}:\n{diff(expected, actual, name)}", pytrace=False)


def diff(expected: bytes, actual: bytes, name: str) -> str:
    """A unified diff, cut to DIFF_LINES; bytes that are not UTF-8 show as escapes."""
    old = expected.decode("utf-8", "backslashreplace").splitlines(keepends=True)
    new = actual.decode("utf-8", "backslashreplace").splitlines(keepends=True)
    lines = list(difflib.unified_diff(old, new, f"golden/{name}", f"built/{name}"))
    if not lines:  # same text, other bytes (line ends, a BOM): show the first difference
        pairs = zip(expected, actual, strict=False)
        at = next((i for i, (a, b) in enumerate(pairs) if a != b), min(len(expected), len(actual)))
        return f"same lines, other bytes at {at}: {expected[at : at + 20]!r} != {actual[at : at + 20]!r}"
    shown = "".join(lines[:DIFF_LINES])
    if len(lines) > DIFF_LINES:
        shown += f"... {len(lines) - DIFF_LINES} more diff lines\n"
    return shown + "(if the change is intended: pytest --update-golden, then review git diff tests/golden)"

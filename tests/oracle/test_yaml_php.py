"""bulletin's reading of page headers against Symfony YAML's (the parser Grav reads them with).

Hypothesis draws batches of front matter blocks shaped like Grav posts' (titles in Russian
and Kazakh, every quoting style, dates, taxonomy lists flow and block, ``content.items`` in
each collection form quoted and unquoted, booleans in every spelling, numbers, nested maps,
tabs, comments); one PHP process reads each batch. Every block must read the same on both
sides, or be refused by both. Symfony refuses what Grav's lenient fallback parser accepts
(``@self.children`` unquoted, ``title: Foo: Bar``, a key given twice); for those the
generator also writes a twin with those scalars quoted (and the later key dropped), which
is what Grav ends up with, and bulletin's reading of the block must equal Symfony's of the twin.
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
import math
import random
import shutil
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bulletin.errors import ContentError
from bulletin.site.frontmatter import parse_header, replace_recursive

from .yaml_blocks import Block, random_block

pytestmark = pytest.mark.skipif(
    shutil.which("php") is None or not Path("/usr/share/php/Symfony/Component/Yaml").is_dir(),
    reason="php or Symfony YAML is not installed (.ci/run installs php-cli and php-symfony-yaml): "
    "the Grav YAML oracle did not run",
)

SCRIPT = Path(__file__).with_name("yaml_headers.php")
BATCH = 250
EXAMPLES = 90  # 22,500 blocks
TALLY: Counter[str] = Counter()


def portable(value: Any) -> Any:
    """``value`` as PHP's json_encode writes it: dates as the Unix time Symfony gives
    (read as UTC), infinities as markers, PHP arrays with keys 0..n-1 as lists."""
    if isinstance(value, dt.datetime):
        return calendar.timegm(value.utctimetuple() if value.tzinfo else value.timetuple())
    if isinstance(value, dt.date):
        return calendar.timegm(value.timetuple())
    if isinstance(value, float) and not math.isfinite(value):
        return "__nan__" if math.isnan(value) else ("__inf__" if value > 0 else "__-inf__")
    if isinstance(value, list):
        return [portable(item) for item in value]
    if isinstance(value, dict):
        items = {str(key): portable(item) for key, item in value.items()}
        return list(items.values()) if list(items) == [str(i) for i in range(len(items))] else items
    return value


def php_side(value: Any) -> Any:
    if isinstance(value, dict):
        items = {key: php_side(item) for key, item in value.items()}
        return list(items.values()) if list(items) == [str(i) for i in range(len(items))] else items
    if isinstance(value, list):
        return [php_side(item) for item in value]
    return value


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def bulletin_reads(block: Block) -> tuple[str, Any]:
    try:
        # The leading newline is what the '---' splitter leaves, as in a real page file.
        return "ok", portable(parse_header("\n" + block.header, "post.md"))
    except ContentError as exc:
        return "refused", str(exc)


def verdict(block: Block, php: list[Any]) -> str:
    """How the two readings of one block compare: a tally key, 'DISAGREE:...' for a failure."""
    ours = bulletin_reads(block)
    if php[0] == "ok":
        expected: tuple[str, Any] = ("ok", php_side(php[1]))
        kind = "same"
    elif len(php) > 2 and php[2][0] == "ok":
        expected, kind = ("ok", php_side(php[2][1])), "lenient (Symfony refuses, Grav's fallback reads)"
    else:
        expected, kind = ("refused", php[1]), "both refuse"
    if ours[0] == expected[0] == "refused":
        return kind
    if block.impossible_date and ours[0] == "refused" and "impossible value" in ours[1]:
        return "documented: an impossible date (Feb 30) is an error, where PHP rolls it into March"
    if ours[0] == expected[0] and canonical(ours[1]) == canonical(expected[1]):
        return kind
    return f"DISAGREE: {kind}"


def run_php(blocks: list[Block]) -> list[list[Any]]:
    pairs = [[block.header, block.twin] for block in blocks]
    done = subprocess.run(
        ["php", str(SCRIPT)], input=json.dumps(pairs), capture_output=True, text=True, timeout=120, check=True
    )
    results: list[list[Any]] = json.loads(done.stdout)
    assert len(results) == len(blocks), done.stderr
    return results


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(min_value=0, max_value=2**32 - 1))
def test_headers_read_as_symfony_reads_them(seed: int) -> None:
    chance = random.Random(seed)
    blocks = [random_block(chance) for _ in range(BATCH)]
    failures = []
    for block, php in zip(blocks, run_php(blocks), strict=True):
        outcome = verdict(block, php)
        TALLY[outcome] += 1
        if outcome.startswith("DISAGREE"):
            failures.append((block.header, php, bulletin_reads(block)))
    assert not failures, "\n\n".join(
        f"{header!r}\n  php: {php!r}\n  ours: {ours!r}" for header, php, ours in failures[:3]
    )


def test_the_tally_covers_every_kind() -> None:
    """Runs after the property test (file order): the batch figures, and proof that the
    generator reaches each kind of block."""
    if not TALLY:
        pytest.skip("run with the property test to see the tally")
    print("\nYAML oracle:", sum(TALLY.values()), "blocks;", dict(TALLY))
    assert sum(TALLY.values()) >= 20_000
    assert (
        TALLY["same"] and TALLY["lenient (Symfony refuses, Grav's fallback reads)"] and TALLY["both refuse"]
    )


# frontmatter.yaml merges as PHP's array_replace_recursive -------------------------------------

KEYS = st.sampled_from(("title", "taxonomy", "tag", "category", "feed", "limit", "тақырып", "a"))
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.sampled_from(("x", "Қазақ", "новости")))
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=3),
    max_leaves=8,
)
HEADERS = st.dictionaries(KEYS, VALUES, max_size=4)


@settings(max_examples=60, deadline=None)
@given(pairs=st.lists(st.tuples(HEADERS, HEADERS), min_size=1, max_size=40))
def test_frontmatter_yaml_merges_as_array_replace_recursive(
    pairs: list[tuple[dict[str, Any], dict[str, Any]]],
) -> None:
    done = subprocess.run(
        ["php", str(SCRIPT.with_name("replace_recursive.php"))],
        input=json.dumps(pairs),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    for (base, override), php in zip(pairs, json.loads(done.stdout), strict=True):
        assert canonical(portable(replace_recursive(base, override))) == canonical(php_side(php)), (
            base,
            override,
        )

"""bulletin's reading of Grav's ``published`` header against PHP's: Symfony YAML, then (bool).

The one documented difference: text that YAML 1.1 reads as false (``published: no``, ``off``,
``'false'``) is true to PHP's cast of Symfony's text, false to PHP's yaml extension (which Grav
tries first where it is installed); bulletin keeps such a page out and `check` warns.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from bulletin.site.flags import published_flag, published_note
from bulletin.site.frontmatter import parse_header

pytestmark = pytest.mark.skipif(
    shutil.which("php") is None or not Path("/usr/share/php/Symfony/Component/Yaml").is_dir(),
    reason="php or Symfony YAML is not installed (.ci/run installs php-cli and php-symfony-yaml): "
    "the published-header oracle did not run",
)

SCRIPT = Path(__file__).with_name("published.php")
# Every spelling a page's `published:` is likely to meet: YAML's booleans in each case, quoted
# words, numbers, empty values, lists, maps, dates, Russian and Kazakh words.
VALUES = [
    "true", "false", "True", "FALSE", "yes", "no", "Yes", "NO", "on", "off", "Off", "y", "n", "N",
    "'false'", '"no"', "'off'", "'true'", "'yes'", "0", "1", "-1", "'0'", "'1'", "''", '""', "' '",
    "0.0", "0.5", "1e3", "0x0", "0o0", "null", "~", "", "[]", "[false]", "{}", "{a: 0}",
    "draft", "'draft'", "2026-01-01", "'2026-01-01'", "нет", "жоқ", "'нет'", "'0.0'", "' 0'",
    "\"false \"", "!!str false",
]  # fmt: skip
YAML11_FALSE_TEXT = {"false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF", "n", "N"}


def headers() -> list[str]:
    return [f"title: Пост\ndate: '2026-01-01 10:00'\npublished: {value}\n" for value in VALUES]


def test_published_reads_as_grav_reads_it() -> None:
    texts = headers()
    run = subprocess.run(
        ["php", str(SCRIPT)], input=json.dumps(texts), capture_output=True, text=True, check=True
    )
    grav = json.loads(run.stdout)
    assert len(grav) == len(texts)
    differences = []
    for value, text, expected in zip(VALUES, texts, grav, strict=True):
        raw = parse_header(text, "item.md").get("published")
        ours = published_flag(raw)
        if ours == expected:
            continue
        documented = isinstance(raw, str) and raw in YAML11_FALSE_TEXT and expected and not ours
        assert documented, f"published: {value} -> bulletin {ours}, Grav {expected} (read as {raw!r})"
        differences.append(value)
        assert published_note("item.md", raw) is not None  # check says so
    # The YAML 1.1 false words given as text are the only differences, and there are some.
    assert differences and all(
        value.strip("'\"") in YAML11_FALSE_TEXT or "!!str" in value for value in differences
    )
    print(
        f"\npublished oracle: {len(texts)} spellings, {len(differences)} documented differences:",
        differences,
    )

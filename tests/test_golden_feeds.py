"""The sample site's feeds, byte for byte: what a feed reader receives must not change unnoticed.

The sample site is the one at the repository root: config.yaml, content/ (a Grav user/
tree) and templates/, whichever of SITE_PARTS exist. It is copied into a temporary folder and built
with `bulletin build` at the fixed moment NOW; each of the three feeds must equal its
committed copy under tests/golden/sample_site/.

When a change to the output is intended (a new feed element, a fix in rendering, a new
post or a converted sample site), regenerate the copies and review them:

    PYTHONPATH=$PWD/src pytest tests/test_golden_feeds.py --update-golden
    git diff tests/golden
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from bulletin.cli import main

from .golden import Golden

REPOSITORY = Path(__file__).resolve().parent.parent
# Whatever of these the repository root has makes up the sample site.
SITE_PARTS = ("config.yaml", "logo.png", "content", "templates", "user")
# After every dated post of the sample site but the one scheduled for 2027.
NOW = "2026-12-01T09:00:00+05:00"
# The root feeds are the Russian (default) version's; the Kazakh version's are under kk/.
FEEDS = ("feed.xml", "atom.xml", "feed.json", "kk/feed.xml", "kk/atom.xml", "kk/feed.json")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample site built at NOW; returns its output folder."""
    site = tmp_path_factory.mktemp("sample_site")
    for name in SITE_PARTS:
        part = REPOSITORY / name
        if part.is_dir():
            shutil.copytree(part, site / name)
        elif part.exists():
            shutil.copy2(part, site / name)
    result = CliRunner().invoke(main, ["build", "--config", str(site / "config.yaml"), "--now", NOW])
    assert result.exit_code == 0, result.output
    return site / "public"


@pytest.mark.parametrize("name", FEEDS)
def test_sample_site_feed_matches_its_golden_file(built: Path, golden: Golden, name: str) -> None:
    golden.check(f"sample_site/{name}", (built / name).read_bytes())

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

from pathlib import Path

import pytest
from click.testing import CliRunner

from bulletin.cli import main

from .feed_site import copy_sample_site
from .golden import Golden

# After every dated post of the sample site but the one scheduled for 2027.
NOW = "2026-12-01T09:00:00+05:00"
# The root feeds are the Russian (default) version's; the Kazakh version's are under kk/.
FEEDS = ("feed.xml", "atom.xml", "feed.json", "kk/feed.xml", "kk/atom.xml", "kk/feed.json")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample site built at NOW; returns its output folder."""
    site = tmp_path_factory.mktemp("sample_site")
    config = copy_sample_site(site)
    result = CliRunner().invoke(main, ["build", "--config", str(config), "--now", NOW])
    assert result.exit_code == 0, result.output
    return site / "public"


@pytest.mark.parametrize("name", FEEDS)
def test_sample_site_feed_matches_its_golden_file(built: Path, golden: Golden, name: str) -> None:
    golden.check(f"sample_site/{name}", (built / name).read_bytes())

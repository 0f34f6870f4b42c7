"""SpamAssassin, as many receiving servers run it, reads the sample site's digest.

The goal is a score of at most 0 on its own merits: with no Received headers the message earns no
ALL_TRUSTED bonus, so the score is the content and list headers alone. Skips where Debian's
spamassassin is not installed (.ci/run installs it).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from bulletin.cli import main

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.skipif(shutil.which("spamassassin") is None, reason="Debian's spamassassin is not installed")
def test_the_sample_digest_scores_at_most_zero(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BULLETIN_SECRET", "spam-score-test-secret-0123456789")
    result = CliRunner().invoke(
        main,
        [
            "preview",
            "--config",
            str(REPO / "config.yaml"),
            "--now",
            "2026-11-26T12:00",
            "--out",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 0, result.output
    message = (tmp_path / "digest.eml").read_bytes()

    # -L: local tests only (no DNS or network checks); -t: report the score even below the threshold.
    checked = subprocess.run(["spamassassin", "-L", "-t"], input=message, capture_output=True, timeout=120)
    report = checked.stdout.decode("utf-8", "replace")
    status = re.search(
        r"^X-Spam-Status: \w+, score=(-?[0-9.]+) required=[0-9.]+ tests=([^\n]*(?:\n\t[^\n]*)*)", report, re.M
    )
    assert status, report[-2000:]
    score, rules = float(status.group(1)), re.split(r"[,\s]+", status.group(2).strip())

    assert "ALL_TRUSTED" not in rules
    assert "HTML_FONT_LOW_CONTRAST" not in rules  # the hidden preheader is hidden, not coloured away
    assert score <= 0, report[report.find("Content analysis details") :]

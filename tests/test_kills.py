"""SIGKILL `bulletin send` at random moments and rerun it: nothing lost, nothing sent twice.

A short run by default; BULLETIN_KILL_SEQUENCES=200 (and BULLETIN_KILL_BUDGET, in
seconds) makes it a long one. bench/chaos.py runs the same loop and prints figures.
"""

from __future__ import annotations

import os
from pathlib import Path

from .kill_loop import run_sequences
from .smtp_server import SmtpServer

SEQUENCES = int(os.environ.get("BULLETIN_KILL_SEQUENCES", "12"))
BUDGET = float(os.environ.get("BULLETIN_KILL_BUDGET", "45"))


def test_kill_at_every_step_loses_nothing_and_duplicates_only_in_flight(
    tmp_path: Path, smtp_server: SmtpServer, secret: str
) -> None:
    connections = 2
    figures = run_sequences(tmp_path / "site", smtp_server, SEQUENCES, BUDGET, connections=connections)

    assert figures.problems == [], figures.summary()
    assert figures.kills >= min(SEQUENCES - 1, 5), figures.summary()
    assert figures.lost == 0
    assert figures.max_in_flight <= connections
    assert figures.duplicated <= figures.in_flight <= figures.kills * connections

"""SIGKILL `bulletin send` at random moments and rerun it: nothing lost, nothing sent twice.

The loop is bench/chaos.py (its driver and checks in bench/kill_loop.py), run here as the
program it is, for a short while; BULLETIN_KILL_SEQUENCES=200 (and BULLETIN_KILL_BUDGET, in
seconds) makes it a long one.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

CHAOS = Path(__file__).resolve().parent.parent / "bench" / "chaos.py"
SEQUENCES = int(os.environ.get("BULLETIN_KILL_SEQUENCES", "12"))
BUDGET = float(os.environ.get("BULLETIN_KILL_BUDGET", "45"))


def test_kill_at_every_step_loses_nothing_and_duplicates_only_in_flight() -> None:
    connections = 2
    words = ["--sequences", str(SEQUENCES), "--budget", str(BUDGET), "--connections", str(connections)]
    run = subprocess.run(
        [sys.executable, str(CHAOS), *words, "--json"], capture_output=True, text=True, timeout=BUDGET + 120
    )
    assert run.stdout, run.stderr
    figures = json.loads(run.stdout)
    summary = f"{figures}\n{run.stderr}"

    assert (figures["problems"], run.returncode) == ([], 0), summary
    assert figures["kills"] >= min(SEQUENCES - 1, 5), summary
    assert figures["lost"] == 0
    assert figures["max_in_flight"] <= connections
    assert figures["duplicated"] <= figures["in_flight"] <= figures["kills"] * connections

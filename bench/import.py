#!/usr/bin/env python3
"""Benchmark `bulletin subscribers import` on a large CSV file: wall time and peak memory.

Run it from the repository root (after `pip install -e .`, or with PYTHONPATH=src):

    python bench/import.py                 # 1,000,000 rows
    python bench/import.py --rows 200000

This is a benchmark, not a test: it prints figures and never fails on them.

The file: an `email,name` header, then ROWS rows over 50 domains (a few Cyrillic
and Kazakh names, one internationalised domain), 1 row in 1000 an invalid address,
1 in 500 a repeat of an earlier address. The import runs as a child process; wall
time is measured around it and peak RSS read from `os.wait4`. A second run of the
same file shows what a resumed import costs (every address already present).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

NAMES = ("Анна Иванова", "Айгүл Сәрсенова", "John Smith", "", "Ерлан", "Мария")
DOMAINS = [f"mail{n}.example.org" for n in range(48)] + ["clinic.kz", "почта.рф"]


def write_csv(path: Path, rows: int) -> None:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        handle.write("email,name\r\n")
        for n in range(rows):
            if n % 1000 == 999:
                handle.write(f"not-an-address-{n},Broken\r\n")
                continue
            number = n - 7 if n % 500 == 499 else n  # a repeat of an earlier row
            domain = DOMAINS[number % len(DOMAINS)]
            handle.write(f"user.{number}@{domain},{NAMES[number % len(NAMES)]}\r\n")


def bulletin() -> list[str]:
    script = shutil.which("bulletin")
    return [script] if script else [sys.executable, "-c", "from bulletin.cli import main; main()"]


def run_import(config: Path, csv_file: Path) -> tuple[float, float, str]:
    """(seconds, peak RSS in MB, the summary line) of one import in a child process."""
    command = [*bulletin(), "subscribers", "import", "--config", str(config), str(csv_file)]
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
        _, _, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        out.seek(0)
        summary = out.read().splitlines()[-1]
    return seconds, usage.ru_maxrss / 1024, summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        config = root / "config.yaml"
        config.write_text(
            "site: {title: Clinic, url: 'https://clinic.example'}\n"
            "store: {path: bulletin.db}\ndigest: {from: news@clinic.example}\n",
            encoding="utf-8",
        )
        csv_file = root / "list.csv"
        write_csv(csv_file, args.rows)
        size = csv_file.stat().st_size / 1e6
        print(f"{args.rows:,} rows, {size:.1f} MB")
        for label in ("first import", "same file again"):
            seconds, peak, summary = run_import(config, csv_file)
            print(f"{label:16s} {seconds:6.1f} s  peak RSS {peak:5.0f} MB  {summary}")


if __name__ == "__main__":
    main()

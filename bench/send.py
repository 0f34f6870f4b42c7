#!/usr/bin/env python3
"""Benchmark `bulletin send` against Postfix's smtp-source, both sending into smtp-sink.

Run it from the repository root (after `pip install -e .`):

    python bench/send.py               # 20,000 subscribers at 1/8/32 connections; 100,000 at 8
    python bench/send.py --repeat 2    # best of two runs per row (a busy machine is noisy)
    python bench/send.py --subscribers 5000 --skip-big

This is a benchmark, not a test: it prints figures and never fails on them.

It needs Postfix's test tools `smtp-sink` and `smtp-source` (Debian package
`postfix`; the mail daemon itself is not used and not started). When they are
missing and the script runs as root it installs them with

    apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y postfix

otherwise it stops and prints that command.

What one run does:

* starts `smtp-sink` on 127.0.0.1 and a free port; it accepts every message and
  throws it away, and advertises PIPELINING like a real MTA;
* writes a temporary site (config.yaml, a handful of posts of mixed Russian and
  English text, so the digest has a realistic size) and a store with N active
  subscribers (half of them with a Cyrillic display name), inserted in one
  transaction through `bulletin.store.sqlite.SqliteStore`;
* runs `bulletin preview` once to learn the real size of one message;
* for every connection count (1, 8, 32) copies that store, runs
  `bulletin send` as a child process (smtp.connections set accordingly) and
  measures wall time around fork/exec and `os.wait4`, and peak RSS from
  `ru_maxrss`; the wall time includes Python start-up, reading the posts and
  composing the digest, so the rate is for the whole command. bulletin's own
  summary line (delivery rate after start-up) is shown beside it;
* times `smtp-source -d -s SESSIONS -m N -l SIZE` sending N messages of the same
  size to the same sink with the same number of sessions (`-d`: one persistent
  connection per session, as bulletin does);
* with `--big` subscribers (default 100,000) runs `bulletin send` once more at 8
  connections, for peak memory.

Standard library plus bulletin itself (for the store); nothing else.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import sysconfig
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

NOW = "2026-01-01T00:00:00+03:00"
SITE_URL = "https://bench.example"
SECRET = "bench-secret-0123456789abcdef"
CONNECTIONS = (1, 8, 32)
SENDER = "news@bench.example"

PARAGRAPH_RU = (
    "Центр гематологии сообщает о новом расписании приёма специалистов. Запись на "
    "консультацию открыта по телефону и на сайте; результаты анализов можно получить "
    "в лаборатории на первом этаже с понедельника по субботу. "
)
PARAGRAPH_EN = (
    "The donor service opens an extra morning session every Saturday this month; "
    "bring an identity document and have a light breakfast before you come. "
)


def find_tool(name: str) -> str | None:
    for folder in ("/usr/sbin", "/usr/bin", "/sbin"):
        path = Path(folder) / name
        if path.exists():
            return str(path)
    return shutil.which(name)


def ensure_postfix_tools() -> tuple[str, str]:
    sink, source = find_tool("smtp-sink"), find_tool("smtp-source")
    if sink and source:
        return sink, source
    command = "apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y postfix"
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        sys.exit(f"smtp-sink/smtp-source not found; install Debian's postfix package:\n  {command}")
    print(f"installing postfix test tools: {command}", flush=True)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env, stdout=subprocess.DEVNULL)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "postfix"],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    sink, source = find_tool("smtp-sink"), find_tool("smtp-source")
    if not (sink and source):
        sys.exit("postfix is installed but smtp-sink/smtp-source are still missing")
    return sink, source


def find_bulletin() -> list[str]:
    # The console script next to this interpreter, not a pyenv shim (a shim adds a bash start-up).
    script = Path(sysconfig.get_path("scripts")) / "bulletin"
    if script.exists():
        return [str(script)]
    found = shutil.which("bulletin")
    return [found] if found else [sys.executable, "-m", "bulletin"]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                sock.recv(100)  # the greeting
                return
        except OSError:
            time.sleep(0.05)
    sys.exit(f"smtp-sink did not listen on port {port}")


# --------------------------------------------------------------------------- site


def write_site(root: Path, posts: int, port: int, connections: int) -> Path:
    blog = root / "content" / "01.blog"
    for number in range(1, posts + 1):
        folder = blog / f"{number:02d}.post-{number}"
        folder.mkdir(parents=True, exist_ok=True)
        title = (
            f"Новости центра № {number}: расписание и донорские дни"
            if number % 2
            else f"Clinic news {number}"
        )
        body = "\n\n".join((PARAGRAPH_RU * 3 if (number + i) % 2 else PARAGRAPH_EN * 3) for i in range(4))
        summary = (PARAGRAPH_RU if number % 2 else PARAGRAPH_EN) * 2
        (folder / "item.md").write_text(
            "---\n"
            f"title: '{title}'\n"
            f"date: '{number:02d}-12-2025 10:00'\n"
            "taxonomy:\n    tag: [news, донорство]\n"
            "---\n\n"
            f"{summary}\n\n===\n\n"
            f"![photo](https://bench.example/images/{number}.jpg)\n\n{body}\n",
            encoding="utf-8",
        )
    write_config(root, port, connections)
    return root / "config.yaml"


def write_config(root: Path, port: int, connections: int, store: str = "state/bulletin.db") -> Path:
    path = root / "config.yaml"
    path.write_text(
        "site:\n"
        "  title: 'Bench — новости'\n"
        f"  url: '{SITE_URL}'\n"
        "  language: ru\n"
        "  timezone: Europe/Moscow\n"
        "content:\n  dir: content\n"
        f"store:\n  path: {store}\n"
        "digest:\n"
        f"  from: 'Bench News <{SENDER}>'\n"
        "  start: '2025-01-01'\n"
        "smtp:\n"
        "  host: 127.0.0.1\n"
        f"  port: {port}\n"
        "  security: none\n"
        f"  connections: {connections}\n"
        "  rate_per_second: 0\n"
        "  max_attempts: 3\n"
        "  retry_delay: 0.1\n",
        encoding="utf-8",
    )
    return path


def make_store(path: Path, count: int) -> None:
    from bulletin.store.sqlite import SqliteStore

    path.parent.mkdir(parents=True, exist_ok=True)
    with SqliteStore(path) as store, store.transaction():
        for i in range(count):
            name = f"Читатель {i}" if i % 2 else None
            store.add_subscriber(f"reader{i:06d}@example.org", name)


# --------------------------------------------------------------------------- runs


@dataclass
class Run:
    wall: float
    peak_mb: float
    returncode: int
    output: str


def run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> Run:
    log = cwd / f"run-{time.monotonic_ns()}.log"
    with open(log, "wb") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    # Linux reports ru_maxrss in KiB.
    return Run(wall, usage.ru_maxrss / 1024, proc.returncode, log.read_text(errors="replace"))


def bulletin_send(bulletin: list[str], site: Path, template_db: Path, port: int, connections: int) -> Run:
    db = site / "state" / f"send-{connections}-{time.monotonic_ns()}.db"
    db.parent.mkdir(exist_ok=True)
    shutil.copyfile(template_db, db)
    config = write_config(site, port, connections, store=str(db.relative_to(site)))
    env = dict(os.environ, BULLETIN_SECRET=SECRET)
    result = run([*bulletin, "send", "--config", str(config), "--now", NOW], site, env)
    db.unlink()
    for suffix in ("-wal", "-shm", ".lock"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    return result


def smtp_source(tool: str, cwd: Path, port: int, sessions: int, count: int, size: int) -> Run:
    return run(
        [
            tool,
            "-d",
            "-s",
            str(sessions),
            "-m",
            str(count),
            "-l",
            str(size),
            "-f",
            SENDER,
            "-t",
            "reader@example.org",
            "-M",
            "bench.example",
            f"127.0.0.1:{port}",
        ],
        cwd,
    )


SUMMARY = re.compile(r"Sent (\d+), failed (\d+), bounced (\d+), pending (\d+); ([\d.]+) s, (\d+) messages/s")


def summary(run_: Run, expected: int) -> tuple[int, str]:
    match = SUMMARY.search(run_.output)
    if not match or run_.returncode != 0 or int(match[1]) != expected:
        print(
            f"bulletin send did not send {expected} messages (exit {run_.returncode}):\n"
            + run_.output[-2000:]
        )
        return (int(match[1]) if match else 0), "?"
    return int(match[1]), match[6]


def best_send(
    repeat: int, bulletin: list[str], site: Path, db: Path, port: int, connections: int, n: int
) -> tuple[Run, int, str]:
    """The fastest of ``repeat`` runs, its sent count and own rate; the largest peak RSS."""
    runs = []
    for _ in range(repeat):
        result = bulletin_send(bulletin, site, db, port, connections)
        runs.append((result, *summary(result, n)))
    best = min(runs, key=lambda item: item[0].wall)
    best[0].peak_mb = max(item[0].peak_mb for item in runs)
    return best


def best_source(repeat: int, tool: str, cwd: Path, port: int, sessions: int, n: int, size: int) -> Run:
    runs = []
    for _ in range(repeat):
        result = smtp_source(tool, cwd, port, sessions, n, size)
        if result.returncode != 0:
            print(f"smtp-source failed:\n{result.output[-2000:]}")
        runs.append(result)
    return min(runs, key=lambda item: item.wall)


def table_row(messages: int, connections: int, ours, sent: int, own_rate, theirs) -> tuple:  # type: ignore[no-untyped-def]
    """One line of the result table: bulletin's run against smtp-source's."""
    ours_rate, theirs_rate = sent / ours.wall, messages / theirs.wall
    return (
        f"{messages:,}",
        connections,
        ours.wall,
        ours_rate,
        own_rate,
        ours.peak_mb,
        theirs.wall,
        theirs_rate,
        ours_rate / theirs_rate,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=20_000)
    parser.add_argument(
        "--big", type=int, default=100_000, help="subscribers for the memory run (8 connections)"
    )
    parser.add_argument("--skip-big", action="store_true")
    parser.add_argument("--posts", type=int, default=6, help="posts in the digest (sets the message size)")
    parser.add_argument(
        "--repeat", type=int, default=1, help="runs of each measurement; the fastest is shown"
    )
    args = parser.parse_args(argv)

    sink_tool, source_tool = ensure_postfix_tools()
    bulletin = find_bulletin()
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="bulletin-bench-send-") as tmp:
        root = Path(tmp)
        site = root / "site"
        site.mkdir()
        sink = subprocess.Popen(
            # -u root: smtp-sink insists on dropping privileges when started as root.
            [
                sink_tool,
                *(["-u", "root"] if os.geteuid() == 0 else []),
                f"127.0.0.1:{port}",
                "1000",
            ],
            cwd=root,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_for_port(port)
            return bench(args, root, site, port, bulletin, source_tool)
        finally:
            sink.terminate()
            sink.wait()


def bench(
    args: argparse.Namespace,
    root: Path,
    site: Path,
    port: int,
    bulletin: list[str],
    source_tool: str,
) -> int:
    config = write_site(site, args.posts, port, 8)
    env = dict(os.environ, BULLETIN_SECRET=SECRET)
    preview = run(
        [
            *bulletin,
            "preview",
            "--config",
            str(config),
            "--now",
            NOW,
            "--out",
            str(root / "preview"),
        ],
        site,
        env,
    )
    eml = root / "preview" / "digest.eml"
    if preview.returncode != 0 or not eml.exists():
        print(preview.output)
        return 1
    size = eml.stat().st_size
    n = args.subscribers
    template_db = root / "template.db"
    started = time.perf_counter()
    make_store(template_db, n)
    print(
        f"message size {size} bytes ({args.posts} posts); {n} subscribers stored in "
        f"{time.perf_counter() - started:.1f} s; smtp-sink on 127.0.0.1:{port}; "
        f"{os.cpu_count()} CPUs",
        flush=True,
    )

    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    rows = []
    for connections in CONNECTIONS:
        ours, sent, own_rate = best_send(args.repeat, bulletin, site, template_db, port, connections, n)
        theirs = best_source(args.repeat, source_tool, root, port, connections, n, size)
        ours_rate, theirs_rate = sent / ours.wall, n / theirs.wall
        rows.append(table_row(n, connections, ours, sent, own_rate, theirs))
        print(
            f"  {connections:>2} connections: bulletin {ours_rate:,.0f}/s, smtp-source {theirs_rate:,.0f}/s",
            flush=True,
        )

    if not args.skip_big:
        big_db = root / "big.db"
        make_store(big_db, args.big)
        ours, sent, own_rate = best_send(1, bulletin, site, big_db, port, 8, args.big)
        theirs = best_source(1, source_tool, root, port, 8, args.big, size)
        rows.append(table_row(args.big, 8, ours, sent, own_rate, theirs))

    print()
    print(
        f"message size: {size} bytes; smtp-source -d -l {size}; best of {args.repeat} "
        f"(the --big row: 1 run); load average before the runs: {load}"
    )
    header = (
        "messages",
        "conns",
        "bulletin s",
        "bulletin msg/s",
        "(send loop msg/s)",
        "peak RSS MB",
        "smtp-source s",
        "smtp-source msg/s",
        "ratio",
    )
    print(" | ".join(header))
    print(" | ".join("-" * len(h) for h in header))
    for row in rows:
        messages, conns, wall, rate, own, peak, swall, srate, ratio = row
        print(
            f"{messages} | {conns} | {wall:.2f} | {rate:,.0f} | {own} | {peak:.0f} | {swall:.2f} | "
            f"{srate:,.0f} | {ratio:.2f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

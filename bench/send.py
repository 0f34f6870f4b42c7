#!/usr/bin/env python3
"""Benchmark `bulletin send` against Postfix's smtp-source, both sending into smtp-sink.

Run it from the repository root (after `pip install -e .`):

    python bench/send.py                          # 100,000 subscribers at 1, 8 and 32 connections
    python bench/send.py --repeat 5 --connections 8
    python bench/send.py --subscribers 20000 --repeat 1
    python bench/send.py --languages-topics --repeat 2   # split over 3 languages x 5 topics (send_split.py)
    python bench/send.py --store postgresql --senders 1,2,4   # several senders, one PostgreSQL store

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
  subscribers (half of them with a Cyrillic display name);
* runs `bulletin preview` once to learn the real size of one message;
* for every connection count, ``--repeat`` times and alternating, so both meet the
  same load on a shared machine:
  - copies that store and runs `bulletin send` as a child process
    (smtp.connections set accordingly): the whole command, Python start-up,
    reading the posts, composing and storing the digest with a delivery row per
    subscriber, streaming them from the store and sending;
  - runs `smtp-source -d -s SESSIONS -m N -l SIZE`: N messages of the same size
    to the same sink over as many sessions (`-d`: one persistent connection per
    session, as bulletin does);
* measures each child's wall time around fork/exec and `os.wait4`, its CPU time
  (user + system, from the same rusage), its peak RSS, and the sink's CPU time
  meanwhile (from /proc);
* prints per connection count the medians and the ratio of the medians
  (bulletin msg/s over smtp-source msg/s), wall and CPU.

On a machine shared with other work the wall times move with the load; the CPU
times move much less, and the sink's CPU per run shows how much of a core the
receiving side took.

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
CONNECTIONS = "1,8,32"
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
    cpu: float  # user + system seconds of the child
    sink_cpu: float  # of smtp-sink meanwhile
    peak_mb: float
    returncode: int
    output: str


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of a running process so far (Linux /proc); NaN elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


SINK_PID = 0  # set once smtp-sink runs


def run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> Run:
    log = cwd / f"run-{time.monotonic_ns()}.log"
    sink_before = process_cpu(SINK_PID)
    with open(log, "wb") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    cpu = usage.ru_utime + usage.ru_stime
    sink_cpu = process_cpu(SINK_PID) - sink_before
    # Linux reports ru_maxrss in KiB.
    output = log.read_text(errors="replace")
    return Run(wall, cpu, sink_cpu, usage.ru_maxrss / 1024, proc.returncode, output)


def bulletin_send(
    bulletin: list[str], site: Path, template_db: Path, port: int, connections: int, writer=write_config
) -> Run:  # type: ignore[no-untyped-def]
    """``bulletin send`` on a copy of ``template_db``; ``writer`` writes the site's config.yaml."""
    db = site / "state" / f"send-{connections}-{time.monotonic_ns()}.db"
    db.parent.mkdir(exist_ok=True)
    shutil.copyfile(template_db, db)
    config = writer(site, port, connections, store=str(db.relative_to(site)))
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


def median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


@dataclass
class Row:
    """One connection count: the alternating runs of both sides."""

    connections: int
    ours: list[Run]
    theirs: list[Run]
    sent: int

    def line(self, messages: int) -> str:
        wall, theirs_wall = median([r.wall for r in self.ours]), median([r.wall for r in self.theirs])
        cpu, theirs_cpu = median([r.cpu for r in self.ours]), median([r.cpu for r in self.theirs])
        sink, theirs_sink = median([r.sink_cpu for r in self.ours]), median([r.sink_cpu for r in self.theirs])
        rate, theirs_rate = self.sent / wall, messages / theirs_wall
        peak = max(r.peak_mb for r in self.ours)
        return (
            f"{messages:,} | {self.connections} | {rate:,.0f} | {wall:.1f} | {cpu:.1f} | {sink:.1f}"
            f" | {peak:.0f}"
            f" | {theirs_rate:,.0f} | {theirs_wall:.1f} | {theirs_cpu:.1f} | {theirs_sink:.1f}"
            f" | **{rate / theirs_rate:.2f}** | {theirs_cpu / cpu:.2f}"
        )


HEADER = (
    "messages | conns | bulletin msg/s | wall s | CPU s | sink CPU s | peak RSS MB"
    " | smtp-source msg/s | wall s | CPU s | sink CPU s | ratio (msg/s) | CPU ratio"
)


def measure(args: argparse.Namespace, site: Path, root: Path, db: Path, port: int, size: int) -> list[Row]:
    """Per connection count, ``args.repeat`` runs of each side, alternating."""
    bulletin = find_bulletin()
    n = args.subscribers
    rows = []
    for connections in (int(c) for c in args.connections.split(",")):
        row = Row(connections, [], [], n)
        for attempt in range(args.repeat):
            ours = bulletin_send(bulletin, site, db, port, connections)
            sent, own_rate = summary(ours, n)
            row.sent = min(row.sent, sent)
            theirs = smtp_source(args.source_tool, root, port, connections, n, size)
            if theirs.returncode != 0:
                print(f"smtp-source failed:\n{theirs.output[-2000:]}")
            row.ours.append(ours)
            row.theirs.append(theirs)
            print(
                f"  {connections:>2} connections, run {attempt + 1}: bulletin {sent / ours.wall:,.0f}/s"
                f" ({ours.cpu:.1f} s CPU, {ours.peak_mb:.0f} MB; send loop {own_rate}/s),"
                f" smtp-source {n / theirs.wall:,.0f}/s ({theirs.cpu:.1f} s CPU)",
                flush=True,
            )
        rows.append(row)
    return rows


def main(argv: list[str] | None = None) -> int:
    global SINK_PID
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=100_000)
    parser.add_argument("--connections", default=CONNECTIONS, help="comma-separated connection counts")
    parser.add_argument("--posts", type=int, default=6, help="posts in the digest (sets the message size)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each side per row; medians shown")
    parser.add_argument(
        "--languages-topics",
        action="store_true",
        help="instead: one digest split over 3 languages x 5 topics against one rendering for all"
        " (--subscribers, 8 connections, CPU time; see bench/send_split.py)",
    )
    parser.add_argument("--store", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--senders", default="1,2,4", help="senders at once (--store postgresql)")
    parser.add_argument("--sender-connections", type=int, default=8, help="per sender (--store postgresql)")
    args = parser.parse_args(argv)

    sink_tool, args.source_tool = ensure_postfix_tools()
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
        SINK_PID = sink.pid
        try:
            wait_for_port(port)
            if args.languages_topics:
                import send_split

                return send_split.compare(args.repeat, args.subscribers, root, port, find_bulletin())
            return bench(args, root, site, port)
        finally:
            sink.terminate()
            sink.wait()


def bench(args: argparse.Namespace, root: Path, site: Path, port: int) -> int:
    config = write_site(site, args.posts, port, 8)
    env = dict(os.environ, BULLETIN_SECRET=SECRET)
    preview = run(
        [*find_bulletin(), "preview", "--config", str(config), "--now", NOW, "--out", str(root / "preview")],
        site,
        env,
    )
    eml = root / "preview" / "digest.eml"
    if preview.returncode != 0 or not eml.exists():
        print(preview.output)
        return 1
    size = eml.stat().st_size
    template_db = root / "template.db"
    started = time.perf_counter()
    make_store(template_db, args.subscribers)
    print(
        f"message size {size} bytes ({args.posts} posts); {args.subscribers} subscribers stored in "
        f"{time.perf_counter() - started:.1f} s; smtp-sink on 127.0.0.1:{port}; {os.cpu_count()} CPUs",
        flush=True,
    )
    if args.store == "postgresql":  # several senders on one PostgreSQL store: bench/send_senders.py
        from send_senders import bench_senders

        return bench_senders(args, site, template_db, port, find_bulletin(), SECRET)
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    rows = measure(args, site, root, template_db, port, size)
    print()
    print(
        f"message size {size} bytes; smtp-source -d -l {size}; median of {args.repeat} alternating runs"
        f" per side; load average before the runs {load}, after {os.getloadavg()[0]:.1f}"
    )
    print(HEADER)
    print(" | ".join("---" for _ in HEADER.split(" | ")))
    for row in rows:
        print(row.line(args.subscribers))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`bench/send.py --store postgresql --senders 1,2,4`: one digest sent by N `bulletin send` processes
sharing a PostgreSQL store, against one SQLite sender in the same run.

For each round (``--repeat`` of them, the kinds alternating so a busy machine weighs on
each alike): one SQLite sender on a copy of the store, then for every N a fresh
database with the same subscribers and N senders started at once, each with
``--connections`` connections to the same smtp-sink. Wall time runs from the first
start to the last exit; CPU time is user + system of every sender (os.wait4), which a
machine shared with other work disturbs far less than wall time; peak RSS is the
largest of one sender. The cluster is the tests' throwaway one (tests/postgres_server.py).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPOSITORY))
from tests.postgres_server import PASSWORD_ENV, postgres_bin, running_cluster  # noqa: E402

SUMMARY_SENT = "Sent "


@dataclass
class Round:
    kind: str  # "sqlite" or "postgresql"
    senders: int
    wall: float
    cpu: float  # user + system of every sender
    peak_mb: float  # the largest peak RSS of one sender
    sent: int

    @property
    def rate(self) -> float:
        return self.sent / self.wall


def fill_postgres(url: str, count: int) -> None:
    """The store at ``url`` with ``count`` active subscribers, as bench/send.py's SQLite one."""
    import psycopg

    from bulletin.store.pg import PostgresStore

    PostgresStore(url, PASSWORD_ENV).close()  # creates the tables
    with psycopg.connect(url, password=os.environ[PASSWORD_ENV]) as db, db.cursor() as cursor:
        with cursor.copy("COPY subscribers (email, name, status, created_at, updated_at) FROM STDIN") as copy:
            for i in range(count):
                name = f"Читатель {i}" if i % 2 else None
                copy.write_row((f"reader{i:06d}@example.org", name, "active", "2025-01-01", "2025-01-01"))


def senders_at_once(
    bulletin: list[str], config: Path, site: Path, count: int, secret: str
) -> tuple[float, float, float, int]:
    """(wall, cpu, peak MB, messages sent) of ``count`` `bulletin send` processes started together."""
    env = dict(os.environ, BULLETIN_SECRET=secret)
    logs = [site / f"sender-{n}-{time.monotonic_ns()}.log" for n in range(count)]
    started = time.perf_counter()
    processes = []
    for log in logs:
        with open(log, "wb") as out:
            processes.append(
                subprocess.Popen(
                    [*bulletin, "send", "--config", str(config), "--now", "2026-01-01T00:00:00+03:00"],
                    cwd=site,
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
            )
    cpu = peak = 0.0
    for process in processes:
        _, _, usage = os.wait4(process.pid, 0)
        cpu += usage.ru_utime + usage.ru_stime
        peak = max(peak, usage.ru_maxrss / 1024)
    wall = time.perf_counter() - started
    sent = 0
    for log in logs:
        for line in log.read_text(errors="replace").splitlines():
            if line.startswith(SUMMARY_SENT):
                sent += int(line.split()[1].rstrip(","))
        log.unlink()
    return wall, cpu, peak, sent


def postgres_config(sqlite_config: Path, url: str) -> Path:
    """bench/send.py's config.yaml with the store on the PostgreSQL database ``url``."""
    text = sqlite_config.read_text(encoding="utf-8")
    store = f"store:\n  url: '{url}'\n  password_env: {PASSWORD_ENV}\n  lease: 60\n"
    lines = [line for line in text.splitlines(keepends=True) if not line.startswith(("store:", "  path:"))]
    path = sqlite_config.with_name("config-postgresql.yaml")
    path.write_text("".join(lines) + store, encoding="utf-8")
    return path


def bench_senders(
    args: argparse.Namespace, site: Path, template_db: Path, port: int, bulletin: list[str], secret: str
) -> int:
    """The rounds; prints one row per (store, senders) with the best wall time and the CPU time."""
    from send import write_config  # bench/send.py, this script's caller

    binaries = postgres_bin()
    if binaries is None:
        sys.exit("PostgreSQL is not installed (initdb/pg_ctl): apt-get install postgresql")
    counts = [int(part) for part in args.senders.split(",")]
    rounds: list[Round] = []
    with running_cluster(binaries) as cluster:
        os.environ[PASSWORD_ENV] = cluster.password
        for _ in range(args.repeat):
            db = site / "state" / f"round-{time.monotonic_ns()}.db"
            db.parent.mkdir(exist_ok=True)
            shutil.copyfile(template_db, db)
            config = write_config(site, port, args.sender_connections, store=str(db.relative_to(site)))
            rounds.append(Round("sqlite", 1, *senders_at_once(bulletin, config, site, 1, secret)))
            print(f"  sqlite 1 sender: {rounds[-1].rate:,.0f}/s", flush=True)
            for count in counts:
                name = cluster.new_database()
                fill_postgres(cluster.url(name), args.subscribers)
                pg_config = postgres_config(config, cluster.url(name))
                rounds.append(
                    Round("postgresql", count, *senders_at_once(bulletin, pg_config, site, count, secret))
                )
                print(f"  postgresql {count} senders: {rounds[-1].rate:,.0f}/s", flush=True)
                cluster.drop_database(name)
            db.unlink()
    report(rounds, args)
    return 0


def report(rounds: list[Round], args: argparse.Namespace) -> None:
    baseline = min((r for r in rounds if r.kind == "sqlite"), key=lambda r: r.wall)
    print()
    print(
        f"{args.subscribers:,} subscribers, {args.sender_connections} connections per sender,"
        f" best of {args.repeat} (CPU: the median); {os.cpu_count()} CPUs, load average now "
        + " ".join(f"{x:.1f}" for x in os.getloadavg())
    )
    print("store | senders | wall s | msg/s | vs 1 SQLite sender | CPU s (all senders) | peak RSS MB (one)")
    print("---|---|---|---|---|---|---")
    for kind, count in sorted({(r.kind, r.senders) for r in rounds}, key=lambda k: (k[0] != "sqlite", k[1])):
        same = [r for r in rounds if (r.kind, r.senders) == (kind, count)]
        best = min(same, key=lambda r: r.wall)
        cpu = sorted(r.cpu for r in same)[len(same) // 2]
        sent = "" if all(r.sent == args.subscribers for r in same) else f" (sent {[r.sent for r in same]})"
        print(
            f"{kind} | {count} | {best.wall:.2f} | {best.rate:,.0f} | {best.rate / baseline.rate:.2f} | "
            f"{cpu:.1f} | {max(r.peak_mb for r in same):.0f}{sent}"
        )

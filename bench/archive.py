#!/usr/bin/env python3
"""Benchmark for the digest archive's index under `bulletin serve` (issue 16 item 9).

Run it from the repository root (after `pip install -e .`; standard library otherwise):

    python bench/archive.py                          # 500 digests, 8 clients, 10 s
    python bench/archive.py --digests 1500 --clients 8 --duration 10

This is a benchmark, not a test: it prints figures and never fails on them.

In a temporary folder it writes the site bench/web.py uses, stores ``--digests``
digests (three posts each, a rendering of about 50 KB, as a real digest's HTML and
text in two variants come to), and starts `bulletin serve` on 127.0.0.1. Then
``--clients`` keep-alive connections ask for ``/archive/`` back to back while one
more asks for ``/health`` every 100 ms: the health latency says how long any request
waits while the index is being served. To compare code versions, run it once with
each on PYTHONPATH (the store and the server both come from the ``bulletin`` imported).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from web import (  # noqa: E402
    SECRET,
    Connection,
    bulletin_command,
    free_port,
    make_site,
    percentile,
    wait_until_up,
)

HEALTH_EVERY = 0.1  # seconds between health probes


def store_digests(config_path: Path, count: int) -> None:
    from bulletin.config import load_config
    from bulletin.store import DigestPost, RenderedDigest, RenderedVariant
    from bulletin.store.sqlite import SqliteStore

    html = (
        "<html><body>" + "<p>Новости клиники: приём, анализы, расписание врачей.</p>" * 400 + "</body></html>"
    )
    variant = RenderedVariant("Новости клиники", "Новости клиники. " * 300, html)
    rendered = RenderedDigest(variant, variant)
    first = dt.datetime(2020, 1, 6, 4, 0, tzinfo=dt.UTC)
    with SqliteStore(load_config(config_path).store.path) as store:
        for number in range(1, count + 1):
            sent = first + dt.timedelta(days=number)
            posts = [
                DigestPost(
                    f"/d{number}/p{n}",
                    f"Новость {number}.{n}",
                    f"https://clinic.example/d{number}/p{n}",
                    sent,
                )
                for n, route in ((n, f"/d{number}/p{n}") for n in range(3))
            ]
            store.create_digest(posts, rendered, f"nonce-{number}", sent)


async def archive_client(port: int, stop_at: float, latencies: list[float], statuses: dict[int, int]) -> None:
    connection = Connection("127.0.0.1", port)
    try:
        while time.monotonic() < stop_at:
            started = time.perf_counter()
            response = await connection.request("GET", "/archive/", {})
            latencies.append(time.perf_counter() - started)
            statuses[response.status] = statuses.get(response.status, 0) + 1
    finally:
        await connection.close()


async def health_prober(port: int, stop_at: float, latencies: list[float]) -> None:
    connection = Connection("127.0.0.1", port)
    try:
        while time.monotonic() < stop_at:
            started = time.perf_counter()
            response = await connection.request("GET", "/health", {})
            if response.status == 200:
                latencies.append(time.perf_counter() - started)
            await asyncio.sleep(HEALTH_EVERY)
    finally:
        await connection.close()


async def load(port: int, clients: int, duration: float) -> tuple[list[float], dict[int, int], list[float]]:
    stop_at = time.monotonic() + duration
    archive: list[float] = []
    statuses: dict[int, int] = {}
    health: list[float] = []
    await asyncio.gather(
        *(archive_client(port, stop_at, archive, statuses) for _ in range(clients)),
        health_prober(port, stop_at, health),
    )
    return archive, statuses, health


def line(name: str, values: list[float], duration: float) -> str:
    ms = [value * 1000 for value in values]
    return (
        f"{name:<10}{len(ms):>9}{len(ms) / duration:>8.1f}{percentile(ms, 0.5):>9.1f}"
        f"{percentile(ms, 0.9):>9.1f}{percentile(ms, 0.99):>9.1f}{max(ms, default=0):>9.1f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--digests", type=int, default=500)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--duration", type=float, default=10.0)
    args = parser.parse_args()

    import bulletin

    root = Path(tempfile.mkdtemp(prefix="bulletin-archive-bench-"))
    port = free_port()
    server = None
    try:
        config_path, _ = make_site(root, port, 0)
        store_digests(config_path, args.digests)
        server = subprocess.Popen(
            [*bulletin_command(), "serve", "--config", str(config_path)],
            env={**os.environ, "BULLETIN_SECRET": SECRET},
            cwd=root,
        )
        wait_until_up(f"http://127.0.0.1:{port}", server)
        archive, statuses, health = asyncio.run(load(port, args.clients, args.duration))
        print(
            f"bulletin from {Path(bulletin.__file__).parent}; {args.digests} digests, {args.clients} clients"
        )
        print(f"{'request':<10}{'count':>9}{'req/s':>8}{'p50 ms':>9}{'p90 ms':>9}{'p99 ms':>9}{'max ms':>9}")
        print(line("/archive/", archive, args.duration))
        print(line("/health", health, args.duration))
        print("archive statuses:", " ".join(f"{k}:{v}" for k, v in sorted(statuses.items())))
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=10)
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()

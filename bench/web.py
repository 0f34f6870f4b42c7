#!/usr/bin/env python3
"""Load benchmark for `bulletin serve`: unsubscribes, feeds, the digest archive and sign-ups.

Run it from the repository root (after `pip install -e .`; standard library otherwise):

    python bench/web.py                          # 200 clients, 20 s, 50,000 subscribers, 1,000 digests
    python bench/web.py --clients 200 --duration 20 --subscribers 50000 --digests 1000
    python bench/web.py --think 0.1              # each client pauses 100 ms between requests

This is a benchmark, not a test: it prints figures and never fails on them.

In a temporary folder it writes a site (30 posts, a config.yaml), runs `bulletin build`
so the feeds exist, stores ``--subscribers`` active subscribers and ``--digests``
digests (three posts each, a rendering of about 50 KB, as bench/archive.py stores
them), and starts `bulletin serve` as a child process on 127.0.0.1 and a free port,
told to trust 127.0.0.1 as its reverse proxy. Then ``--clients`` asyncio tasks, each
with its own keep-alive HTTP/1.1 connection (a minimal client on asyncio streams:
httpx's pool cost more CPU than the server it measured), run for ``--duration``
seconds. Each client goes round these steps, in this proportion:

* 3 in 10: ``POST /unsubscribe/<token>`` with exactly ``List-Unsubscribe=One-Click``
  and no cookies, a distinct valid token per request (tokens wrap around, harmlessly,
  when all subscribers are used up; the POST is idempotent), expecting 200;
* 4 in 10: ``GET`` of ``/feed.xml``, ``/atom.xml`` or ``/feed.json`` sending the ``ETag``
  it got first as ``If-None-Match`` (every third conditional request uses
  ``If-Modified-Since`` instead), expecting 304 (200 the first time);
* 2 in 10: ``GET /archive/`` (the newest 50 of the stored digests), expecting 200;
* 1 in 10: ``POST /subscribe`` with a new address, the form's CSRF token and its cookie
  (from one ``GET /subscribe`` per client, not counted), from a client address of its
  own in ``X-Forwarded-For`` as a reverse proxy sends it (the sign-up limit counts per
  client address), expecting 200.

Anything else (another status, a connection error, a timeout) counts as an error.
Latency is measured per request from send to full response, on the client. The
report gives requests per second, p50/p90/p99/max latency and errors per kind, and
checks afterwards that every subscriber the run unsubscribed is unsubscribed in the
store and every address it signed up is there, pending confirmation. The goal in
issues 5 and 17: zero errors, p99 under 50 ms at 200 clients on 2 cores.

With ``--think 0`` (the default) the clients send back to back: that measures the
server's saturation throughput, and by Little's law the latency is then about
clients / throughput, whatever the server does. ``--think`` adds a pause per client
between requests, i.e. a fixed offered load of about clients / think requests/s.
The client runs in this process and shares the machine's cores with the server.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

SECRET = "bench-secret-0123456789-abcdef"
FEEDS = ("feed.xml", "atom.xml", "feed.json")
# What each client asks for, round and round: 3 unsubscribes, 4 feeds, 2 archive pages, 1 sign-up.
STEPS = (
    "unsubscribe",
    "feed",
    "archive",
    "feed",
    "unsubscribe",
    "feed",
    "subscribe",
    "archive",
    "unsubscribe",
    "feed",
)
_CSRF_FIELD = re.compile(r'name="csrf" value="([^"]+)"')


def bulletin_command() -> list[str]:
    script = Path(sys.executable).with_name("bulletin")
    if script.exists():
        return [str(script)]
    found = shutil.which("bulletin")
    return [found] if found else [sys.executable, "-c", "from bulletin.cli import main; main()"]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def make_site(
    root: Path, port: int, subscribers: int, digests: int = 0
) -> tuple[Path, list[tuple[int, str | None]]]:
    """A site with posts, built feeds, ``subscribers`` active subscribers and ``digests`` digests."""
    from bulletin.config import load_config
    from bulletin.store.sqlite import SqliteStore

    content = root / "content" / "01.blog"
    for n in range(1, 31):
        folder = content / f"{n:02d}.post-{n}"
        folder.mkdir(parents=True)
        body = f"Новость номер {n}. " * 40 + "\n\n===\n\n" + "Подробности. " * 200
        (folder / "item.md").write_text(
            f"---\ntitle: 'Новость {n}'\ndate: '2026-01-{n:02d} 10:00'\n"
            f"taxonomy:\n  tag: [clinic, news]\n---\n\n{body}\n",
            encoding="utf-8",
        )
    config_path = root / "config.yaml"
    config_path.write_text(
        f"""site:
  title: "Клиника — новости"
  url: https://clinic.example
  description: Bench site
  language: ru
  timezone: Asia/Almaty
  author: {{name: Пресс-служба, email: press@clinic.example}}
content: {{dir: content}}
feeds: {{output_dir: public, limit: 20}}
store: {{path: state/bulletin.db}}
digest: {{from: "Клиника <news@clinic.example>"}}
smtp: {{host: null, outbox: outbox}}
web: {{url: "http://127.0.0.1:{port}", host: 127.0.0.1, port: {port}, trusted_proxies: [127.0.0.1]}}
""",
        encoding="utf-8",
    )
    env = {**os.environ, "BULLETIN_SECRET": SECRET}
    subprocess.run(
        [*bulletin_command(), "build", "--config", str(config_path)],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    if digests:
        # Before the subscribers: sent digests, none of them with deliveries still pending.
        from archive import store_digests  # bench/archive.py, beside this script

        store_digests(config_path, digests)
    config = load_config(config_path)
    with SqliteStore(config.store.path) as store:
        with store.transaction():
            for n in range(subscribers):
                store.add_subscriber(f"reader{n:06d}@example.org", None)
        ids = [(subscriber.id, subscriber.token_nonce) for subscriber in store.subscribers("active")]
    return config_path, ids


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[str, dict[int, int]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(int)))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    error_samples: list[str] = field(default_factory=list)
    unsubscribed: set[int] = field(default_factory=set)
    signed_up: set[str] = field(default_factory=set)

    def error(self, kind: str, text: str) -> None:
        self.errors[kind] += 1
        if len(self.error_samples) < 10:
            self.error_samples.append(f"{kind}: {text}")


class Connection:
    """A minimal HTTP/1.1 keep-alive client on asyncio streams.

    httpx's pool, with 200 tasks in one process, used more CPU than the server it
    measured; this one parses only what `bulletin serve` sends (Content-Length bodies).
    """

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, headers: dict[str, str], body: bytes = b"") -> Response:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        lines = [
            f"{method} {path} HTTP/1.1",
            f"Host: {self.host}:{self.port}",
            *(f"{k}: {v}" for k, v in headers.items()),
        ]
        if body or method == "POST":
            lines.append(f"Content-Length: {len(body)}")
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        try:
            head = await asyncio.wait_for(self.reader.readuntil(b"\r\n\r\n"), 10)
            status_line, *header_lines = head.decode("latin-1").split("\r\n")
            status = int(status_line.split(" ", 2)[1])
            received = {}
            for line in header_lines:
                if line:
                    key, _, value = line.partition(":")
                    received[key.strip().lower()] = value.strip()
            length = 0 if status in (204, 304) else int(received.get("content-length", "0"))
            data = await asyncio.wait_for(self.reader.readexactly(length), 10) if length else b""
        except BaseException:
            await self.close()
            raise
        if received.get("connection", "").lower() == "close":
            await self.close()
        return Response(status, received, data)

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.reader = self.writer = None


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str]
    body: bytes


@dataclass
class Client:
    """One client's connection and what it keeps between requests."""

    connection: Connection
    number: int
    tokens: itertools.cycle  # (subscriber id, unsubscribe token), shared by all clients
    etags: dict[str, tuple[str, str]] = field(default_factory=dict)
    csrf: tuple[str, str] | None = None  # (cookie, form field) from the sign-up form
    signups: int = 0

    async def unsubscribe(self, stats: Stats) -> tuple[Response, tuple[int, ...]]:
        subscriber_id, token = next(self.tokens)
        response = await self.connection.request(
            "POST",
            f"/unsubscribe/{token}",
            {"Content-Type": "application/x-www-form-urlencoded"},
            b"List-Unsubscribe=One-Click",
        )
        if response.status == 200:
            stats.unsubscribed.add(subscriber_id)
        return response, (200,)

    async def feed(self, step: int) -> tuple[Response, tuple[int, ...]]:
        name = FEEDS[(self.number + step) % 3]
        headers = {}
        if name in self.etags:
            etag, last_modified = self.etags[name]
            if step % 3 == 0:
                headers["If-Modified-Since"] = last_modified
            else:
                headers["If-None-Match"] = etag
        response = await self.connection.request("GET", f"/{name}", headers)
        if response.status == 200:
            self.etags[name] = (response.headers["etag"], response.headers["last-modified"])
        return response, (304,) if headers else (200,)

    async def archive(self) -> tuple[Response, tuple[int, ...]]:
        return await self.connection.request("GET", "/archive/", {}), (200,)

    async def subscribe(self, stats: Stats) -> tuple[Response, tuple[int, ...]]:
        """A sign-up from an address of its own, through the proxy (127.0.0.1) the server trusts."""
        assert self.csrf is not None
        cookie, field_value = self.csrf
        self.signups += 1
        address = f"new-{self.number:03d}-{self.signups:05d}@example.org"
        body = urllib.parse.urlencode(
            {"csrf": field_value, "email": address, "name": "Новый читатель"}
        ).encode()
        response = await self.connection.request(
            "POST",
            "/subscribe",
            {
                "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
                "Cookie": cookie,
                "X-Forwarded-For": self.address(),
            },
            body,
        )
        if response.status == 200:
            stats.signed_up.add(address)
        return response, (200,)

    def address(self) -> str:
        """The client address of this sign-up: 10.<client>.x.y, new for every sign-up."""
        return f"10.{self.number % 250}.{self.signups // 250 % 250}.{self.signups % 250 + 1}"

    async def get_form(self) -> None:
        """The sign-up form once: its CSRF cookie and field (not counted)."""
        response = await self.connection.request("GET", "/subscribe", {})
        cookie = response.headers["set-cookie"].split(";", 1)[0]
        found = _CSRF_FIELD.search(response.body.decode("utf-8"))
        assert found, "no CSRF field in the sign-up form"
        self.csrf = (cookie, found[1])


async def run_client(client: Client, stop_at: float, think: float, stats: Stats) -> None:
    await client.get_form()
    for step in itertools.count(client.number):
        if time.perf_counter() >= stop_at:
            await client.connection.close()
            return
        kind = STEPS[step % len(STEPS)]
        started = time.perf_counter()
        try:
            if kind == "unsubscribe":
                response, expected = await client.unsubscribe(stats)
            elif kind == "feed":
                response, expected = await client.feed(step)
            elif kind == "archive":
                response, expected = await client.archive()
            else:
                response, expected = await client.subscribe(stats)
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError) as exc:
            stats.error(kind, repr(exc))
            continue
        stats.latencies[kind].append(time.perf_counter() - started)
        stats.statuses[kind][response.status] += 1
        if response.status not in expected:
            stats.error(kind, f"HTTP {response.status} {response.body[:80]!r}")
        if think:
            await asyncio.sleep(think)


async def load(
    port: int, ids: list[tuple[int, str | None]], clients: int, duration: float, think: float
) -> tuple[Stats, float]:
    from bulletin.tokens import UNSUBSCRIBE, TokenSigner

    signer = TokenSigner(SECRET)
    tokens = itertools.cycle([(i, signer.make(UNSUBSCRIBE, i, nonce)) for i, nonce in ids])
    stats = Stats()
    connections = [Connection("127.0.0.1", port) for _ in range(clients)]
    # Warm up: open the connections; not counted.
    await asyncio.gather(*(c.request("GET", "/health", {}) for c in connections))
    started = time.perf_counter()
    stop_at = started + duration
    clients = [Client(connection, n, tokens) for n, connection in enumerate(connections)]
    await asyncio.gather(*(run_client(client, stop_at, think, stats) for client in clients))
    return stats, time.perf_counter() - started


def client_loop() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop for the clients when it is installed (it is, with uvicorn[standard]): the clients
    share the machine with the server, and asyncio's own loop spent a core on 200 of them."""
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


def wait_until_up(base_url: str, server: subprocess.Popen[bytes]) -> None:
    """Until the server answers /health; exits when it died or took over 30 s."""
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(base_url + "/health", timeout=1) as answer:
                if answer.status == 200:
                    return
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("bulletin serve did not start") from None
            time.sleep(0.1)


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of a process so far (Linux /proc); NaN elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else float("nan")


def report(stats: Stats, elapsed: float, args: argparse.Namespace) -> None:
    print(
        f"bulletin serve under load: {args.clients} clients, {elapsed:.1f} s,"
        f" think {args.think * 1000:.0f} ms, {args.subscribers} subscribers, {args.digests} digests"
    )
    print(
        f"machine: {platform.python_implementation()} {platform.python_version()},"
        f" {os.cpu_count()} CPUs, {platform.platform()}"
    )
    every = [value for values in stats.latencies.values() for value in values]
    rows = [*sorted(stats.latencies.items()), ("all", every)]
    print(
        f"{'kind':<12}{'requests':>10}{'req/s':>10}{'p50 ms':>9}{'p90 ms':>9}{'p99 ms':>9}{'max ms':>9}"
        f"{'errors':>8}  statuses"
    )
    for kind, values in rows:
        errors = sum(stats.errors.values()) if kind == "all" else stats.errors.get(kind, 0)
        statuses = (
            "" if kind == "all" else " ".join(f"{k}:{v}" for k, v in sorted(stats.statuses[kind].items()))
        )
        print(
            f"{kind:<12}{len(values):>10}{len(values) / elapsed:>10.0f}"
            f"{percentile(values, 0.5) * 1000:>9.1f}{percentile(values, 0.9) * 1000:>9.1f}"
            f"{percentile(values, 0.99) * 1000:>9.1f}{max(values, default=0) * 1000:>9.1f}"
            f"{errors:>8}  {statuses}"
        )
    for sample in stats.error_samples:
        print("  error:", sample)
    p99 = percentile(every, 0.99) * 1000
    errors = sum(stats.errors.values())
    verdict = "met" if errors == 0 and p99 < 50 else "NOT met"
    print(f"goal (zero errors, p99 < 50 ms): {verdict} — {errors} errors, p99 {p99:.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument("--subscribers", type=int, default=50_000)
    parser.add_argument("--digests", type=int, default=1_000, help="digests stored for /archive/")
    parser.add_argument("--think", type=float, default=0.0, help="seconds each client waits between requests")
    parser.add_argument("--keep", action="store_true", help="keep the temporary site and print its path")
    args = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="bulletin-web-bench-"))
    port = free_port()
    server = None
    try:
        config_path, ids = make_site(root, port, args.subscribers, args.digests)
        server = subprocess.Popen(
            [*bulletin_command(), "serve", "--config", str(config_path)],
            env={**os.environ, "BULLETIN_SECRET": SECRET},
            cwd=root,
        )
        base_url = f"http://127.0.0.1:{port}"
        wait_until_up(base_url, server)
        print(f"server pid {server.pid} on {base_url}")
        cpu_before = process_cpu(server.pid)
        with asyncio.Runner(loop_factory=client_loop()) as runner:
            stats, elapsed = runner.run(load(port, ids, args.clients, args.duration, args.think))
        cpu_used = process_cpu(server.pid) - cpu_before
        report(stats, elapsed, args)
        requests = sum(len(values) for values in stats.latencies.values())
        if cpu_used == cpu_used and requests:  # not NaN
            print(
                f"server CPU: {cpu_used:.1f} s in {elapsed:.1f} s ({cpu_used / elapsed:.0%} of one core),"
                f" {cpu_used / requests * 1e6:.0f} µs per request"
                f" (at most ~{requests / cpu_used:.0f} req/s on one core); load average now"
                f" {os.getloadavg()[0]:.1f}"
            )

        from bulletin.store.sqlite import SqliteStore

        with SqliteStore(root / "state" / "bulletin.db") as store:
            still_active = [i for i in stats.unsubscribed if store.subscriber(id=i).status != "unsubscribed"]
            missing = [
                a for a in stats.signed_up if getattr(store.subscriber(email=a), "status", None) != "pending"
            ]
        print(
            f"store check: {len(stats.unsubscribed)} subscribers unsubscribed by the run,"
            f" {len(still_active)} of them still active" + (" (BUG)" if still_active else "")
        )
        print(
            f"store check: {len(stats.signed_up)} addresses signed up by the run,"
            f" {len(missing)} of them not pending confirmation" + (" (BUG)" if missing else "")
        )
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=10)
        if args.keep:
            print("site kept in", root)
        else:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()

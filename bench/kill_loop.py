"""Kill `bulletin send` with SIGKILL at random moments, run it again, count every copy.

One sequence is one digest: new posts become visible at a later ``--now``, a real
`bulletin send` process starts and is killed after a random delay (anywhere from
start-up through composing, storing the digest with its deliveries, sending and
recording), possibly again on the rerun, and then runs until it completes. After
each kill the messages the server accepted but the store does not record as sent
are counted: those are the ones in flight, which the rerun sends a second time.
After each sequence every subscriber must have had the digest (nothing lost), the
copies beyond one must be no more than the messages in flight at the kills, every
visible post must be in exactly one digest, and the store must pass
``PRAGMA integrity_check``.

bench/chaos.py runs the loop; tests/test_kills.py runs bench/chaos.py for a short while.
Standard library, aiosmtpd and the `bulletin` command only: the site, the SMTP server
that records what it accepts and the store are reached the way a user reaches them.
"""

from __future__ import annotations

import asyncio
import collections
import datetime as dt
import json
import os
import random
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

SECRET = "chaos-secret-0123456789-abcdef"
ALMATY = ZoneInfo("Asia/Almaty")
_MESSAGE_ID = re.compile(rb"\r\nMessage-ID: <[0-9a-f]+\.([0-9]+)\.([0-9]+)@")
FIRST_DAY = dt.datetime(2026, 1, 1, 9, 0, tzinfo=ALMATY)


@dataclass
class Figures:
    sequences: int = 0
    runs: int = 0  # `bulletin send` processes started
    kills: int = 0  # of them killed before they finished
    messages: int = 0  # deliveries the digests set out to make (subscribers x digests)
    copies: int = 0  # messages the server accepted
    lost: int = 0  # deliveries no copy of which reached the server
    duplicated: int = 0  # copies beyond the first
    in_flight: int = 0  # accepted but not yet recorded at a kill, summed over the kills
    max_in_flight: int = 0  # the most in flight at one kill
    stages: collections.Counter[str] = field(default_factory=collections.Counter)
    problems: list[str] = field(default_factory=list)

    def summary(self) -> str:
        stages = ", ".join(f"{name} {count}" for name, count in sorted(self.stages.items()))
        return (
            f"sequences {self.sequences}, runs {self.runs}, kills {self.kills}, "
            f"messages {self.messages}, copies {self.copies}, lost {self.lost}, "
            f"duplicated {self.duplicated}, in flight at kills {self.in_flight} "
            f"(at most {self.max_in_flight} per kill); killed while: {stages}"
        )


class Recorder:
    """aiosmtpd on 127.0.0.1 that keeps every message it accepts (its bytes after DATA)."""

    def __init__(self, data_delay: float) -> None:
        self.data_delay = data_delay  # seconds before each answer to DATA
        self.pipelining = False  # offer PIPELINING (RFC 2920) in the EHLO reply
        self._received: list[bytes] = []
        self._lock = threading.Lock()
        with socket.socket() as probe:  # Controller(port=0) does not say which port it got
            probe.bind(("127.0.0.1", 0))
            self.port = int(probe.getsockname()[1])
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port, ready_timeout=10)

    async def handle_EHLO(  # noqa: N802 - aiosmtpd's hook names
        self, server: SMTP, session: Session, envelope: Envelope, hostname: str, responses: list[str]
    ) -> list[str]:
        session.host_name = hostname
        if self.pipelining:  # aiosmtpd reads pipelined commands one by one; it only never says so
            responses.insert(1, "250-PIPELINING")
        return responses

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        await asyncio.sleep(self.data_delay)
        with self._lock:
            self._received.append(bytes(envelope.original_content or b""))
        return "250 OK queued"

    @property
    def received(self) -> list[bytes]:
        with self._lock:
            return list(self._received)

    def clear(self) -> None:
        with self._lock:
            self._received.clear()

    def __enter__(self) -> Recorder:
        self._controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._controller.stop()


def kill_site_config(port: int, connections: int, store: dict[str, Any]) -> dict[str, Any]:
    """The config of a site the kill loops send from: Almaty's clinic, the sink at ``port``."""
    return {
        "site": {
            "title": "Клиника — новости",
            "url": "https://clinic.example",
            "timezone": "Asia/Almaty",
        },
        "content": {"dir": "content"},
        "feeds": {"output_dir": "public"},
        "store": store,
        "digest": {"from": "Клиника <news@clinic.example>", "start": "2020-01-01"},
        "smtp": {
            "host": "127.0.0.1",
            "port": port,
            "security": "none",
            "timeout": 5,
            "retry_delay": 0.01,
            "connections": connections,
            "max_attempts": 50,
        },
        "web": {"url": "https://web.clinic.example"},
    }


class KillSite:
    """A site in ``root`` sending to ``port``: config.yaml, posts, subscribers, `bulletin send`."""

    def __init__(self, root: Path, port: int, connections: int) -> None:
        self.root = root
        self.content = root / "content"
        self.content.mkdir(parents=True)
        self.config = root / "config.yaml"
        config = kill_site_config(port, connections, {"path": "state/bulletin.db"})
        # JSON is YAML: no YAML library needed to write it.
        self.config.write_text(json.dumps(config, ensure_ascii=False, indent=2), encoding="utf-8")
        script = shutil.which("bulletin")
        self.program = [script] if script else [sys.executable, "-c", "from bulletin.cli import main; main()"]

    def post(self, slug: str, title: str, date: str) -> None:
        page = self.content / "01.blog" / slug / "item.md"
        page.parent.mkdir(parents=True)
        page.write_text(f"---\ntitle: '{title}'\ndate: '{date}'\n---\n\nПервый абзац.\n", encoding="utf-8")

    def subscribe(self, addresses: list[str]) -> None:
        listing = self.root / "subscribers.csv"
        listing.write_text("email,name\n" + "".join(f"{a},\n" for a in addresses), encoding="utf-8")
        subprocess.run(self._words("subscribers", "import", str(listing)), check=True, capture_output=True)

    def popen(self, *args: str) -> subprocess.Popen[str]:
        """`bulletin ARGS` as a real process, its output captured."""
        env = {**os.environ, "BULLETIN_SECRET": SECRET}
        return subprocess.Popen(
            self._words(*args),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=self.root,
        )

    def _words(self, *args: str) -> list[str]:
        """The command line: ``--config`` goes right after the (sub-)command."""
        at = 2 if args[0] == "subscribers" else 1
        return [*self.program, *args[:at], "--config", str(self.config), *args[at:]]

    def journal(self) -> set[tuple[int, int]]:
        """The (digest, subscriber) lines of the sent journal a killed run left, if any."""
        try:
            lines = (self.root / "state" / "bulletin.db.sent").read_text(encoding="ascii").splitlines()
        except FileNotFoundError:
            return set()
        return {(int(a), int(b)) for a, b in (line.split() for line in lines if len(line.split()) == 2)}

    def rows(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        """Read the store with plain sqlite3, as an outsider would."""
        db = sqlite3.connect(self.root / "state" / "bulletin.db")
        try:
            return [tuple(row) for row in db.execute(sql, params)]
        finally:
            db.close()


class KillLoop:
    """A site with ``subscribers`` readers and a server; ``sequence()`` runs one digest."""

    def __init__(
        self,
        root: Path,
        server: Recorder,
        *,
        subscribers: int = 200,
        connections: int = 2,
        seed: int | None = None,
    ) -> None:
        self.random = random.Random(seed)
        self.server = server
        self.connections = connections
        self.site = KillSite(root, server.port, connections)
        self.addresses = [f"reader{n:04d}@example.org" for n in range(subscribers)]
        self.site.subscribe(self.addresses)
        self.step = 0
        self.posts: dict[str, dt.datetime] = {}  # route -> publish moment
        self.run_time = 0.0  # of an uninterrupted run, measured by the first sequence
        self.figures = Figures()

    def _new_posts(self) -> dt.datetime:
        """Write 1-3 posts dated on this step's day; returns the --now that makes them visible."""
        day = FIRST_DAY + dt.timedelta(days=self.step)
        for n in range(self.random.randint(1, 3)):
            moment = day + dt.timedelta(minutes=n)
            slug = f"step-{self.step:03d}-{n}"
            self.site.post(slug, f"Новость {self.step}.{n}", moment.strftime("%Y-%m-%d %H:%M"))
            self.posts[f"/blog/{slug}"] = moment
        return day + dt.timedelta(hours=1)

    def _sent(self) -> int:
        """Deliveries recorded as sent: in the store, or in the sent journal beside it, which a
        run appends to the moment the server accepts a message and the next run records first."""
        sent = set(self.site.rows("SELECT digest_id, subscriber_id FROM deliveries WHERE status = 'sent'"))
        return len(sent | self.site.journal())

    def _stage(self, digests_before: int) -> str:
        """What the killed run had got to, as the store shows it."""
        digests = self.site.rows("SELECT count(*) FROM digests")[0][0]
        if digests == digests_before:
            return "before the digest was stored"
        rows = self.site.rows("SELECT subscriber_id, status FROM deliveries WHERE digest_id = ?", digests)
        journal = {subscriber for digest, subscriber in self.site.journal() if digest == digests}
        sent, total = len({s for s, status in rows if status == "sent"} | journal), len(rows)
        if not sent:
            return "digest stored, nothing sent"
        return "sending" if sent < total else "all sent, not exited"

    def _run(self, now: dt.datetime, kill_after: float | None) -> bool:
        """One `bulletin send`; True when it ran to the end (exit 0, nothing pending)."""
        digests_before = self.site.rows("SELECT count(*) FROM digests")[0][0]
        sent_before = self._sent()
        received_before = len(self.server.received)
        self.figures.runs += 1
        process = self.site.popen("send", "--now", now.isoformat())
        started = time.monotonic()
        try:
            process.communicate(timeout=kill_after if kill_after is not None else 120)
        except subprocess.TimeoutExpired:
            if kill_after is None:
                raise
            process.send_signal(signal.SIGKILL)
            process.communicate(timeout=30)
            self.figures.kills += 1
            # Let the server finish answering what the dead process had sent.
            time.sleep(self.server.data_delay * 2 + 0.05)
            self.figures.stages[self._stage(digests_before)] += 1
            in_flight = (len(self.server.received) - received_before) - (self._sent() - sent_before)
            self.figures.in_flight += max(in_flight, 0)
            self.figures.max_in_flight = max(self.figures.max_in_flight, in_flight)
            if in_flight < 0:
                self.problems(f"step {self.step}: {-in_flight} recorded sent, never received")
            if in_flight > self.connections:
                self.problems(f"step {self.step}: {in_flight} in flight at one kill")
            return False
        if kill_after is None and not self.run_time:
            self.run_time = time.monotonic() - started
        if process.returncode != 0:
            pending = self.site.rows("SELECT count(*) FROM deliveries WHERE status = 'pending'")
            if pending == [(0,)]:
                self.problems(f"step {self.step}: exit {process.returncode} with nothing pending")
            return False
        return True

    def problems(self, text: str) -> None:
        self.figures.problems.append(text)

    def sequence(self, kills: int | None = None) -> None:
        """One digest: new posts, up to ``kills`` killed runs, then runs until it completes."""
        self.step += 1
        self.server.clear()
        self.server.pipelining = self.step % 2 == 0
        now = self._new_posts()
        if kills is None:
            kills = 0 if not self.run_time else self.random.choice([1, 1, 1, 2, 3])
        for _ in range(kills):
            if self._run(now, self.random.uniform(0, self.run_time)):
                break
        else:
            for _ in range(10):
                if self._run(now, None):
                    break
            else:
                self.problems(f"step {self.step}: not finished after 10 runs")
        self.figures.sequences += 1
        self._check(now)

    def _check(self, now: dt.datetime) -> None:
        figures = self.figures
        copies = collections.Counter()
        for data in self.server.received:
            found = _MESSAGE_ID.search(data)
            if found is None:
                self.problems(f"step {self.step}: a message without a bulletin Message-ID")
                continue
            copies[int(found[1]), int(found[2])] += 1
        [(digest,)] = self.site.rows("SELECT max(id) FROM digests")
        ids = dict(self.site.rows("SELECT email, id FROM subscribers WHERE status = 'active'"))
        expected = {(digest, ids[address]) for address in self.addresses}
        figures.messages += len(expected)
        figures.copies += sum(copies.values())
        lost = len(expected - set(copies))
        duplicated = sum(count - 1 for count in copies.values())
        figures.lost += lost
        figures.duplicated += duplicated
        if lost:
            self.problems(f"step {self.step}: {lost} subscribers got no digest {digest}")
        if set(copies) - expected:
            self.problems(f"step {self.step}: copies of other digests: {set(copies) - expected}")
        statuses = self.site.rows("SELECT status, count(*) FROM deliveries GROUP BY status")
        if [status for status, _ in statuses] != ["sent"]:
            self.problems(f"step {self.step}: deliveries {statuses}")
        if digest != self.step:
            self.problems(f"step {self.step}: {digest} digests stored")
        visible = {route for route, moment in self.posts.items() if moment <= now}
        routes = self.site.rows("SELECT route, digest_id FROM digest_posts")
        if sorted(route for route, _ in routes) != sorted(visible):
            self.problems(f"step {self.step}: digested {routes}, visible {visible}")
        fresh = {route for route, moment in self.posts.items() if moment.date() == now.date()}
        if {route for route, number in routes if number == digest} != fresh:
            self.problems(f"step {self.step}: digest {digest} does not hold exactly {fresh}")
        if self.site.rows("PRAGMA integrity_check") != [("ok",)]:
            self.problems(f"step {self.step}: integrity_check failed")


def run_sequences(
    root: Path,
    count: int,
    budget: float,
    *,
    subscribers: int = 200,
    connections: int = 2,
    data_delay: float = 0.002,
    seed: int | None = None,
    on_sequence: Callable[[Figures], None] | None = None,
) -> Figures:
    """``count`` sequences (the first one unkilled, to time a run) or until ``budget`` seconds.

    ``root`` is an empty folder for the site; the SMTP server runs in this process, answering
    each DATA after ``data_delay`` seconds.
    """
    with Recorder(data_delay) as server:
        loop = KillLoop(root, server, subscribers=subscribers, connections=connections, seed=seed)
        started = time.monotonic()
        loop.sequence(kills=0)
        while loop.figures.sequences < count and time.monotonic() - started < budget:
            loop.sequence()
            if on_sequence:
                on_sequence(loop.figures)
    return loop.figures

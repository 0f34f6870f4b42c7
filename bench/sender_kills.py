"""Several `bulletin send` processes on one PostgreSQL store, SIGKILLed at random and started again.

One sequence is one digest: new posts become visible, N senders start at once against
the same store (as N cron hosts would), and while they run one of them, picked at
random, is killed with SIGKILL at a random moment and started again at once (its
host's next cron run). When every sender has exited 0, the digest must have reached
every subscriber (nothing lost), and the copies beyond one must be no more than the
messages in flight at the kills.

Each sender slot sends to an SMTP server of its own (aiosmtpd in this process, one
per slot), so what a killed process had sent is known exactly: the messages its
server accepted while it lived whose delivery is still pending right after the kill
and that its sent journal does not list are the ones in flight (accepted, not noted:
what the journal lists, the next run on the host records before it sends). Its lease
keeps the other senders off those rows until it runs out, so none can have sent one.

bench/chaos.py --store postgresql runs it; the PostgreSQL cluster is the tests' own
throwaway one (tests/postgres_server.py), started in a temporary folder.
"""

from __future__ import annotations

import collections
import datetime as dt
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from kill_loop import _MESSAGE_ID, FIRST_DAY, SECRET, Figures, Recorder, kill_site_config

from bulletin.mail.sent_journal import read_journal

REPOSITORY = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPOSITORY))
from tests.postgres_server import PASSWORD_ENV, pg_rows, postgres_bin, running_cluster  # noqa: E402

LEASE = 2.0  # seconds: a killed sender's rows are taken over this soon


class SenderSite:
    """A site whose store is the PostgreSQL database ``url``; one config.yaml per sender slot, each
    naming its own SMTP server."""

    def __init__(self, root: Path, url: str, ports: list[int], connections: int) -> None:
        self.root, self.url = root, url
        self.content = root / "content"
        self.content.mkdir(parents=True)
        self.configs = []
        for slot, port in enumerate(ports):
            store = {"path": "state/bulletin.db", "url": url, "password_env": PASSWORD_ENV, "lease": LEASE}
            config = kill_site_config(port, connections, store)
            path = root / f"config-{slot}.yaml"
            path.write_text(json.dumps(config, ensure_ascii=False), encoding="utf-8")  # JSON is YAML
            self.configs.append(path)
        script = REPOSITORY / "src"
        self.env = {**os.environ, "BULLETIN_SECRET": SECRET, "PYTHONPATH": str(script)}
        self.program = [sys.executable, "-c", "from bulletin.cli import main; main()"]

    def post(self, slug: str, title: str, date: str) -> None:
        page = self.content / "01.blog" / slug / "item.md"
        page.parent.mkdir(parents=True)
        page.write_text(f"---\ntitle: '{title}'\ndate: '{date}'\n---\n\nПервый абзац.\n", encoding="utf-8")

    def subscribe(self, addresses: list[str]) -> None:
        listing = self.root / "subscribers.csv"
        listing.write_text("email,name\n" + "".join(f"{a},\n" for a in addresses), encoding="utf-8")
        command = [*self.program, "subscribers", "import", "--config", str(self.configs[0]), str(listing)]
        subprocess.run(command, check=True, capture_output=True, env=self.env)

    def send(self, slot: int, now: dt.datetime) -> subprocess.Popen[bytes]:
        command = [*self.program, "send", "--config", str(self.configs[slot]), "--now", now.isoformat()]
        # Its output goes nowhere: a pipe nobody reads would stop it once full (a progress line per message).
        return subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=self.env, cwd=self.root
        )

    def rows(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        return pg_rows(self.url, sql, params)


class SenderChaos:
    """``senders`` slots sharing a store; ``sequence()`` runs one digest through random kills."""

    def __init__(self, site: SenderSite, servers: list[Recorder], subscribers: int, seed: int | None) -> None:
        self.site, self.servers = site, servers
        self.random = random.Random(seed)
        self.addresses = [f"reader{n:05d}@example.org" for n in range(subscribers)]
        site.subscribe(self.addresses)
        self.figures = Figures()
        self.step = 0
        self.cpu = 0.0  # user + system seconds of every sender process
        self.peak_mb = 0.0  # the largest peak RSS of one sender

    def _start(self, slot: int, now: dt.datetime) -> tuple[subprocess.Popen[bytes], int]:
        self.figures.runs += 1
        return self.site.send(slot, now), len(self.servers[slot].received)

    def _reap(self, process: subprocess.Popen[bytes], *, wait: bool = True) -> int | None:
        """The exit status (CPU time and peak memory noted), or None while it runs (``wait`` False)."""
        pid, status, usage = os.wait4(process.pid, 0 if wait else os.WNOHANG)
        if pid == 0:
            return None
        process.returncode = os.waitstatus_to_exitcode(status)
        self.cpu += usage.ru_utime + usage.ru_stime
        self.peak_mb = max(self.peak_mb, usage.ru_maxrss / 1024)
        return process.returncode

    def _kill(self, slot: int, process: subprocess.Popen[bytes], received_before: int) -> None:
        process.send_signal(signal.SIGKILL)
        self._reap(process)
        self.figures.kills += 1
        time.sleep(self.servers[slot].data_delay * 2 + 0.05)  # the server finishes what it was answering
        keys = [_key(data) for data in self.servers[slot].received[received_before:]]
        # Noted in its sent journal: the next run on this host records them before sending.
        noted = set(read_journal(self.site.root / "state" / f"bulletin.db.sent.{process.pid}"))
        pending = {
            (digest, subscriber)
            for digest, subscriber in self.site.rows(
                "SELECT digest_id, subscriber_id FROM deliveries WHERE status = 'pending'"
            )
        }
        in_flight = len({key for key in keys if key in pending and key not in noted})
        self.figures.in_flight += in_flight
        self.figures.max_in_flight = max(self.figures.max_in_flight, in_flight)
        self.figures.stages["sending" if keys else "before sending"] += 1

    def sequence(self, kill_every: float, kills: int) -> None:
        """One digest: every slot sends; ``kills`` random kills about every ``kill_every`` s."""
        self.step += 1
        for server in self.servers:
            server.clear()
        now = self._new_post()
        running = {slot: self._start(slot, now) for slot in range(len(self.servers))}
        done: set[int] = set()
        left = kills
        while len(done) < len(running):
            time.sleep(self.random.uniform(0, 2 * kill_every))
            for slot, (process, _) in running.items():
                code = None if slot in done else self._reap(process, wait=False)
                if code == 0:
                    done.add(slot)
                elif code is not None:  # a run that stopped early (a failure): cron runs it again
                    self.figures.problems.append(f"step {self.step}: a sender exited {code}")
                    running[slot] = self._start(slot, now)
            alive = [slot for slot in running if slot not in done]
            if left and alive:
                slot = self.random.choice(alive)
                process, received_before = running[slot]
                self._kill(slot, process, received_before)
                running[slot] = self._start(slot, now)
                left -= 1
        self.figures.sequences += 1
        self._check()

    def _new_post(self) -> dt.datetime:
        moment = FIRST_DAY + dt.timedelta(days=self.step)
        self.site.post(f"step-{self.step:03d}", f"Новость {self.step}", moment.strftime("%Y-%m-%d %H:%M"))
        return moment + dt.timedelta(hours=1)

    def _check(self) -> None:
        figures = self.figures
        copies: collections.Counter[tuple[int, int]] = collections.Counter(
            _key(data) for server in self.servers for data in server.received
        )
        [(digest,)] = self.site.rows("SELECT max(id) FROM digests")
        ids = dict(self.site.rows("SELECT email, id FROM subscribers WHERE status = 'active'"))
        expected = {(digest, ids[address]) for address in self.addresses}
        figures.messages += len(expected)
        figures.copies += sum(copies.values())
        lost = len(expected - set(copies))
        figures.lost += lost
        figures.duplicated += sum(count - 1 for count in copies.values())
        if lost:
            figures.problems.append(f"step {self.step}: {lost} subscribers got no digest {digest}")
        if digest != self.step:
            figures.problems.append(f"step {self.step}: {digest} digests stored (composed more than once?)")
        statuses = self.site.rows("SELECT status, count(*) FROM deliveries GROUP BY status")
        if [status for status, _ in statuses] != ["sent"]:
            figures.problems.append(f"step {self.step}: deliveries {statuses}")


def _key(data: bytes) -> tuple[int, int]:
    found = _MESSAGE_ID.search(data)
    return (int(found[1]), int(found[2])) if found else (0, 0)


def run_sender_chaos(
    root: Path,
    *,
    senders: int,
    kills: int,
    subscribers: int,
    connections: int,
    data_delay: float,
    seed: int | None,
) -> tuple[Figures, SenderChaos]:
    """Sequences of one digest each, until at least ``kills`` kills; the figures."""
    binaries = postgres_bin()
    if binaries is None:
        sys.exit("PostgreSQL is not installed (initdb/pg_ctl): apt-get install postgresql")
    servers = [Recorder(data_delay) for _ in range(senders)]
    for server in servers:
        server.__enter__()
    try:
        with running_cluster(binaries) as cluster:
            os.environ[PASSWORD_ENV] = cluster.password
            site = SenderSite(
                root, cluster.url(cluster.new_database()), [s.port for s in servers], connections
            )
            chaos = SenderChaos(site, servers, subscribers, seed)
            # Kills about as often as a run takes to send a tenth of the digest.
            kill_every = max(subscribers * data_delay / connections / senders / 10, 0.05)
            while chaos.figures.kills < kills:
                chaos.sequence(kill_every, kills=min(25, kills - chaos.figures.kills))
    finally:
        for server in servers:
            server.__exit__()
    return chaos.figures, chaos

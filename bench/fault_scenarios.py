"""The fault scenarios of bench/chaos.py beside its kill loop: a relay dropping connections
after DATA, throttling over several runs, and a disk filling up under the store.

Each runs real `bulletin send` processes against an aiosmtpd server in this process and
counts the copies of each digest every subscriber received.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from aiosmtpd.smtp import SMTP, Envelope, Session
from kill_loop import FIRST_DAY, KillSite, Recorder


@dataclass
class Outcome:
    scenario: str
    messages: int = 0  # subscribers the digest went to
    runs: list[str] = field(default_factory=list)  # one line per `bulletin send`: exit status, summary
    copies: collections.Counter[str] = field(default_factory=collections.Counter)
    notes: dict[str, int] = field(default_factory=dict)

    @property
    def lost(self) -> int:
        return self.messages - len(self.copies)

    @property
    def duplicated(self) -> int:
        return sum(count - 1 for count in self.copies.values())

    def lines(self) -> list[str]:
        most = max(self.copies.values(), default=0)
        head = f"{self.scenario}: messages {self.messages}, runs {len(self.runs)}, lost {self.lost}"
        head += f", duplicated {self.duplicated}, most copies to one subscriber {most}"
        extra = ", ".join(f"{key} {value}" for key, value in self.notes.items())
        return [head + (f"; {extra}" if extra else ""), *(f"  {run}" for run in self.runs)]


class FaultyRelay(Recorder):
    """The kill loop's recorder, keeping recipients, with a hook deciding each DATA's fate."""

    def __init__(self) -> None:
        super().__init__(data_delay=0.0)
        self.kept: collections.Counter[str] = collections.Counter()
        self.data_commands = 0
        self.rcpt_reply: Callable[[], str | None] = lambda: None  # a refusal for RCPT, or None
        self.drop_after_data: Callable[[int], bool] = lambda n: False

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook names
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        refusal = self.rcpt_reply()
        if refusal:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        self.data_commands += 1
        for address in envelope.rcpt_tos:
            self.kept[address.lower()] += 1  # the relay has the message: it will deliver it
        if self.drop_after_data(self.data_commands):
            assert server.transport is not None
            server.transport.abort()  # gone before the 250: the client cannot know
            await asyncio.sleep(0)
        return "250 OK queued"


def _site(folder: Path, relay: FaultyRelay, subscribers: int, connections: int) -> tuple[KillSite, str]:
    site = KillSite(folder, relay.port, connections)
    site.post("step-001-0", "Новость", FIRST_DAY.strftime("%Y-%m-%d %H:%M"))
    site.subscribe([f"reader{n:04d}@example.org" for n in range(subscribers)])
    return site, (FIRST_DAY.replace(hour=12)).isoformat()


def _send(site: KillSite, now: str, outcome: Outcome, *smtp: str) -> int:
    process = site.popen("send", "--now", now)
    out, err = process.communicate(timeout=300)
    summary = next((line for line in out.splitlines() if line.startswith("Sent ")), "")
    error = next((line for line in err.splitlines() if line.startswith("Error:")), "")
    outcome.runs.append(f"exit {process.returncode}: {summary} {error}".strip())
    return process.returncode


def drop_after_data(folder: Path, subscribers: int, connections: int, one_in: int = 50) -> Outcome:
    """The relay takes the message, then drops the connection before answering, one DATA in ``one_in``."""
    outcome = Outcome(f"drop after DATA, 1 in {one_in}", subscribers)
    with FaultyRelay() as relay:
        relay.drop_after_data = lambda n: n % one_in == one_in // 3
        site, now = _site(folder, relay, subscribers, connections)
        for _ in range(5):
            if _send(site, now, outcome) == 0:
                break
        outcome.copies = relay.kept
        outcome.notes["dropped"] = sum(
            1 for n in range(1, relay.data_commands + 1) if relay.drop_after_data(n)
        )
    return outcome


def throttling(folder: Path, subscribers: int, connections: int, throttled_runs: int = 2) -> Outcome:
    """451 to every RCPT during the first runs (smtp.max_attempts 2), then the relay recovers."""
    outcome = Outcome(f"throttled for {throttled_runs} runs (max_attempts 2)", subscribers)
    with FaultyRelay() as relay:
        site, now = _site(folder, relay, subscribers, connections)
        _configure(site, max_attempts=2, retry_backoff=0, retry_delay=0.001)
        throttled = [True]
        relay.rcpt_reply = lambda: "451 4.7.1 rate limited, try again later" if throttled[0] else None
        for _ in range(throttled_runs):
            _send(site, now, outcome)
        outcome.notes["failed while throttled"] = site.rows(
            "SELECT count(*) FROM deliveries WHERE status = 'failed'"
        )[0][0]
        throttled[0] = False
        _send(site, now, outcome)
        outcome.copies = relay.kept
    return outcome


def disk_full(folder: Path, subscribers: int, connections: int) -> Outcome:
    """The store's folder is a 24 MB tmpfs; at the 100th message another writer fills it up, and
    it stays full for two more runs (store.min_free_mb at its default, 16 MB)."""
    outcome = Outcome("disk full under the store", subscribers)
    state = folder / "state"
    state.mkdir(parents=True)
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", str(state)]).returncode:
        outcome.runs.append("skipped: cannot mount a tmpfs (needs root)")
        return outcome
    filler = state / "filler"

    def fill_at_100th(number: int) -> bool:
        if number == 100:
            with open(filler, "wb") as handle:
                with contextlib.suppress(OSError):  # written until the disk is full
                    while True:
                        handle.write(b"\0" * 65536)
        return False

    try:
        with FaultyRelay() as relay:
            site, now = _site(folder, relay, subscribers, connections)
            relay.drop_after_data = fill_at_100th
            _send(site, now, outcome)
            first = sum(relay.kept.values())
            for _ in range(2):
                _send(site, now, outcome)
            outcome.notes["sent while still full"] = sum(relay.kept.values()) - first
            filler.unlink()
            _send(site, now, outcome)
            outcome.copies = relay.kept
    finally:
        subprocess.run(["umount", "-l", str(state)], check=False)
    return outcome


def _configure(site: KillSite, store: bool = False, **values: object) -> None:
    import json

    config = json.loads(site.config.read_text(encoding="utf-8"))
    config["store" if store else "smtp"].update(values)
    site.config.write_text(json.dumps(config, ensure_ascii=False, indent=2), encoding="utf-8")


SCENARIOS: dict[str, Callable[[Path, int, int], Outcome]] = {
    "drop-after-data": drop_after_data,
    "throttling": throttling,
    "disk-full": disk_full,
}


def run_scenarios(names: list[str], subscribers: int, connections: int) -> list[Outcome]:
    outcomes = []
    for name in names:
        with tempfile.TemporaryDirectory(prefix=f"bulletin-{name}-") as folder:
            outcomes.append(SCENARIOS[name](Path(folder) / "site", subscribers, connections))
    return outcomes

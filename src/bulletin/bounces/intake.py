"""Taking in bounce mail: classify each message, apply its events, keep what no rule understands."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ..store import Store
from .classify import Classified, classify
from .kept import keep_unknown
from .rules import EventOutcome, RuleSettings, apply_event


@dataclass(frozen=True)
class MailResult:
    """What one mail was and what it did."""

    name: str  # the file, or the mailbox and message it came from
    classified: Classified
    outcomes: tuple[EventOutcome, ...] = ()
    kept: Path | None = None  # where an unknown mail was kept for a person

    def lines(self) -> list[str]:
        """One line per event, or one for the mail when it reported none."""
        if self.outcomes:
            return [f"{self.name}: {outcome.describe()}" for outcome in self.outcomes]
        where = f", kept as {self.kept}" if self.kept else ""
        return [f"{self.name}: {self.classified.kind} ({self.classified.reason}){where}"]


@dataclass
class IntakeReport:
    """Every mail one import or fetch read."""

    results: list[MailResult] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # mail that could not be read at all

    def summary(self) -> str:
        kinds = Counter(result.classified.kind for result in self.results)
        changed = sum(outcome.changed for result in self.results for outcome in result.outcomes)
        parts = [f"{count} {kind}" for kind, count in sorted(kinds.items())]
        mails = len(self.results)
        text = f"Read {mails} mail{'' if mails == 1 else 's'}" + (f" ({', '.join(parts)})" if parts else "")
        return text + f"; {changed} subscriber{'' if changed == 1 else 's'} changed."


class Intake:
    """Applies each mail to the store; one per import or fetch run."""

    def __init__(self, store: Store, settings: RuleSettings, unknown_dir: Path, now: dt.datetime) -> None:
        self.store = store
        self.settings = settings
        self.unknown_dir = unknown_dir
        self.now = now
        self.report = IntakeReport()

    def take(self, name: str, raw: bytes) -> MailResult:
        """Classify ``raw``, apply its events (each once, ever), keep it if unknown."""
        classified = classify(raw, self.now)
        outcomes = tuple(
            apply_event(self.store, event, self.settings, self.now) for event in classified.events
        )
        kept = None
        if classified.kind == "unknown":
            kept = keep_unknown(self.unknown_dir, raw, classified.reason, self.now)
        result = MailResult(name, classified, outcomes, kept)
        self.report.results.append(result)
        return result

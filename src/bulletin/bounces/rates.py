"""Bounce and complaint rates of the last digests, against the limits mailbox providers publish."""

from __future__ import annotations

from dataclasses import dataclass

from ..store import DeliveryCounts, EventCounts, Store

# Gmail's sender guidelines (2024): keep spam complaints under 0.1 % and never reach 0.3 %;
# above that, mail is filtered and mitigation refused. Yahoo publishes the same 0.3 %.
COMPLAINT_LIMIT = 0.003


@dataclass(frozen=True)
class DigestRates:
    number: int
    sent: int
    events: EventCounts

    @property
    def bounced(self) -> int:
        return self.events.hard_bounces + self.events.soft_bounces

    @property
    def bounce_rate(self) -> float:
        return self.bounced / self.sent if self.sent else 0.0

    @property
    def complaint_rate(self) -> float:
        return self.events.complaints / self.sent if self.sent else 0.0

    def describe(self) -> str:
        """', bounced 3 (1.5 %), complaints 1 (0.50 %)' for the digest's status line; '' when none."""
        if not (self.bounced or self.events.complaints):
            return ""
        soft = f", {self.events.soft_bounces} soft" if self.events.soft_bounces else ""
        return (
            f"; bounced {self.bounced}{soft} ({percent(self.bounce_rate)}),"
            f" complaints {self.events.complaints} ({percent(self.complaint_rate)})"
        )


def digest_rates(store: Store, number: int, counts: DeliveryCounts) -> DigestRates:
    return DigestRates(number, counts.sent, store.event_counts(number))


def complaint_warning(rates: list[DigestRates]) -> str | None:
    """A warning when the complaints over these digests reach Gmail's limit; else None."""
    sent = sum(rate.sent for rate in rates)
    complaints = sum(rate.events.complaints for rate in rates)
    if not sent or complaints / sent <= COMPLAINT_LIMIT:
        return None
    return (
        f"complaint rate {percent(complaints / sent)} over the last {len(rates)} digest(s)"
        f" ({complaints} of {sent}) is above Gmail's {percent(COMPLAINT_LIMIT)}: mail to Gmail and Yahoo"
        " will go to spam or be refused; look at what made readers complain before the next digest"
    )


def percent(share: float) -> str:
    return f"{share * 100:.2f} %"

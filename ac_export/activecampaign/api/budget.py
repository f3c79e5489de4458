"""Time budgets: how long one request, and one phase of a run, may spend on a server that answers badly.

Retries make a client patient with a server that stumbles; budgets stop the patience from lasting
minutes with a server that is broken (HTML pages, endless 429s, connections cut mid-answer). What a
budget counts is trouble: failed attempts, backoff, Retry-After waits. Pacing to the account's limits
is not trouble and is never counted.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field

from ac_export.activecampaign.api.errors import ActiveCampaignUnavailable
from ac_export.activecampaign.api.limits import RequestKind

# One call, all its retries included: a broken server is refused well within 30 s.
REQUEST_BUDGET_S = 20.0
# A bulk import may have to wait out the bulk window (a minute, answered without Retry-After).
BULK_REQUEST_BUDGET_S = 150.0
# A phase (preflight and reads, upload, the count after it) stops once its trouble passes this many
# seconds and is more than this share of the phase's time: rare stumbles in a long read never do.
PHASE_BUDGET_S = 25.0
PHASE_TROUBLE_SHARE = 0.5
NOTHING_LOST = "nothing was lost — run the export again later"


@dataclass(frozen=True)
class Budget:
    """How long the client keeps trying: per request (by kind) and per phase of a run."""

    request_s: float = REQUEST_BUDGET_S
    bulk_request_s: float = BULK_REQUEST_BUDGET_S
    phase_s: float = PHASE_BUDGET_S
    phase_share: float = PHASE_TROUBLE_SHARE

    def for_kind(self, kind: RequestKind) -> float:
        """Seconds one request of this kind may take, retries included."""
        return self.request_s if kind is RequestKind.GENERAL else self.bulk_request_s


@dataclass
class RequestClock:
    """One call's deadline and what went wrong on its attempts."""

    call: str
    seconds: float
    deadline: float = 0.0
    problems: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self.deadline = time.monotonic() + self.seconds

    def remaining(self) -> float:
        """Seconds left before the call gives up."""
        return self.deadline - time.monotonic()

    def extend(self, seconds: float) -> None:
        """Move the deadline by time that was not trouble (waiting for the account's pacer)."""
        self.deadline += max(0.0, seconds)

    def note(self, problem: str) -> None:
        """Record what one attempt met."""
        self.problems[problem] += 1

    def summary(self) -> str:
        """What the attempts met, most frequent first: `7 × an HTML page instead of JSON, 2 × …`."""
        return ", ".join(f"{count} × {problem}" for problem, count in self.problems.most_common())

    def out_of_time(self, reason: str = "", *, retries_spent: bool = False) -> ActiveCampaignUnavailable:
        """The error for a call that used its budget or its retries (or would, waiting as asked)."""
        attempts = sum(self.problems.values())
        limit = f"in {attempts} attempts" if retries_spent else f"within {self.seconds:g} s"
        return ActiveCampaignUnavailable(
            f"ActiveCampaign did not answer {self.call} usefully {limit} ({self.summary()}){reason}; "
            f"{NOTHING_LOST}"
        )


@dataclass
class PhaseClock:
    """The trouble one phase of a run has met, refused past the budget."""

    budget: Budget
    name: str = "the run"
    started: float = field(default_factory=time.monotonic)
    trouble_s: float = 0.0
    problems: Counter[str] = field(default_factory=Counter)

    def begin(self, name: str) -> None:
        """Start a new phase: its trouble is counted afresh."""
        self.name, self.started, self.trouble_s = name, time.monotonic(), 0.0
        self.problems.clear()

    def charge(self, seconds: float, problem: str) -> None:
        """Count trouble; raises ActiveCampaignUnavailable once the phase is over its budget."""
        self.trouble_s += max(0.0, seconds)
        self.problems[problem] += 1
        elapsed = time.monotonic() - self.started
        if self.trouble_s > self.budget.phase_s and self.trouble_s > self.budget.phase_share * elapsed:
            worst = ", ".join(f"{count} × {what}" for what, count in self.problems.most_common(3))
            raise ActiveCampaignUnavailable(
                f"ActiveCampaign answered badly for {self.trouble_s:.0f} s of the {elapsed:.0f} s that "
                f"{self.name} has run ({worst}), over its {self.budget.phase_s:g} s budget; {NOTHING_LOST}"
            )

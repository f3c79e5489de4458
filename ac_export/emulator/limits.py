"""ActiveCampaign's rate windows and the emulator's fault injection."""

from __future__ import annotations

import math
import random
from collections import deque
from dataclasses import dataclass, field

from ac_export.emulator.knobs import Knobs

# ActiveCampaign: 5 requests per second per account, over every endpoint and key of the account.
GENERAL_LIMIT, GENERAL_WINDOW_S = 5, 1.0
# Bulk import has its own per-minute budgets, stricter for single-contact requests.
BULK_MANY_LIMIT, BULK_ONE_LIMIT, BULK_WINDOW_S = 100, 20, 60.0


class SlidingWindow:
    """At most `limit` accepted events in any window of `seconds` (a sliding log, not fixed buckets)."""

    def __init__(self, limit: int, seconds: float) -> None:
        self.limit = limit
        self.seconds = seconds
        self._accepted: deque[float] = deque()

    def try_acquire(self, now: float, time_scale: float) -> float | None:
        """Record an event and return None, or return how long (s) until one would be accepted."""
        window = self.seconds / time_scale
        while self._accepted and self._accepted[0] <= now - window:
            self._accepted.popleft()
        if len(self._accepted) >= self.limit:
            return self._accepted[0] + window - now
        self._accepted.append(now)
        return None

    def remaining(self) -> int:
        """Events still accepted in the current window (after the last acquire)."""
        return max(self.limit - len(self._accepted), 0)

    def clear(self) -> None:
        """Forget every recorded event."""
        self._accepted.clear()


@dataclass
class RateLimits:
    """The account's three windows: all requests, bulk imports of several contacts, and of one."""

    general: SlidingWindow = field(default_factory=lambda: SlidingWindow(GENERAL_LIMIT, GENERAL_WINDOW_S))
    bulk_many: SlidingWindow = field(default_factory=lambda: SlidingWindow(BULK_MANY_LIMIT, BULK_WINDOW_S))
    bulk_one: SlidingWindow = field(default_factory=lambda: SlidingWindow(BULK_ONE_LIMIT, BULK_WINDOW_S))

    def bulk_window(self, contact_count: int) -> SlidingWindow:
        """The bulk window that a request with this many contacts counts against."""
        return self.bulk_one if contact_count == 1 else self.bulk_many

    def clear(self) -> None:
        """Forget every window's history."""
        for window in (self.general, self.bulk_many, self.bulk_one):
            window.clear()


def retry_after_header(wait_s: float, time_scale: float) -> str:
    """`Retry-After` in whole seconds as ActiveCampaign sends it; a decimal under a time scale."""
    if time_scale == 1.0:
        return str(max(math.ceil(wait_s), 1))
    return f"{max(math.ceil(wait_s * 1000) / 1000, 0.001):g}"


class FaultInjector:
    """Draws, per API request, whether it fails and how (seeded for reproducible runs)."""

    def __init__(self, seed: int | None) -> None:
        self._random = random.Random(seed)

    def reseed(self, seed: int | None) -> None:
        """Restart the random sequence."""
        self._random.seed(seed)

    def draw(self, knobs: Knobs) -> str | None:
        """A fault kind from `knobs.fault_kinds` with probability `knobs.fault_rate`, else None."""
        if knobs.fault_rate <= 0.0 or self._random.random() >= knobs.fault_rate:
            return None
        return self._random.choice(knobs.fault_kinds)

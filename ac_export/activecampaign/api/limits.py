"""ActiveCampaign's published API limits, each stated once (reference: activecampaign-api.md)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

# Every endpoint, every key of an account: 5 requests a second; over it, 429 with Retry-After.
REQUESTS_PER_SECOND = 5
# Bulk import has windows of its own, answered with a 400 envelope (not 429) when full.
BULK_MULTI_PER_MINUTE = 100  # requests carrying several contacts
BULK_SINGLE_PER_MINUTE = 20  # requests carrying one contact
MAX_CONTACTS_PER_BULK_REQUEST = 250
MAX_BYTES_PER_BULK_REQUEST = 399_999
# One contact must fit in a bulk request with room for the request's envelope.
MAX_CONTACT_BYTES = 399_000
# `limit` on collection endpoints defaults to 20 and is capped at 100.
PAGE_SIZE = 100
# No answer of the API we use comes near this (a page of 100 contacts is a few hundred KB): a larger
# one is not ActiveCampaign's, and reading it whole could take gigabytes of memory.
MAX_ANSWER_BYTES = 4_000_000
# A field relation to list 0 makes a custom field available on every list.
ALL_LISTS = 0
# The 400 message of a full bulk import window.
BULK_RATE_LIMIT_MESSAGE = "Rate limit exceeded."


class RequestKind(StrEnum):
    """The classes of request the account's windows count (the pacer knows them by these names)."""

    GENERAL = "general"
    BULK_MULTI = "bulk_multi"
    BULK_SINGLE = "bulk_single"


@dataclass(frozen=True)
class Limits:
    """The account's limits; `time_scale` divides every window (only for a time-scaled emulator)."""

    requests_per_second: float = REQUESTS_PER_SECOND
    bulk_multi_per_minute: float = BULK_MULTI_PER_MINUTE
    bulk_single_per_minute: float = BULK_SINGLE_PER_MINUTE
    time_scale: float = 1.0
    # Keeps us clear of the edge of the server's window, whose exact boundaries we cannot see.
    safety_margin: float = 0.03

    def windows(self) -> dict[str, tuple[int, float]]:
        """Window name → (requests allowed, window length in seconds), as the pacer enforces them."""
        stretch = (1 + self.safety_margin) / self.time_scale
        return {
            RequestKind.GENERAL: (max(1, int(self.requests_per_second)), 1.0 * stretch),
            RequestKind.BULK_MULTI: (max(1, int(self.bulk_multi_per_minute)), 60.0 * stretch),
            RequestKind.BULK_SINGLE: (max(1, int(self.bulk_single_per_minute)), 60.0 * stretch),
        }

    def counted_in(self, request: str) -> tuple[str, ...]:
        """Every request counts against the account's general window; bulk imports also against their own."""
        kind = RequestKind(request)
        return (RequestKind.GENERAL,) if kind is RequestKind.GENERAL else (RequestKind.GENERAL, kind)

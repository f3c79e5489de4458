"""Counters of what the emulator saw, for `GET /_emulator/stats`."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

BULK_IMPORT_ENDPOINT = "POST /api/3/import/bulk_import"


@dataclass
class Stats:
    """Request counts by endpoint and status, throttling, faults and bulk import volume."""

    requests: int = 0
    throttled: int = 0
    faults: int = 0
    bulk_imports_queued: int = 0
    contacts_queued: int = 0
    faults_by_kind: Counter[str] = field(default_factory=Counter)
    by_status: Counter[str] = field(default_factory=Counter)
    by_endpoint: defaultdict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))

    def record(self, endpoint: str, outcome: int | str) -> None:
        """Count one API request by its status code (or `dropped` when the connection was cut)."""
        key = str(outcome)
        self.by_status[key] += 1
        self.by_endpoint[endpoint][key] += 1
        if key == "429":
            self.throttled += 1

    def as_json(self) -> dict[str, Any]:
        """The counters as a JSON-ready object."""
        return {
            "requests": self.requests,
            "throttled": self.throttled,
            "faults": self.faults,
            "faults_by_kind": dict(self.faults_by_kind),
            "bulk_import_requests": sum(self.by_endpoint.get(BULK_IMPORT_ENDPOINT, {}).values()),
            "bulk_imports_queued": self.bulk_imports_queued,
            "contacts_queued": self.contacts_queued,
            "by_status": dict(self.by_status),
            "by_endpoint": {name: dict(counts) for name, counts in sorted(self.by_endpoint.items())},
        }

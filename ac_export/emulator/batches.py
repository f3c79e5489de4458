"""Asynchronous bulk import batches: queued, processed in submission order, then reported."""

from __future__ import annotations

import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ac_export.emulator.automations import STARTS_AUTOMATIONS
from ac_export.emulator.entities import email_key, now_iso
from ac_export.emulator.readings import Readings
from ac_export.emulator.store import Account

# ActiveCampaign reports `false` just after the POST, then waiting → claimed → active → completed;
# the emulator spends an equal share of the processing delay in each of the first four.
PHASES: tuple[bool | str, ...] = (False, "waiting", "claimed", "active")
COMPLETED = "completed"

EXCLUDED = "The email address is on the account's exclusion list."
BOUNCED = "The email address has bounced."
OPTED_OUT = "Contacts may not be subscribed to lists which they have previously unsubscribed from"
OVER_LIMIT = "Contacts may not exceed your account limit"


@dataclass(slots=True)
class Batch:
    """One accepted bulk import request and, once processed, its outcome per contact."""

    id: str
    submitted_at: float
    due_at: float
    for_date: str
    size: int
    contacts: list[dict[str, Any]] | None
    completed_at: float | None = None
    success: list[str] = field(default_factory=list)
    failures: list[list[str]] = field(default_factory=list)

    def status(self, now: float) -> bool | str:
        """The `import/info` status at time `now` (epoch seconds)."""
        if self.completed_at is not None:
            return COMPLETED
        span = self.due_at - self.submitted_at
        share = (now - self.submitted_at) / span if span > 0 else 1.0
        return PHASES[min(max(int(share * len(PHASES)), 0), len(PHASES) - 1)]


@dataclass
class BatchQueue:
    """Every batch of the account, and the queue of those still to process."""

    batches: dict[str, Batch] = field(default_factory=dict)
    pending: deque[str] = field(default_factory=deque)

    def submit(self, contacts: list[dict[str, Any]], delay_s: float, now: float) -> Batch:
        """Queue validated contacts; they are applied once `delay_s` has passed."""
        batch = Batch(
            str(uuid.uuid4()),
            now,
            now + delay_s,
            date.fromtimestamp(now).isoformat(),
            len(contacts),
            contacts,
        )
        self.batches[batch.id] = batch
        self.pending.append(batch.id)
        return batch

    def process_due(
        self, account: Account, contact_limit: int | None, now: float, readings: Readings | None = None
    ) -> int:
        """Apply every due batch to the account, strictly in submission order; returns how many."""
        readings = readings or Readings()
        done = 0
        while self.pending and self.batches[self.pending[0]].due_at <= now:
            batch = self.batches[self.pending.popleft()]
            stamp = now_iso()
            for contact in batch.contacts or ():
                _apply(account, batch, contact, contact_limit, stamp, readings)
            batch.contacts, batch.completed_at = None, now
            done += 1
        return done

    def daily(self) -> dict[str, list[dict[str, str]]]:
        """`GET /import/bulk_import`: batches and contacts per day, outstanding and completed."""
        totals: dict[tuple[str, str], list[int]] = {}
        for batch in self.batches.values():
            key = ("recentlyCompleted" if batch.completed_at is not None else "outstanding", batch.for_date)
            counts = totals.setdefault(key, [0, 0])
            counts[0] += 1
            counts[1] += batch.size
        return {
            kind: [
                {"forDate": day, "batches": str(n), "contacts": str(c)}
                for (k, day), (n, c) in sorted(totals.items())
                if k == kind
            ]
            for kind in ("outstanding", "recentlyCompleted")
        }

    def to_snapshot(self) -> dict[str, Any]:
        """Every batch, pending ones with their contacts, so a restart loses no accepted work."""
        return {"batches": list(self.batches.values()), "pending": list(self.pending)}

    @classmethod
    def from_snapshot(cls, data: dict[str, Any]) -> BatchQueue:
        """Rebuild the queue from `to_snapshot()` output."""
        batches = {row["id"]: Batch(**row) for row in data.get("batches", [])}
        return cls(batches=batches, pending=deque(data.get("pending", [])))


def _apply(
    account: Account,
    batch: Batch,
    contact: dict[str, Any],
    contact_limit: int | None,
    stamp: str,
    readings: Readings,
) -> None:
    """Upsert one contact of a batch, or record why ActiveCampaign would refuse it."""
    reason = _refusal(account, contact, contact_limit, readings.documented_resubscribe)
    if reason is None:
        contact_id = account.import_row(contact, stamp, readings.fieldrels_required)
        batch.success.append(str(contact_id))
        account.count_automations(contact_id, contact.get(STARTS_AUTOMATIONS, True))
    else:
        batch.failures.append([contact["email"], reason])


def _refusal(
    account: Account, contact: dict[str, Any], contact_limit: int | None, anyone_unsubscribed: bool
) -> str | None:
    """Why the bulk importer refuses this contact, or None."""
    key = email_key(contact["email"])
    if key in account.exclusions:
        return EXCLUDED
    if key in account.bounces:
        return BOUNCED
    existing = account.contact_by_email(key)
    if existing is None:
        over = contact_limit is not None and len(account.contacts) >= contact_limit
        return OVER_LIMIT if over else None
    subscribe = contact.get("subscribe")
    # Documented reading: refused whoever unsubscribed them (the contact, an import, contactLists);
    # lenient reading: only when the contact unsubscribed itself.
    if subscribe and account.unsubscribed_from(
        existing.id, [entry["listid"] for entry in subscribe], by_contact_only=not anyone_unsubscribed
    ):
        return OPTED_OUT
    return None

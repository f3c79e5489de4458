"""The ledger as the export engine sees it: one interface of named operations, both backends behind it.

The engine (`ac_export.activecampaign`) never writes SQL over the ledger's tables: it says what
happened (these contacts opted out, those were subscribed by someone else, ours went missing) and
reads what it plans with (the counts, the facts, the rows the plan diffs against). Each operation
runs one SQL statement over a set (a table of emails in `con`, or a list of them), never a loop
over rows. The embedded store and the PostgreSQL one (`store.LedgerStore`,
`postgres.ledger.PostgresLedger`) implement it over the DuckDB connection they plan in; the
PostgreSQL one carries every change through to its database (`write_through`).

Which prior statuses a change applies to is the engine's rule (who owns a contact, who may be
sent again), passed as `Statuses`; how a status is recorded (its reason, the stamp every write
carries) is the ledger's.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, runtime_checkable

import duckdb

from ac_export.state.schema import LedgerStatus


@dataclass(frozen=True)
class Statuses:
    """The ledger statuses an operation applies to: these, or (`negated`) any status but these."""

    members: tuple[LedgerStatus, ...]
    negated: bool = False

    def sql(self, column: str = "status") -> str:
        """The condition in SQL (statuses are `LedgerStatus` constants, never user input)."""
        listed = ", ".join(f"'{status}'" for status in self.members)
        return f"{column} {'NOT IN' if self.negated else 'IN'} ({listed})"


def one_of(*statuses: LedgerStatus) -> Statuses:
    """Contacts whose status is one of these."""
    return Statuses(statuses)


def any_but(*statuses: LedgerStatus) -> Statuses:
    """Contacts whose status is any but these (a status added later included)."""
    return Statuses(statuses, negated=True)


@dataclass(frozen=True)
class LedgerCounts:
    """How many contacts the ledger holds in each status."""

    by_status: Mapping[str, int] = field(default_factory=dict)

    def of(self, *statuses: LedgerStatus) -> int:
        """Contacts in any of these statuses."""
        return sum(self.by_status.get(status, 0) for status in statuses)


@runtime_checkable
class Ledger(Protocol):
    """A list's ledger: what the engine reads to plan, and the named changes it records."""

    # The DuckDB connection the engine plans in: its own TEMP tables live here beside the ledger's.
    con: duckdb.DuckDBPyConnection

    def transaction(self) -> AbstractContextManager[None]:
        """All of the block's changes to the ledger, or none of them."""
        ...

    # What the engine reads.
    def counts(self) -> LedgerCounts:
        """Contacts by status."""
        ...

    def status_of(self, email: str) -> str | None:
        """The status the ledger holds for one email (None: no row)."""
        ...

    def fact(self, name: str) -> str | None:
        """A fact kept about the list (its name, the last full reconcile, the counts compared)."""
        ...

    def facts_starting(self, prefix: str) -> dict[str, str]:
        """Every fact whose name starts with `prefix`, by name."""
        ...

    def unknown_or_refused(self, emails: list[str]) -> set[str]:
        """Of these emails, those with no row, or only a refusal (the ones a plan would add)."""
        ...

    def on_list_absent_from(self, shown: str) -> list[str]:
        """Contacts held on the list (or ours missing) whose email is not in table `shown`, sorted."""
        ...

    def plan_inputs(self) -> str:
        """The rows the plan diffs against, as a relation to select from.

        Columns: email, customer_id, status, content_hash, reason.
        """
        ...

    def refused_since(self, since: datetime) -> str:
        """Contacts refused at or after `since`, as a relation: export, customer_id, email, reason."""
        ...

    def last_sent(self) -> str:
        """What each contact was last sent with, as a relation: email, payload (empty if never kept)."""
        ...

    # What the engine records, each returning how many contacts it changed.
    def mark_subscribed(self, among: str, *, was: Statuses) -> int:
        """Contacts in table `among` whose status is in `was` are ours and on the list again."""
        ...

    def mark_opted_out(self, among: str, *, was: Statuses) -> int:
        """Contacts in table `among` whose status is in `was` left the list while ours: never sent again."""
        ...

    def mark_unsubscribed_by_others(self, among: str, *, was: Statuses) -> int:
        """Contacts in table `among` whose status is in `was` are unsubscribed, not by us: never sent."""
        ...

    def mark_pre_existing(self, among: str, *, was: Statuses) -> int:
        """Contacts in table `among` whose status is in `was` were subscribed by others: never removed."""
        ...

    def mark_missing(self, *, absent_from: str, was: Statuses) -> int:
        """Contacts in `was` whose email is not in table `absent_from` are ours, lost by the list."""
        ...

    def mark_pre_existing_missing(self, *, absent_from: str, was: Statuses) -> int:
        """Contacts in `was` whose email is not in table `absent_from` are others', lost by the list."""
        ...

    def mark_removed(self, emails: list[str], reason: str) -> int:
        """These contacts count as removed by us (an operator's forgotten opt-out), their hash forgotten."""
        ...

    def learn_pre_existing(self, among: str, export: str) -> int:
        """Contacts in table `among` the ledger has no row for: subscribed by others, recorded as such."""
        ...

    def learn_unsubscribed_by_others(self, among: str, export: str) -> int:
        """Contacts in table `among` the ledger has no row for: unsubscribed by others, recorded as such."""
        ...

    def remember_opt_outs(self, *, absent_from: str) -> int:
        """Opt-outs and others' unsubscribes not in table `absent_from` stay remembered (never sent)."""
        ...

    def forget_removals(self, *, absent_from: str) -> int:
        """Contacts we removed that are not in table `absent_from` are forgotten."""
        ...

    def forget_removals_and_refusals(self) -> int:
        """Every removal and refusal is forgotten (the list id names another list now)."""
        ...

    def retry_refusals(self) -> int:
        """Refused contacts are sent once more on the next plan, whether their data changed or not."""
        ...

    def forget(self, emails: list[str]) -> int:
        """These contacts' rows are dropped (the next run treats them as new)."""
        ...

    def record_fact(self, name: str, value: str) -> None:
        """Remember a fact about the list."""
        ...

    def remember_sent(self, sent: str) -> None:
        """Keep the payloads query `sent` yields (email, payload, content_hash) that the ledger confirms."""
        ...

    # The send queue (see `ledger.enqueue` and the functions beside it).
    def enqueue(self, queue_sql: str, export: str, run_id: str, batch_size: int) -> tuple[int, int]:
        """Record a run's whole send queue as in flight; returns the first and last batch numbers."""
        ...

    def split_batch(self, batch_no: int, moved_emails: list[str]) -> int:
        """Move some contacts of a batch to a new batch; returns its number."""
        ...

    def record_batch_ids(self, batch_ids: dict[int, str]) -> None:
        """Note the ids ActiveCampaign gave queued batches."""
        ...

    def refuse_from_inflight(self, batch_no: int, refused: dict[str, str]) -> None:
        """Move contacts refused at validation out of a batch into the ledger as refused."""
        ...

    def settle_batches(
        self, confirmed: dict[int, tuple[str, list[str]]], failure_reason: str
    ) -> dict[str, int]:
        """Apply confirmed batches (subscribed, removed, refused) in one transaction; counts by outcome."""
        ...

    def pending_batches(self) -> list[tuple[int, str | None, int]]:
        """Batches left in flight by an earlier run: (batch_no, batch_id, contacts)."""
        ...

    def batch_contents(self, batch_nos: list[int]) -> dict[int, list[tuple[str, str]]]:
        """(email, contact JSON) of batches in flight."""
        ...

    def returning_among(self, batch_nos: list[int], emails: set[str]) -> dict[int, list[tuple[str, str]]]:
        """Of these emails in these batches, those sent to re-subscribe one we removed (with payloads)."""
        ...

    def write_through(self) -> None:
        """Make every change so far durable where the backend keeps the ledger."""
        ...

    def close(self) -> None:
        """Release the ledger (and its lock)."""
        ...


__all__ = ["Ledger", "LedgerCounts", "Statuses", "any_but", "one_of"]

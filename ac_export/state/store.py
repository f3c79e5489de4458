"""A list's ledger as the export engine sees it: a DuckDB connection to plan in, and where changes go.

The engine reads and changes the ledger only through this object's named operations
(`ledger_api.Ledger`, run as `ledger_sql`'s statements in `con`). The embedded store is the list's
DuckDB file itself; the PostgreSQL store (`state.postgres.ledger`) loads the list's rows into a
scratch DuckDB and writes each change through to PostgreSQL in one transaction.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from ac_export.state import ledger
from ac_export.state.ledger_sql import LedgerOperations
from ac_export.state.merge import open_list_ledger


class LedgerStore(LedgerOperations):
    """The embedded ledger: one DuckDB file per list, changed in place (the default)."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con

    @classmethod
    def open(cls, path: Path, *, read_only: bool = False, wait_s: float = 30.0) -> LedgerStore:
        """Open a list's ledger file, waiting a while for another run's lock (raises LedgerInUse)."""
        return cls(ledger.open_ledger(path, read_only=read_only, wait_s=wait_s))

    @classmethod
    def open_account(
        cls, root: Path, host: str, list_id: int, *, read_only: bool = False, wait_s: float = 30.0
    ) -> LedgerStore:
        """Open a list's ledger under the account's canonical identity, older spellings merged in."""
        return cls(open_list_ledger(root, host, list_id, read_only=read_only, wait_s=wait_s))

    def enqueue(self, queue_sql: str, export: str, run_id: str, batch_size: int) -> tuple[int, int]:
        """Record a run's whole send queue as in flight (see `ledger.enqueue`)."""
        return ledger.enqueue(self.con, queue_sql, export, run_id, batch_size)

    def split_batch(self, batch_no: int, moved_emails: list[str]) -> int:
        """Move some contacts of a batch to a new batch; returns its number."""
        return ledger.split_batch(self.con, batch_no, moved_emails)

    def record_batch_ids(self, batch_ids: dict[int, str]) -> None:
        """Note the ids ActiveCampaign gave queued batches."""
        ledger.record_batch_ids(self.con, batch_ids)

    def refuse_from_inflight(self, batch_no: int, refused: dict[str, str]) -> None:
        """Move contacts refused at validation out of a batch into the ledger as refused."""
        ledger.refuse_from_inflight(self.con, batch_no, refused)

    def settle_batches(
        self, confirmed: dict[int, tuple[str, list[str]]], failure_reason: str
    ) -> dict[str, int]:
        """Apply confirmed batches in one transaction; returns counts by outcome."""
        return ledger.settle_batches(self.con, confirmed, failure_reason)

    def pending_batches(self) -> list[tuple[int, str | None, int]]:
        """Batches left in flight by an earlier run: (batch_no, batch_id, contacts)."""
        return ledger.pending_batches(self.con)

    def batch_contents(self, batch_nos: list[int]) -> dict[int, list[tuple[str, str]]]:
        """(email, contact JSON) of batches in flight."""
        return ledger.batch_contents(self.con, batch_nos)

    def returning_among(self, batch_nos: list[int], emails: set[str]) -> dict[int, list[tuple[str, str]]]:
        """Of these emails in these batches, those sent to re-subscribe one we removed (with payloads)."""
        return ledger.returning_among(self.con, batch_nos, emails)

    def write_through(self) -> None:
        """Make changes made directly in `con` durable (the embedded file already holds them).

        A no-op for a ledger opened read only: a dry run's changes stay its own.
        """

    def close(self) -> None:
        """Release the ledger (and its lock)."""
        self.con.close()

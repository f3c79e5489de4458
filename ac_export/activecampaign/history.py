"""Every export run, one row each: when, how many members, and every count ExportCounts has.

The row is built from `ExportCounts.as_dict()` generically, so a count added there becomes a
column here with no change (older rows show it empty). The table is small (one row per run), so
appending rewrites it as a new version, which keeps the warehouse's atomic replace.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import polars as pl

from ac_export.contracts import ExportCounts, history_table
from ac_export.warehouse import Warehouse


@dataclass(frozen=True)
class RunRecord:
    """One export run, as the history keeps it."""

    export: str
    segment: str
    list_id: int
    run_id: str
    counts: ExportCounts
    list_size: int
    run_at: datetime | None = None

    def row(self) -> dict[str, object]:
        """The run as a row: identity first, then every count by name."""
        at = self.run_at or datetime.now(UTC)
        return {
            "run_at": at.astimezone(UTC).replace(tzinfo=None),
            "run_id": self.run_id,
            "export": self.export,
            "segment": self.segment,
            "list_id": self.list_id,
            "list_size": self.list_size,
            **self.counts.as_dict(),
        }


def record_run(warehouse: Warehouse, record: RunRecord) -> int:
    """Append one run to its export's history (a run recorded again replaces its row); returns the rows."""
    table = history_table(record.export)
    new = pl.DataFrame([record.row()])
    if warehouse.exists(table):
        old = warehouse.read_frame(table).filter(pl.col("run_id") != record.run_id)
        new = pl.concat([old, new], how="diagonal_relaxed")
    return warehouse.write_frame(table, new.sort("run_at"))


def read_history(warehouse: Warehouse, export: str, last: int | None = None) -> pl.DataFrame:
    """An export's runs, oldest first (the last `last` of them); empty if it never ran."""
    table = history_table(export)
    if not warehouse.exists(table):
        return pl.DataFrame()
    frame = warehouse.read_frame(table).sort("run_at")
    return frame.tail(last) if last else frame

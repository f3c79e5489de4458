"""Readable terminal tables: an export's counts, a dry run's plan, a list's history, its rejections."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl
import rich.box
import rich.console
import rich.table
import rich.text

from ac_export.activecampaign.preview import PlanPreview
from ac_export.activecampaign.rejections import Rejections
from ac_export.contracts import ExportCounts

# Counts shown per export, in this order (the rest stay in the history table and the metadata).
SHOWN_COUNTS = (
    "members",
    "added",
    "updated",
    "unchanged",
    "removed",
    "resubscribed",
    "email_changed",
    "opted_out",
    "rejected",
    "requests",
    "duration_s",
    "contacts_per_s",
)
HISTORY_COUNTS = ("list_size", "members", "added", "updated", "removed", "email_changed", "opted_out")


def _table(title: str | None, headings: Sequence[str], right_from: int = 1) -> rich.table.Table:
    table = rich.table.Table(title=title, box=rich.box.SIMPLE_HEAD, pad_edge=False, title_justify="left")
    for index, heading in enumerate(headings):
        table.add_column(heading, justify="right" if index >= right_from else "left")
    return table


def _value(counts: ExportCounts, name: str) -> str:
    value = counts.rejected if name == "rejected" else counts.as_dict().get(name, 0)
    return f"{value:,}" if isinstance(value, int) else str(value)


def counts_table(rows: Sequence[tuple[str, ExportCounts]], title: str | None = None) -> rich.table.Table:
    """One row per export: what it did (or, in a dry run, would do)."""
    table = _table(title, ["export", *(name.replace("_", " ") for name in SHOWN_COUNTS)])
    for name, counts in rows:
        table.add_row(name, *(_value(counts, count) for count in SHOWN_COUNTS))
    return table


def plan_table(export: str, shown: PlanPreview) -> rich.console.Group:
    """A dry run's first plan rows (emails masked), under a line that says where the whole plan is."""
    first = len(shown.sample)
    title = f"{export}: {shown.rows:,} contacts would change (the first {first}; all: {shown.path})"
    table = _table(None, ["customer", "email", "action", "reason", "changed fields"], right_from=99)
    for row in shown.sample:
        table.add_row(*row)
    return rich.console.Group(rich.text.Text(title), table)


def history_table(export: str, history: pl.DataFrame) -> rich.table.Table:
    """An export's runs, oldest first."""
    counts = [name for name in HISTORY_COUNTS if name in history.columns]
    headings = ["run at", "run", *(name.replace("_", " ") for name in counts), "rejected", "seconds"]
    table = _table(f"{export}: {history.height} runs", headings)
    for row in history.iter_rows(named=True):
        rejected = sum(int(v or 0) for k, v in row.items() if k.startswith("rejected_"))
        table.add_row(
            row["run_at"].strftime("%Y-%m-%d %H:%M:%S"),
            str(row["run_id"])[:8],
            *(f"{int(row[name] or 0):,}" for name in counts),
            f"{rejected:,}",
            f"{row.get('duration_s') or 0:.1f}",
        )
    return table


def rejections_table(export: str, rejections: Rejections, path: str) -> rich.console.Group:
    """An export's latest rejections (emails masked), under their count per kind and the file."""
    kinds = ", ".join(f"{kind} {count:,}" for kind, count in rejections.by_kind.items()) or "none"
    title = f"{export}: {rejections.total:,} rejected ({kinds}); all: {path}"
    table = _table(None, ["customer", "email", "kind", "reason", "stage"], right_from=99)
    for row in rejections.rows:
        table.add_row(*row)
    return rich.console.Group(rich.text.Text(title), table)

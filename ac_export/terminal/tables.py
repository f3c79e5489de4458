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

# The counts that divide the members, as the tables show them: a row's cells from `added` to
# `rejected` add up to its `members` (contracts.MEMBER_PARTS, the rejections summed).
MEMBER_COLUMNS = (
    ("added", "added"),
    ("updated", "updated"),
    ("unchanged", "unchanged"),
    ("resubscribed", "resubscribed"),
    ("repaired", "repaired"),
    ("opted_out", "opted out"),
    ("unsubscribed_in_activecampaign", "unsubscribed in AC"),
    ("duplicates_folded", "folded"),
    ("rejected", "rejected"),
)
# Shown after them: what happened beside the members (leavers, moves, others' subscribers) and the cost.
OTHER_COLUMNS = (
    ("removed", "removed"),
    ("email_changed", "email changed"),
    ("pre_existing", "pre-existing"),
    ("requests", "requests"),
    ("duration_s", "seconds"),
    ("contacts_per_s", "contacts/s"),
)
SHOWN_COUNTS = ("members", *(name for name, _ in MEMBER_COLUMNS), *(name for name, _ in OTHER_COLUMNS))
# A history row: the list's size, then the counts as above (older runs lack the newer counts: 0).
HISTORY_COUNTS = ("list_size", "members", *(name for name, _ in MEMBER_COLUMNS), "removed", "email_changed")


def _table(title: str | None, headings: Sequence[str], right_from: int = 1) -> rich.table.Table:
    table = rich.table.Table(title=title, box=rich.box.SIMPLE_HEAD, pad_edge=False, title_justify="left")
    for index, heading in enumerate(headings):
        table.add_column(heading, justify="right" if index >= right_from else "left")
    return table


def _value(counts: ExportCounts, name: str) -> str:
    value = counts.rejected if name == "rejected" else counts.as_dict().get(name, 0)
    return f"{value:,}" if isinstance(value, int) else str(value)


def counts_table(rows: Sequence[tuple[str, ExportCounts]], title: str | None = None) -> rich.table.Table:
    """One row per export: what it did (or, in a dry run, would do); `added`…`rejected` sum to `members`."""
    headings = ["members", *(h for _, h in MEMBER_COLUMNS), *(h for _, h in OTHER_COLUMNS)]
    table = _table(title, ["export", *headings])
    for name, counts in rows:
        table.add_row(name, *(_value(counts, count) for count in SHOWN_COUNTS))
    return table


def plan_table(export: str, shown: PlanPreview) -> rich.console.Group:
    """A dry run's first plan rows, removals first, under a line that says where the whole plan is."""
    first = len(shown.sample)
    title = f"{export}: {shown.rows:,} contacts would change (the first {first}; all: {shown.path})"
    email = "email (masked)" if shown.masked else "email"
    table = _table(None, ["action", email, "customer", "reason", "changed fields"], right_from=99)
    for customer, address, action, reason, changed in shown.sample:
        table.add_row(action, address, customer, reason, changed)
    return rich.console.Group(rich.text.Text(title), table)


def history_table(export: str, history: pl.DataFrame) -> rich.table.Table:
    """An export's runs, oldest first."""
    shown = dict(MEMBER_COLUMNS)
    headings = ["run at", "run", *(shown.get(n, n.replace("_", " ")) for n in HISTORY_COUNTS), "seconds"]
    table = _table(f"{export}: {history.height} runs", headings)
    for row in history.iter_rows(named=True):
        counts = ExportCounts.from_mapping(row)
        table.add_row(
            row["run_at"].strftime("%Y-%m-%d %H:%M:%S"),
            str(row["run_id"])[:8],
            *(
                _value(counts, name) if name != "list_size" else f"{int(row[name] or 0):,}"
                for name in HISTORY_COUNTS
            ),
            f"{row.get('duration_s') or 0:.1f}",
        )
    return table


def rejections_table(export: str, rejections: Rejections, path: str) -> rich.console.Group:
    """An export's latest rejections, under their count per kind and the file."""
    kinds = ", ".join(f"{kind} {count:,}" for kind, count in rejections.by_kind.items()) or "none"
    title = f"{export}: {rejections.total:,} rejected ({kinds}); all: {path}"
    table = _table(None, ["customer", "email", "kind", "reason", "stage"], right_from=99)
    for row in rejections.rows:
        table.add_row(*row)
    return rich.console.Group(rich.text.Text(title), table)

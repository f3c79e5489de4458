"""One list's history as a picture: its size over time and what each run added and removed."""

from __future__ import annotations

import io
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only: no display, no GUI toolkit

import matplotlib.pyplot as plt
import polars as pl

from ac_export.activecampaign.history import read_history
from ac_export.contracts import history_table
from ac_export.warehouse import Warehouse

# Small enough to embed in asset metadata (tens of kB), sharp enough to read.
FIGSIZE = (8, 4.2)
DPI = 80
RUNS_SHOWN = 60


def history_png(history: pl.DataFrame, title: str) -> bytes:
    """A PNG of the last RUNS_SHOWN runs: list size and members above, added/removed per run below."""
    frame = history.sort("run_at").tail(RUNS_SHOWN)
    labels = [t.strftime("%m-%d %H:%M") for t in frame["run_at"].to_list()]
    x = list(range(frame.height))
    figure, (sizes, changes) = plt.subplots(2, 1, figsize=FIGSIZE, dpi=DPI, sharex=True)
    try:
        sizes.plot(x, _column(frame, "list_size"), marker="o", label="in list (this export's)")
        sizes.plot(x, _column(frame, "members"), marker=".", linestyle="--", label="segment members")
        sizes.set_title(title, fontsize=11)
        sizes.legend(loc="best", fontsize=8)
        sizes.grid(alpha=0.3)
        added = [a + r for a, r in zip(_column(frame, "added"), _column(frame, "resubscribed"), strict=True)]
        changes.bar(x, added, color="tab:green", label="added")
        changes.bar(x, [-v for v in _column(frame, "removed")], color="tab:red", label="removed")
        changes.bar(x, _column(frame, "updated"), bottom=added, color="tab:blue", alpha=0.6, label="updated")
        changes.axhline(0, color="black", linewidth=0.6)
        changes.legend(loc="best", fontsize=8)
        changes.grid(alpha=0.3)
        changes.set_xlim(-0.6, max(len(x), 4) - 0.4)
        step = max(1, len(x) // 10)
        changes.set_xticks(x[::step], labels[::step], rotation=30, ha="right", fontsize=7)
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
        return buffer.getvalue()
    finally:
        plt.close(figure)


def _column(frame: pl.DataFrame, name: str) -> list[int]:
    if name not in frame.columns:
        return [0] * frame.height
    return [int(v or 0) for v in frame[name].to_list()]


def chart_path(warehouse: Warehouse, export: str) -> Path:
    """Where an export's history chart lives: beside its history table."""
    return warehouse.root / f"{history_table(export)}.png"


def write_chart(warehouse: Warehouse, export: str, list_id: int) -> tuple[Path, bytes] | None:
    """Draw an export's history into its chart file (replaced atomically); None if it never ran."""
    history = read_history(warehouse, export)
    if history.is_empty():
        return None
    png = history_png(history, f"{export} → list {list_id}: {history.height} runs")
    path = chart_path(warehouse, export)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_bytes(png)
    os.replace(temporary, path)
    return path, png

"""One list's history as a picture: its size over time and what each run added and removed."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from ac_export.activecampaign.history import read_history
from ac_export.contracts import history_table
from ac_export.warehouse import Warehouse

if TYPE_CHECKING:
    from matplotlib.figure import Figure

# Small enough to embed in asset metadata (tens of kB), sharp enough to read.
FIGSIZE = (9, 4.4)
DPI = 80
RUNS_SHOWN = 60
# The axis always has room for this many runs, so that a few runs draw narrow bars at their points
# (one run's bar would otherwise fill the axis) and each run keeps the same slot as runs accrue.
MIN_SLOTS = 12
BAR_WIDTH = 0.7  # of a run's slot: bars centred on the run's point, gaps between neighbours
MAX_TICKS = 10


def chart_title(title: str, runs: int) -> str:
    """The chart's title, saying when it shows only the latest runs."""
    return f"{title} (the last {RUNS_SHOWN} shown)" if runs > RUNS_SHOWN else title


def history_figure(history: pl.DataFrame, title: str) -> Figure:
    """The figure of the last RUNS_SHOWN runs: sizes above, each run's changes below.

    Run i is drawn at x = i in both panels: its point above, its bars centred below. The figure is
    built without pyplot: no global figure registry to close, safe in a sensor's thread, and
    matplotlib is imported only by a run that draws (about a second of every process's start).
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    frame = history.sort("run_at").tail(RUNS_SHOWN)
    x = list(range(frame.height))
    figure = Figure(figsize=FIGSIZE, dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)  # files only: no display, no GUI toolkit
    sizes, changes = figure.subplots(2, 1, sharex=True)
    sizes.plot(x, _column(frame, "list_size"), marker="o", label="in list (this export's)")
    sizes.plot(x, _column(frame, "members"), marker=".", linestyle="--", label="segment members")
    sizes.set_title(chart_title(title, history.height), fontsize=11)
    added = [
        sum(v) for v in zip(*(_column(frame, n) for n in ("added", "resubscribed", "repaired")), strict=True)
    ]
    changes.bar(x, added, width=BAR_WIDTH, color="tab:green", label="added, re-subscribed, repaired")
    removed = [-v for v in _column(frame, "removed")]
    changes.bar(x, removed, width=BAR_WIDTH, color="tab:red", label="removed")
    updated = _column(frame, "updated")
    changes.bar(x, updated, width=BAR_WIDTH, bottom=added, color="tab:blue", alpha=0.6, label="updated")
    changes.axhline(0, color="black", linewidth=0.6)
    for axes in (sizes, changes):
        axes.grid(alpha=0.3)
        # Beside the plot, never over the bars.
        axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    changes.set_xlim(-0.5, max(len(x), MIN_SLOTS) - 0.5)
    step = max(1, -(-len(x) // MAX_TICKS))
    labels = [t.strftime("%m-%d %H:%M") for t in frame["run_at"].to_list()]
    changes.set_xticks(x[::step], labels[::step], rotation=30, ha="right", fontsize=7)
    return figure


def history_png(history: pl.DataFrame, title: str) -> bytes:
    """A PNG of the last RUNS_SHOWN runs: list size and members above, added/removed per run below."""
    buffer = io.BytesIO()
    history_figure(history, title).savefig(buffer, format="png")
    return buffer.getvalue()


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

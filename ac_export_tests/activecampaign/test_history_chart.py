"""The history chart, rendered: each run's bars centred on its point, readable with 1 run and with 500."""

from __future__ import annotations

import io
import itertools
from datetime import datetime, timedelta

import matplotlib.image
import polars as pl
import pytest
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ac_export.activecampaign.history_chart import (
    DPI,
    FIGSIZE,
    RUNS_SHOWN,
    history_figure,
    history_png,
)


def _history(runs: int) -> pl.DataFrame:
    start = datetime(2026, 12, 1)
    return pl.DataFrame(
        {
            "run_at": [start + timedelta(hours=6 * n) for n in range(runs)],
            "list_size": [1000 + n for n in range(runs)],
            "members": [1000 + n for n in range(runs)],
            "added": [5 + n % 3 for n in range(runs)],
            "resubscribed": [1] * runs,
            "repaired": [0] * runs,
            "updated": [3] * runs,
            "removed": [2] * runs,
        }
    )


@pytest.fixture
def drawn() -> dict[int, Figure]:
    """Figures drawn (their layout done) by run count (built without pyplot: nothing to close)."""
    return {}


def _draw(figures: dict[int, Figure], runs: int) -> tuple[Figure, Axes, Axes]:
    figure = history_figure(_history(runs), f"test → list 1: {runs} runs")
    figure.canvas.draw()
    figures[runs] = figure
    sizes, changes = figure.axes
    return figure, sizes, changes


def _bar_centres(changes: Axes) -> list[float]:
    return [round(bar.get_x() + bar.get_width() / 2, 6) for bar in changes.patches]


def _pixels(axes: Axes, width: float) -> float:
    """A width in data units as pixels on screen."""
    left, right = axes.transData.transform([(0, 0), (width, 0)])
    return float(right[0] - left[0])


@pytest.mark.parametrize("runs", [1, 3, 60, 500])
def test_every_bar_is_centred_on_its_runs_point(drawn: dict[int, Figure], runs: int) -> None:
    _, sizes, changes = _draw(drawn, runs)

    shown = min(runs, RUNS_SHOWN)
    points = [float(x) for x in sizes.lines[0].get_xdata()]
    assert points == [float(n) for n in range(shown)]
    # Three bars per run (added, removed, updated), each centred on the run's point.
    assert sorted(_bar_centres(changes)) == sorted(points * 3)


def test_one_run_draws_a_narrow_bar_not_half_the_axis(drawn: dict[int, Figure]) -> None:
    _, _, changes = _draw(drawn, 1)

    axis_px = changes.get_window_extent().width
    bar_px = max(_pixels(changes, bar.get_width()) for bar in changes.patches)
    assert 0 < bar_px <= axis_px / 10


def test_five_hundred_runs_show_the_last_sixty_with_readable_bars_and_labels(
    drawn: dict[int, Figure],
) -> None:
    figure, sizes, changes = _draw(drawn, 500)

    assert sizes.get_title() == f"test → list 1: 500 runs (the last {RUNS_SHOWN} shown)"
    bar_px = min(_pixels(changes, bar.get_width()) for bar in changes.patches)
    assert bar_px >= 3
    renderer = figure.canvas.get_renderer()  # type: ignore[attr-defined]
    labels = [t.get_window_extent(renderer) for t in changes.get_xticklabels() if t.get_text()]
    assert 2 <= len(labels) <= 10
    assert not any(a.overlaps(b) for a, b in itertools.pairwise(labels))
    # The legends sit beside the plots, never over a bar.
    for axes in (sizes, changes):
        legend = axes.get_legend().get_window_extent(renderer)
        assert legend.x0 >= axes.get_window_extent(renderer).x1


@pytest.mark.parametrize("runs", [1, 500])
def test_the_png_renders_at_its_size(runs: int) -> None:
    png = history_png(_history(runs), f"{runs} runs")

    image = matplotlib.image.imread(io.BytesIO(png), format="png")
    assert image.shape[:2] == (round(FIGSIZE[1] * DPI), round(FIGSIZE[0] * DPI))
    assert len(png) < 120_000  # small enough to embed in the asset's metadata

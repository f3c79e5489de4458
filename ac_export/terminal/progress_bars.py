"""One rich progress bar per export while it sends, fed by the engine's progress reports."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import rich.console
import rich.progress

from ac_export.activecampaign import progress


@contextmanager
def export_progress(console: rich.console.Console) -> Iterator[None]:
    """Show a bar per export (contacts processed of those to send) while the block runs."""
    columns = (
        rich.progress.TextColumn("{task.description}"),
        rich.progress.BarColumn(),
        rich.progress.TextColumn("{task.fields[count]} {task.fields[refused]}"),
        rich.progress.TimeRemainingColumn(),
    )
    with rich.progress.Progress(*columns, console=console, transient=False) as bars:
        tasks: dict[str, rich.progress.TaskID] = {}

        def show(event: progress.Progress) -> None:
            if event.export not in tasks:
                tasks[event.export] = bars.add_task(
                    event.export, total=max(event.total, 1), count="", refused=""
                )
            refused = f"({event.refused:,} refused)" if event.refused else ""
            count = f"{event.processed:,}/{event.total:,}" if event.total else "nothing to send"
            done = event.processed if event.total else 1
            if event.stage == "done":
                done = max(event.total, 1)
            bars.update(tasks[event.export], completed=done, count=count, refused=refused)

        with progress.listening(show):
            yield

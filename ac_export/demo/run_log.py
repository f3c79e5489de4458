"""The demo's quiet terminal: Dagster's event stream goes to a log file instead of the screen."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import dagster as dg

# Run config that keeps Dagster's console logger quiet (its events stay in the instance and the file).
QUIET_RUN_CONFIG: dict[str, Any] = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


def new_log_file(folder: Path) -> Path:
    """A fresh log file for this demo under `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"demo-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.log"


def append_run_events(instance: dg.DagsterInstance, run_id: str, path: Path) -> None:
    """Append a run's whole event stream to `path`, one line per event, as Dagster prints them."""
    lines = []
    for entry in instance.all_logs(run_id):
        at = datetime.fromtimestamp(entry.timestamp, UTC).strftime("%Y-%m-%d %H:%M:%S")
        event = entry.dagster_event.event_type_value if entry.dagster_event else "LOG"
        level = logging.getLevelName(entry.level) if isinstance(entry.level, int) else str(entry.level)
        step = entry.step_key or "-"
        lines.append(f"{at} {level} {entry.job_name} {run_id[:8]} {step} {event} {entry.message}")
    with path.open("a", encoding="utf-8") as out:
        out.write("\n".join(lines) + "\n")

"""Choices that hold for every scenario of one benchmark run, and how its tasks are run."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ac_export import settings
from benchmarks.worker import Figures, Params, run_inline, run_task


@dataclass(frozen=True)
class RunOptions:
    """Where results and data go, the configuration (the project's by default: the rules and
    segments being measured), the data seed, the Splink comparison, the pacing time scale.

    `isolate` runs every measured task in its own process (the default: peak memory is the task's
    own); the smoke test turns it off to skip each process's start-up.
    """

    root: Path
    config_dir: Path = field(default_factory=settings.config_dir)
    seed: int = 1
    compare_splink: bool = True
    pacing_time_scale: float = 2.0
    isolate: bool = True

    def task(self, name: str, params: Params, folder: Path) -> Figures:
        """Run one benchmark task, in a worker process unless `isolate` is off."""
        if self.isolate:
            return run_task(name, params, folder)
        folder.mkdir(parents=True, exist_ok=True)
        return run_inline(name, params)

"""Each measured step runs alone in a fresh interpreter, so its peak memory is its own.

`run_task(name, params, folder)` starts `python -m ac_export.bench.worker NAME PARAMS RESULT`,
which imports only the task's module, runs it, and writes the task's figures plus the process's
peak resident memory (`getrusage` high-water mark) as JSON.
"""

from __future__ import annotations

import importlib
import json
import os
import resource
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

Params = dict[str, Any]
Figures = dict[str, Any]

# Task name -> "module:function"; imported lazily so a worker loads only what its task needs.
TASKS: dict[str, str] = {
    "generate": "ac_export.bench.data:generate_task",
    "prepare_pipeline": "ac_export.bench.bench_segments:prepare_task",
    "unify": "ac_export.bench.bench_unify:unify_task",
    "link_ours": "ac_export.bench.bench_unify:link_task",
    "link_splink": "ac_export.bench.bench_splink:splink_task",
    "link_ours_probabilistic": "ac_export.bench.bench_probabilistic:ours_task",
    "link_splink_probabilistic": "ac_export.bench.bench_probabilistic:splink_task",
    "segments": "ac_export.bench.bench_segments:segments_task",
    "segments_dagster": "ac_export.bench.bench_segments:dagster_task",
    "export": "ac_export.bench.bench_export:export_task",
    "export_incremental": "ac_export.bench.bench_export:incremental_task",
    "export_history": "ac_export.bench.bench_history:history_task",
    "pacer_overhead": "ac_export.bench.bench_shared:pacer_overhead_task",
}


class TaskFailed(RuntimeError):
    """A benchmark task's process exited with an error; the message carries the end of its stderr."""


def run_task(name: str, params: Params, folder: Path) -> Figures:
    """Run one task in a subprocess; its figures, with `peak_rss_bytes`, `cpu_seconds`, `load_average`."""
    folder.mkdir(parents=True, exist_ok=True)
    params_path, result_path = folder / f"{name}.params.json", folder / f"{name}.result.json"
    params_path.write_text(json.dumps(params))
    result_path.unlink(missing_ok=True)
    load = [round(value, 2) for value in os.getloadavg()]
    done = subprocess.run(
        [sys.executable, "-m", "ac_export.bench.worker", name, str(params_path), str(result_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0 or not result_path.exists():
        raise TaskFailed(f"benchmark task {name} failed (exit {done.returncode}): {done.stderr[-3000:]}")
    return {**json.loads(result_path.read_text()), "load_average": load}


def run_inline(name: str, params: Params) -> Figures:
    """Run a task in this process (smoke tests: no start-up cost, but the peak memory is this process's)."""
    load = [round(value, 2) for value in os.getloadavg()]
    figures = resolve(name)(json.loads(json.dumps(params)))
    figures.setdefault("peak_rss_bytes", peak_rss_bytes())
    figures.setdefault("cpu_seconds", cpu_seconds())
    return {**json.loads(json.dumps(figures)), "load_average": load}


def resolve(name: str) -> Callable[[Params], Figures]:
    """The function behind a task name."""
    module, _, function = TASKS[name].partition(":")
    return getattr(importlib.import_module(module), function)


def cpu_seconds() -> float:
    """CPU time this process has used so far, user and system."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def peak_rss_bytes() -> int:
    """This process's peak resident memory so far (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def main(argv: list[str]) -> int:
    """Worker entry point: NAME PARAMS_JSON RESULT_JSON."""
    name, params_path, result_path = argv
    figures = resolve(name)(json.loads(Path(params_path).read_text()))
    figures.setdefault("peak_rss_bytes", peak_rss_bytes())
    figures.setdefault("cpu_seconds", cpu_seconds())
    Path(result_path).write_text(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

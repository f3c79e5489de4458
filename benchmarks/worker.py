"""Each measured step runs alone in a fresh interpreter, so its peak memory is its own.

`run_task(name, params, folder)` starts `python -m benchmarks.worker NAME PARAMS RESULT`,
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
    "generate": "benchmarks.data:generate_task",
    "prepare_pipeline": "benchmarks.segments:prepare_task",
    "unify": "benchmarks.unify:unify_task",
    "link_ours": "benchmarks.unify:link_task",
    "link_splink": "benchmarks.splink_rules:splink_task",
    "link_ours_probabilistic": "benchmarks.probabilistic:ours_task",
    "link_splink_probabilistic": "benchmarks.probabilistic:splink_task",
    "segments": "benchmarks.segments:segments_task",
    "segments_dagster": "benchmarks.segments:dagster_task",
    "export": "benchmarks.export:export_task",
    "export_incremental": "benchmarks.export:incremental_task",
    "export_history": "benchmarks.history:history_task",
    "pacer_overhead": "benchmarks.shared:pacer_overhead_task",
    "ledger_transfer": "benchmarks.ledger_transfer:ledger_transfer_task",
    "ledger_transfer_engine": "benchmarks.ledger_transfer:ledger_transfer_engine_task",
}


# The folder holding the `benchmarks` package, whatever the current directory of the run.
CHECKOUT = Path(__file__).resolve().parents[1]


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
        [sys.executable, "-m", "benchmarks.worker", name, str(params_path), str(result_path)],
        capture_output=True,
        text=True,
        check=False,
        env=worker_environment(),
    )
    if done.returncode != 0 or not result_path.exists():
        raise TaskFailed(f"benchmark task {name} failed (exit {done.returncode}): {done.stderr[-3000:]}")
    return {**json.loads(result_path.read_text()), "load_average": load}


def worker_environment() -> dict[str, str]:
    """This environment with the checkout on PYTHONPATH: the harness is not installed, only the product."""
    checkout = str(CHECKOUT)
    inherited = os.environ.get("PYTHONPATH")
    return {**os.environ, "PYTHONPATH": os.pathsep.join([checkout, inherited] if inherited else [checkout])}


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

"""`python -m benchmarks`: run scenarios N times, take medians, check goals, write JSON and print a table.

Results go to `OUT/bench-results.json` (scenarios run earlier and not re-run are kept, so each
scenario can be run on its own) and `OUT/bench-results.md` (the table for BENCHMARKS.md).
"""

from __future__ import annotations

import json
import shlex
import shutil
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.machine import describe_machine
from benchmarks.run_options import RunOptions
from benchmarks.scenarios import SCENARIOS, Headline, Scenario
from benchmarks.worker import Figures

RESULTS_FILE = "bench-results.json"
TABLE_FILE = "bench-results.md"


@dataclass(frozen=True)
class ScenarioResult:
    """Every repetition's figures of one scenario, their medians, and which goals the medians meet."""

    name: str
    size: int
    runs: list[Figures]
    medians: dict[str, float]
    goals: dict[str, bool]
    seconds: float

    def as_json(self, command: str, machine: dict[str, object]) -> dict[str, Any]:
        """The JSON record of this scenario, with the command and the machine it ran on."""
        return {
            "size": self.size,
            "unit": SCENARIOS[self.name].unit,
            "repeat": len(self.runs),
            "command": command,
            "machine": machine,
            "medians": self.medians,
            "goals_met": self.goals,
            "runs": self.runs,
            "seconds": self.seconds,
        }


def run_scenario(scenario: Scenario, size: int, repeat: int, options: RunOptions) -> ScenarioResult:
    """Run one scenario `repeat` times, each repetition in its own folder, and summarise it."""
    started = time.perf_counter()
    runs = []
    for index in range(repeat):
        folder = options.root / "runs" / scenario.name / f"run-{index + 1}"
        # A repetition starts from nothing: a previous run's warehouse would change what unify does.
        shutil.rmtree(folder, ignore_errors=True)
        runs.append(scenario.repetition(options, size, folder))
    medians = median_figures(runs)
    goals = {
        h.key: h.goal.met(medians[h.key])
        for h in scenario.headlines
        if h.goal is not None and h.key in medians
    }
    return ScenarioResult(scenario.name, size, runs, medians, goals, time.perf_counter() - started)


def median_figures(runs: list[Figures]) -> dict[str, float]:
    """The median of every numeric figure present in all runs."""
    keys = [k for k, v in runs[0].items() if _numeric(v) and all(_numeric(run.get(k)) for run in runs)]
    return {key: statistics.median(float(run[key]) for run in runs) for key in keys}


def _numeric(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def run_benchmarks(
    names: list[str], repeat: int, size: int | None, options: RunOptions, command: str | None = None
) -> list[ScenarioResult]:
    """Run the named scenarios (sizes: `size` or each one's default), record and print the results."""
    command = command or shlex.join(["python", "-m", "benchmarks", *sys.argv[1:]])
    results = []
    for name in names:
        scenario = SCENARIOS[name]
        print(
            f"bench {name}: {repeat} run(s) at {size or scenario.default_size:,} {scenario.unit} ...",
            flush=True,
        )
        result = run_scenario(scenario, size or scenario.default_size, repeat, options)
        record_result(options.root, result, command)
        print("\n".join(format_table([result])), flush=True)
        results.append(result)
    write_markdown(options.root)
    return results


def record_result(root: Path, result: ScenarioResult, command: str) -> None:
    """Merge one scenario's record into OUT/bench-results.json."""
    path = root / RESULTS_FILE
    stored = json.loads(path.read_text()) if path.exists() else {}
    stored[result.name] = result.as_json(command, describe_machine())
    root.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(stored, indent=1))


def format_table(results: list[ScenarioResult]) -> list[str]:
    """Plain-text table: scenario, figure, median, every run, goal."""
    lines = [f"{'scenario':<20} {'figure':<52} {'median':>14}  runs / goal"]
    for result in results:
        for headline in SCENARIOS[result.name].headlines:
            if headline.key not in result.medians:
                continue
            median = _format(result.medians[headline.key], headline)
            runs = ", ".join(_format(value, headline) for value in _values(result.runs, headline.key))
            goal = (
                f"  goal {_goal_verdict(headline, result.goals.get(headline.key))}" if headline.goal else ""
            )
            lines.append(f"{result.name:<20} {headline.label:<52} {median:>14}  [{runs}]{goal}")
    return lines


def write_markdown(root: Path) -> None:
    """OUT/bench-results.md: one table per recorded scenario, with its command and the load."""
    path = root / RESULTS_FILE
    if not path.exists():
        return
    stored = json.loads(path.read_text())
    lines: list[str] = []
    for name, record in stored.items():
        if name in SCENARIOS:
            lines += _markdown_section(SCENARIOS[name], record)
    (root / TABLE_FILE).write_text("\n".join(lines))


def _markdown_section(scenario: Scenario, record: dict[str, Any]) -> list[str]:
    loads = [value[0] for run in record["runs"] for key, value in run.items() if key.endswith("load_average")]
    lines = [
        f"### {scenario.name}: {scenario.description}",
        "",
        f"`{record['command']}`: {record['size']:,} {record['unit']}, median of {record['repeat']} runs, "
        f"{record['machine']['date']}; 1-minute load average as each measured process started: {loads}",
        "",
        "| figure | median | runs | goal |",
        "| --- | ---: | --- | --- |",
    ]
    for headline in scenario.headlines:
        if headline.key in record["medians"]:
            median = _format(record["medians"][headline.key], headline)
            runs = ", ".join(_format(v, headline) for v in _values(record["runs"], headline.key))
            goal = _goal_verdict(headline, record["goals_met"].get(headline.key))
            lines.append(f"| {headline.label} | {median} | {runs} | {goal} |")
    return [*lines, ""]


def _values(runs: list[Figures], key: str) -> list[float]:
    return [float(run[key]) for run in runs if _numeric(run.get(key))]


def _format(value: float, headline: Headline) -> str:
    if headline.unit == "bytes":
        return f"{value / 1024**2:,.0f} MiB"
    if headline.unit == "s":
        return f"{value:,.2f} s"
    if headline.unit == "x":
        return f"{value:,.3f}"
    if headline.unit == "/s":
        return f"{value:,.0f}"
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:.5f}"


def _goal_verdict(headline: Headline, met: bool | None) -> str:
    if headline.goal is None:
        return ""
    return f"{headline.goal.op} {_format(headline.goal.value, headline)}: {'met' if met else 'NOT met'}"

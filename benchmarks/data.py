"""Benchmark input data: generated folders, made once per (people, seed) and reused across runs."""

from __future__ import annotations

from pathlib import Path

from ac_export import settings
from ac_export.synthetic.generate import MANIFEST_FILE, generate
from ac_export.synthetic.options import GenerateOptions
from benchmarks.run_options import RunOptions
from benchmarks.worker import Figures, Params

# The generator writes about 2.0 profile-source records per person at its default rates.
RECORDS_PER_PERSON = 2.0


def generated_folder(options: RunOptions, people: int) -> Path:
    """A generated data folder for `people` people, generated (in a worker process) unless present."""
    data = options.root / "data"
    folder = data / f"people-{people}-seed-{options.seed}"
    if not (folder / MANIFEST_FILE).exists():
        options.task("generate", {"out": str(folder), "people": people, "seed": options.seed}, data / "tasks")
    return folder


def people_for_records(records: int) -> int:
    """How many people to generate for about `records` profile-source records."""
    return max(1, round(records / RECORDS_PER_PERSON))


def generate_task(params: Params) -> Figures:
    """Generate a data folder with the project's configuration copied into it."""
    options = GenerateOptions(profiles=int(params["people"]), seed=int(params["seed"]))
    result = generate(Path(params["out"]), options, settings.config_dir())
    return {"seconds": result.seconds, "rows": sum(result.rows.values())}

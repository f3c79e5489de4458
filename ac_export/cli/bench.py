"""`ac-export generate` (synthetic data in the shape of the demo's sources) and `ac-export bench`."""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path
from typing import Any

import pydantic

from ac_export import settings
from ac_export.bench.generate import generate
from ac_export.bench.options import GenerateOptions
from ac_export.bench.run_options import RunOptions
from ac_export.bench.runner import run_benchmarks
from ac_export.bench.scenarios import SCENARIOS
from ac_export.bench.worker import TaskFailed


def register(subparsers: Any) -> None:
    """Add the `generate` and `bench` sub-commands."""
    register_generate(subparsers)
    register_bench(subparsers)


def register_generate(subparsers: Any) -> None:
    """Add the `generate` sub-command; every generator option becomes a flag of the same name."""
    parser = subparsers.add_parser(
        "generate",
        help="write deterministic synthetic source data (and its ground truth) at any size",
        description=(
            "Write DIR/sources/ (the six Contoso files), DIR/config/ (a copy of the project's YAML), "
            "DIR/truth.csv (which profile records are the same person) and DIR/manifest.json. "
            "The same options and seed always give byte-identical files."
        ),
    )
    parser.add_argument("--out", type=Path, required=True, metavar="DIR", help="output data folder")
    for name, field in GenerateOptions.model_fields.items():
        shown = "" if field.is_required() else f" (default: {field.default})"
        parser.add_argument(
            "--" + name.replace("_", "-"),
            dest=name,
            required=field.is_required(),
            metavar=name.split("_")[-1].upper(),
            help=f"{field.description}{shown}",
        )
    parser.add_argument(
        "--config-from",
        type=Path,
        metavar="DIR",
        help="folder whose *.yaml files are copied to DIR/config (default: the project's configuration)",
    )
    parser.set_defaults(handler=run_generate)


def run_generate(args: argparse.Namespace) -> int:
    """Validate the options, generate, and print where the data went and how long it took."""
    values = {name: getattr(args, name) for name in GenerateOptions.model_fields}
    try:
        options = GenerateOptions.model_validate({k: v for k, v in values.items() if v is not None})
    except pydantic.ValidationError as exc:
        print(f"ac-export generate: {describe_option_error(exc)}", file=sys.stderr)
        return 2
    try:
        result = generate(args.out, options, args.config_from or settings.config_dir())
    except OSError as exc:
        print(f"ac-export generate: cannot write {args.out}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    total = sum(count for name, count in result.rows.items() if name.endswith(".txt"))
    print(
        f"wrote {total:,} source rows for {options.profiles:,} people to {result.out} ({result.seconds:.1f}s)"
    )
    for name, count in result.rows.items():
        print(f"  {name}: {count:,}")
    if not result.config_files:
        print("  (no config/*.yaml copied: point AC_EXPORT_CONFIG_DIR at a config folder of your own)")
    return 0


def describe_option_error(error: pydantic.ValidationError) -> str:
    """The first problem with the options as one line naming the flag, e.g. `--contact-share: ...`."""
    item = error.errors(include_url=False)[0]
    message = item["msg"].removeprefix("Value error, ")
    if not item["loc"]:
        return message
    flag = "--" + str(item["loc"][0]).replace("_", "-")
    return f"{flag}: {message} (got {item['input']!r})"


def register_bench(subparsers: Any) -> None:
    """Add the `bench` sub-command."""
    sizes = ", ".join(f"{s.name} {s.default_size:,} {s.unit}" for s in SCENARIOS.values())
    parser = subparsers.add_parser(
        "bench",
        help="run the benchmarks (unify vs Splink, segments, export throughput/pacing/incremental/memory)",
        description=(
            "Run each scenario --repeat times, each measured step in its own process, and write the "
            f"medians to OUT/bench-results.json and OUT/bench-results.md. Default sizes: {sizes}."
        ),
    )
    parser.add_argument(
        "--scenario",
        action="append",
        choices=list(SCENARIOS),
        metavar="NAME",
        help=f"a scenario to run (repeatable; default all): {', '.join(SCENARIOS)}",
    )
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs per scenario; figures are medians (default 3)"
    )
    parser.add_argument(
        "--size", type=int, help="size of every selected scenario, in its unit (default: its own)"
    )
    parser.add_argument(
        "--out", type=Path, default=Path("bench_out"), help="output folder (default bench_out/)"
    )
    parser.add_argument("--seed", type=int, default=1, help="seed of the generated data (default 1)")
    parser.add_argument(
        "--time-scale",
        type=float,
        default=2.0,
        help="time scale of the pacing scenario's emulator and pacer (default 2: a minute lasts 30 s)",
    )
    parser.add_argument("--no-splink", action="store_true", help="skip the Splink comparison in `unify`")
    parser.set_defaults(handler=run_bench)


def run_bench(args: argparse.Namespace) -> int:
    """Handler of `bench`: validate the flags, run the scenarios, exit 1 if a task fails."""
    names = args.scenario or list(SCENARIOS)
    problem = bench_usage_problem(args, names)
    if problem:
        print(f"ac-export bench: {problem}", file=sys.stderr)
        return 2
    options = RunOptions(
        root=args.out.resolve(),
        seed=args.seed,
        compare_splink=not args.no_splink,
        pacing_time_scale=args.time_scale,
    )
    try:
        run_benchmarks(names, args.repeat, args.size, options)
    except TaskFailed as exc:
        print(f"ac-export bench: {exc}", file=sys.stderr)
        return 1
    return 0


def bench_usage_problem(args: argparse.Namespace, names: list[str]) -> str | None:
    """What is wrong with the bench flags, as one line, or None."""
    if args.repeat < 1:
        return f"--repeat must be at least 1 (got {args.repeat})"
    if args.size is not None and args.size < 1:
        return f"--size must be at least 1 (got {args.size})"
    if args.time_scale <= 0:
        return f"--time-scale must be positive (got {args.time_scale})"
    if "unify" in names and not args.no_splink and importlib.util.find_spec("splink") is None:
        return "Splink is not installed: run `make bench` or pip install -e '.[bench]', or pass --no-splink"
    return None

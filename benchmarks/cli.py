"""`python -m benchmarks`: the flags, their one-line errors, and the run of the chosen scenarios."""

from __future__ import annotations

import argparse
import importlib.util
import shlex
import sys
from pathlib import Path

from benchmarks.run_options import RunOptions
from benchmarks.runner import run_benchmarks
from benchmarks.scenarios import SCENARIOS
from benchmarks.worker import TaskFailed

PROG = "python -m benchmarks"


def build_parser() -> argparse.ArgumentParser:
    """The benchmark command's flags."""
    sizes = ", ".join(f"{s.name} {s.default_size:,} {s.unit}" for s in SCENARIOS.values())
    parser = argparse.ArgumentParser(
        prog=PROG,
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
    return parser


def run_bench(args: argparse.Namespace, command: str | None = None) -> int:
    """Validate the flags, run the scenarios; exit 2 on a bad flag, 1 if a task fails."""
    names = args.scenario or list(SCENARIOS)
    problem = bench_usage_problem(args, names)
    if problem:
        print(f"{PROG}: {problem}", file=sys.stderr)
        return 2
    options = RunOptions(
        root=args.out.resolve(),
        seed=args.seed,
        compare_splink=not args.no_splink,
        pacing_time_scale=args.time_scale,
    )
    try:
        run_benchmarks(names, args.repeat, args.size, options, command)
    except TaskFailed as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 1
    return 0


def bench_usage_problem(args: argparse.Namespace, names: list[str]) -> str | None:
    """What is wrong with the flags, as one line, or None."""
    if args.repeat < 1:
        return f"--repeat must be at least 1 (got {args.repeat})"
    if args.size is not None and args.size < 1:
        return f"--size must be at least 1 (got {args.size})"
    if args.time_scale <= 0:
        return f"--time-scale must be positive (got {args.time_scale})"
    if "unify" in names and not args.no_splink and importlib.util.find_spec("splink") is None:
        return "Splink is not installed: run `make bench` or pip install -e '.[bench]', or pass --no-splink"
    return None


def main(argv: list[str] | None = None) -> int:
    """Entry point of `python -m benchmarks`."""
    argv = sys.argv[1:] if argv is None else argv
    return run_bench(build_parser().parse_args(argv), shlex.join([*PROG.split(), *argv]))

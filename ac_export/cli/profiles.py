"""`ac-export unify-quality`: unify the configured sources and score the links against a known truth."""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

from ac_export import settings
from ac_export.cli.errors import UsageError, guarded
from ac_export.contracts import PROFILE_SOURCES_TABLE

# Profiles and polars are imported when the command runs, so other commands start at once.
if TYPE_CHECKING:
    import polars as pl

    from ac_export.profiles.quality import PairwiseQuality
    from ac_export.profiles.sources_config import SourcesConfig


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `unify-quality` sub-command."""
    parser = subparsers.add_parser(
        "unify-quality",
        help="measure matching quality (pairwise precision/recall) against a known truth",
        description=(
            "Read the configured profile sources, unify them in a temporary warehouse (or read "
            "--warehouse), and compare the links between records with a truth: a column of the "
            "source files naming each record's real entity, or a file of (source, source_key, entity_id)."
        ),
    )
    parser.add_argument(
        "--truth",
        action="append",
        default=[],
        metavar="SOURCE=COLUMN",
        help="a profile source and its file's column holding the true entity id (repeatable)",
    )
    parser.add_argument(
        "--truth-file",
        type=Path,
        help="CSV or Parquet of source, source_key, entity_id (or the truth.csv of ac-export generate)",
    )
    parser.add_argument(
        "--config-dir", type=Path, help="configuration folder (default: AC_EXPORT_CONFIG_DIR or data/config)"
    )
    parser.add_argument(
        "--warehouse",
        type=Path,
        help="score this warehouse's profiles/profile_sources instead of unifying afresh",
    )
    parser.set_defaults(handler=guarded("ac-export unify-quality")(run_quality))


def run_quality(args: argparse.Namespace) -> int:
    """Handler of `unify-quality`: print counts and scores."""
    print("\n".join(_quality_report(args)))
    return 0


def _quality_report(args: argparse.Namespace) -> list[str]:
    from ac_export.profiles.pipeline import build_profiles
    from ac_export.profiles.quality import pairwise_quality, truth_problem
    from ac_export.profiles.sources_config import load_sources_config
    from ac_export.profiles.unify_config import load_unify_config
    from ac_export.warehouse import Warehouse

    config_dir = (args.config_dir or settings.config_dir()).resolve()
    sources = load_sources_config(config_dir)
    truth_columns = _parse_truth(args.truth, sorted(sources.profile_sources))
    if not truth_columns and args.truth_file is None:
        raise UsageError("give the truth: --truth SOURCE=COLUMN (repeatable) or --truth-file PATH")
    lines: list[str] = []
    if args.warehouse is not None:
        warehouse = Warehouse(args.warehouse)
        if not warehouse.exists(PROFILE_SOURCES_TABLE):
            raise UsageError(
                f"{args.warehouse} has no {PROFILE_SOURCES_TABLE}; materialize unified_profiles first"
            )
        links = warehouse.read_frame(PROFILE_SOURCES_TABLE)
    else:
        config = load_unify_config(config_dir, sources)
        with tempfile.TemporaryDirectory(prefix="ac_export_quality_") as folder:
            warehouse = Warehouse(Path(folder))
            started = time.perf_counter()
            build = build_profiles(warehouse, sources, config, config_dir.parent)
            links = warehouse.read_frame(PROFILE_SOURCES_TABLE)
        report = build.unified
        lines.append(
            f"Unified {report.records:,} records from {len(build.ingested)} sources into {report.profiles:,} "
            f"profiles ({report.multi_source_profiles:,} with several sources) in "
            f"{time.perf_counter() - started:.1f} s (unification {report.seconds:.1f} s)."
        )
        lines += [
            f"  rule {r.name} ({r.kind}): linked {r.linked_records:,} records, first for {r.first_linked:,}"
            for r in report.rules
        ]
    truth = _truth(sources, config_dir.parent, truth_columns, args.truth_file)
    quality = pairwise_quality(links, truth)
    problem = truth_problem(quality, truth)
    if problem:
        given = [f"--truth {s}={c}" for s, c in truth_columns.items()]
        given += [f"--truth-file {args.truth_file}"] if args.truth_file is not None else []
        raise UsageError(f"{' '.join(given)}: the truth cannot score links: {problem}")
    return lines + _scores(quality)


def _parse_truth(items: list[str], known: list[str]) -> dict[str, str]:
    columns: dict[str, str] = {}
    for item in items:
        source, sep, column = item.partition("=")
        if not sep or not source or not column:
            raise UsageError(f"--truth {item!r}: write SOURCE=COLUMN, e.g. loyalty_members=ContactId")
        if source not in known:
            raise UsageError(f"--truth {item!r}: unknown profile source {source!r}; known: {known}")
        columns[source] = column
    return columns


def _truth(
    sources: SourcesConfig, data_dir: Path, columns: dict[str, str], truth_file: Path | None
) -> pl.DataFrame:
    import polars as pl

    from ac_export.profiles.quality import (
        TruthColumnError,
        TruthFileError,
        read_truth_file,
        truth_from_columns,
    )

    try:
        parts = [truth_from_columns(sources, data_dir, columns)] if columns else []
    except TruthColumnError as exc:
        raise UsageError(f"--truth {exc.source}={exc.column}: {exc}") from None
    if truth_file is not None:
        if not truth_file.exists():
            raise UsageError(f"--truth-file {truth_file}: file not found")
        try:
            parts.append(read_truth_file(truth_file, sources))
        except TruthFileError as exc:
            raise UsageError(f"--truth-file {exc}") from None
    return pl.concat(parts)


def _scores(quality: PairwiseQuality) -> list[str]:
    return [
        f"Pairwise quality against the truth ({quality.records:,} records in both):",
        f"  true links     {quality.true_pairs:>12,}",
        f"  found links    {quality.found_pairs:>12,}",
        f"  correct links  {quality.correct_pairs:>12,}",
        f"  precision      {quality.precision:>12.5f}",
        f"  recall         {quality.recall:>12.5f}",
        f"  F1             {quality.f1:>12.5f}",
    ]

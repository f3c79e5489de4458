"""`ac-export segments ...`: check the segment files, list segments, show a segment's SQL and its changes."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING

from ac_export import settings
from ac_export.cli.errors import UsageError, guarded
from ac_export.contracts import MEASURES_TABLE, PROFILES_TABLE, members_table

# The segments engine is imported when a command runs, so other commands start at once.
if TYPE_CHECKING:
    from ac_export.segments.config import SegmentsConfig
    from ac_export.warehouse import Warehouse

Action = Callable[[argparse.Namespace, "SegmentsConfig"], list[str]]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `segments` sub-command and its actions."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--config-dir", type=Path, help="configuration folder (default: AC_EXPORT_CONFIG_DIR or data/config)"
    )
    common.add_argument(
        "--warehouse", type=Path, help="warehouse folder (default: AC_EXPORT_WAREHOUSE or data/warehouse)"
    )
    parser = subparsers.add_parser("segments", help="check, list and inspect segments")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    _add(actions, common, "check", "validate measures.yaml and segments.yaml against sources.yaml", _check)
    _add(actions, common, "list", "every segment with its current members and description", _list)
    _add(
        actions,
        common,
        "attributes",
        "the attributes and measures rules can use, with their types",
        _attributes,
    )
    sql = _add(actions, common, "sql", "the DuckDB query of a segment and its bound parameters", _sql)
    sql.add_argument("segment")
    changes = _add(
        actions, common, "changes", "who joined or left a segment in its last accepted run", _changes
    )
    changes.add_argument("segment")
    changes.add_argument("--limit", type=int, default=50, help="rows to print (default 50)")


def _add(
    actions: argparse._SubParsersAction, common: argparse.ArgumentParser, name: str, text: str, action: Action
) -> argparse.ArgumentParser:
    parser = actions.add_parser(name, help=text, description=text, parents=[common])
    parser.set_defaults(handler=guarded(f"ac-export segments {name}")(lambda args: _run(args, action)))
    return parser


def _run(args: argparse.Namespace, action: Action) -> int:
    from ac_export.segments.loading import load_project_segments

    config = load_project_segments((args.config_dir or settings.config_dir()).resolve())
    print("\n".join(action(args, config)))
    return 0


def _warehouse(args: argparse.Namespace) -> Warehouse:
    from ac_export.warehouse import Warehouse

    return Warehouse(args.warehouse or settings.warehouse_dir())


def _segment(args: argparse.Namespace, config: SegmentsConfig) -> str:
    if args.segment not in config.segments:
        raise UsageError(f"unknown segment {args.segment!r}; segments: {', '.join(config.segments)}")
    return args.segment


def _check(args: argparse.Namespace, config: SegmentsConfig) -> list[str]:
    return [f"OK: {len(config.segments)} segments and {len(config.measures)} measures, as of {config.as_of}"]


def _attributes(args: argparse.Namespace, config: SegmentsConfig) -> list[str]:
    width = max(len(name) for name in config.attribute_types())
    lines = [f"{name:<{width}}  {kind:<9}  profile" for name, kind in config.profile_types.items()]
    lines += [
        f"{name:<{width}}  {config.measure_types[name]:<9}  measure: {measure.description}"
        for name, measure in config.measures.items()
    ]
    return lines


def _list(args: argparse.Namespace, config: SegmentsConfig) -> list[str]:
    warehouse = _warehouse(args)
    width = max((len(name) for name in config.segments), default=0)
    lines = []
    with closing(warehouse.connect()) as con:
        for name, definition in config.segments.items():
            members = "-"
            if warehouse.exists(members_table(name)):
                sql = f"SELECT count(*) FROM {warehouse.scan(members_table(name))} WHERE left_at IS NULL"
                members = f"{con.execute(sql).fetchall()[0][0]:,}"
            lines.append(f"{name:<{width}}  {members:>9}  {definition.description}")
    return lines


def _sql(args: argparse.Namespace, config: SegmentsConfig) -> list[str]:
    warehouse = _warehouse(args)
    from ac_export.segments.rules import compile_segment

    query = compile_segment(
        config,
        _segment(args, config),
        warehouse.scan(PROFILES_TABLE),
        warehouse.scan(MEASURES_TABLE),
    )
    return [query.sql, *(f"-- ${name} = {value!r}" for name, value in query.params.items())]


def _changes(args: argparse.Namespace, config: SegmentsConfig) -> list[str]:
    segment, warehouse = _segment(args, config), _warehouse(args)
    table = members_table(segment)
    if not warehouse.exists(table):
        raise UsageError(f"segment {segment!r} has not been materialized yet (no {table})")
    from ac_export.segments.membership import last_run_changes_sql

    changes = last_run_changes_sql(warehouse.scan(table))
    with closing(warehouse.connect()) as con:
        counts = dict(con.execute(f"SELECT change, count(*) FROM ({changes}) GROUP BY change").fetchall())
        ((run_at,),) = con.execute(f"SELECT max(evaluated_at) FROM {warehouse.scan(table)}").fetchall()
        rows = con.execute(
            f"{changes} ORDER BY change, customer_id LIMIT $limit", {"limit": args.limit}
        ).fetchall()
    joined, left = counts.get("joined", 0), counts.get("left", 0)
    head = f"{segment}: {joined:,} joined and {left:,} left in the run of {run_at}"
    return [head, *(f"{change:<6}  {customer_id}" for customer_id, change, _ in rows)]

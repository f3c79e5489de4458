"""The `history` and `rejections` sub-commands of `ac-export`: what a segment's exports did, per list."""

from __future__ import annotations

import argparse

import rich.console

from ac_export import settings
from ac_export.cli.errors import UsageError, guarded


def _exports_of(segment: str) -> list[str]:
    from ac_export.project import load_project_config

    exports = load_project_config(settings.config_dir()).exports.for_segment(segment)
    if not exports:
        raise UsageError(f"segment {segment!r} has no export in exports.yaml")
    return list(exports)


def _mask_everywhere() -> bool:
    """automation.yaml's privacy.mask_emails: the terminal is the operator's, so in full unless everywhere."""
    from ac_export.project import load_project_config

    return load_project_config(settings.config_dir()).automation.privacy.mask_everywhere


def _history(args: argparse.Namespace) -> int:
    from ac_export.activecampaign.history import read_history
    from ac_export.activecampaign.history_chart import history_png
    from ac_export.contracts import history_table
    from ac_export.terminal.tables import history_table as history_view
    from ac_export.warehouse import Warehouse

    warehouse = Warehouse()
    console = rich.console.Console()
    for export in _exports_of(args.segment):
        history = read_history(warehouse, export, last=args.last)
        if history.is_empty():
            console.print(f"{export}: no export run recorded yet")
            continue
        console.print(history_view(export, history))
        console.print(f"the table: {warehouse.path(history_table(export))}")
        if args.chart:
            path = (
                args.chart
                if len(_exports_of(args.segment)) == 1
                else args.chart.with_stem(f"{args.chart.stem}-{export}")
            )
            path.write_bytes(history_png(history, f"{export}: {history.height} runs"))
            console.print(f"the chart: {path}")
    return 0


def _rejections(args: argparse.Namespace) -> int:
    from ac_export.activecampaign.rejections import read_rejections
    from ac_export.terminal.tables import rejections_table
    from ac_export.warehouse import Warehouse

    warehouse = Warehouse()
    console = rich.console.Console()
    mask = _mask_everywhere()
    for export in _exports_of(args.segment):
        found = read_rejections(warehouse, export, limit=args.limit, kind=args.kind, mask=mask)
        if found is None:
            console.print(f"{export}: no run has written rejections yet")
            continue
        console.print(rejections_table(export, found, str(warehouse.path(found.table))))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `history` and `rejections`."""
    from pathlib import Path

    history = subparsers.add_parser("history", help="every export run of a segment's lists, oldest first")
    history.add_argument("segment", help="segment name")
    history.add_argument("--last", type=int, default=None, help="only the last N runs")
    history.add_argument("--chart", type=Path, help="also write the history picture (PNG) to this file")
    history.set_defaults(handler=guarded("error")(_history))
    rejections = subparsers.add_parser(
        "rejections", help="the contacts a segment's latest export runs rejected, and why"
    )
    rejections.add_argument("segment", help="segment name")
    rejections.add_argument("--limit", type=int, default=50, help="rows to show (default 50)")
    rejections.add_argument("--kind", help="only this kind, e.g. rejected_invalid_email")
    rejections.set_defaults(handler=guarded("error")(_rejections))

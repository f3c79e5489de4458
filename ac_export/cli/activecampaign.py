"""The `check-connection` and `export` sub-commands of `ac-export`."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from ac_export import settings
from ac_export.cli.errors import UsageError, guarded

# The engine is imported when a command runs, so `ac-export --help` and the emulator start at once.
if TYPE_CHECKING:
    from ac_export.activecampaign.account import Account
    from ac_export.activecampaign.config import Connection
    from ac_export.project import ProjectConfig


def resolve_connection(project: ProjectConfig, name: str) -> tuple[Connection, Account]:
    """A connection and its account: host and key read from the environment variables it names."""
    from ac_export.activecampaign.account import resolve_account

    connection = project.connections.connections.get(name)
    if connection is None:
        known = ", ".join(sorted(project.connections.connections)) or "none"
        raise UsageError(f"no connection named {name!r} in connections.yaml (known: {known})")
    account = resolve_account(name, connection, os.environ)
    if account.host.warning:
        print(f"warning: {account.host.warning}", file=sys.stderr)
    return connection, account


def _load_project() -> ProjectConfig:
    # Imported here so `ac-export --help` and the emulator start without loading every area.
    from ac_export.project import load_project_config

    return load_project_config(settings.config_dir())


def _check_connection(args: argparse.Namespace) -> int:
    from ac_export.activecampaign.account import AccountOptions, open_client
    from ac_export.state.backend import StateBackend

    project = _load_project()
    connection, account = resolve_connection(project, args.name)
    # A quick answer matters more here than riding out a long outage.
    quick = AccountOptions(max_retries=2, timeout_s=15)
    state = StateBackend.from_settings(settings.current())
    with open_client(account.host, account.api_key, quick, state) as client:
        user = client.me()
        lists = client.lists()
    owner = user.get("email", "a user")
    print(f"{connection.display_name}: {account.host.base_url} answered; the key belongs to {owner}")
    consent = "given" if connection.data_privacy_consent else "NOT given: exports will refuse to run"
    print(f"data-privacy consent: {consent}")
    print(f"{len(lists)} list(s):")
    for item in lists:
        print(f"  {item.id:>5}  {item.name}")
    return 0


def _export(args: argparse.Namespace) -> int:
    """Run (or dry-run) one segment's exports outside Dagster: a progress bar each, then their counts."""
    import rich.console

    from ac_export.activecampaign.errors import ExportFailed
    from ac_export.activecampaign.segment_export import RunOptions, export_segment
    from ac_export.state.backend import StateBackend
    from ac_export.terminal.progress_bars import export_progress
    from ac_export.terminal.tables import counts_table, plan_table
    from ac_export.warehouse import Warehouse

    project = _load_project()
    exports = project.segment_exports(args.segment)
    if not exports.exports:
        raise UsageError(f"segment {args.segment!r} has no export in exports.yaml")
    console = rich.console.Console()
    log_file = export_log(args.segment, verbose=args.verbose)
    console.print(f"Log: {log_file}" + ("" if args.verbose else " (--verbose shows it here)"))
    options = RunOptions(
        dry_run=args.dry_run,
        allow_large_removal=args.allow_large_removal,
        full_reconcile=args.full_reconcile,
        approve_removals=args.approve_removals,
    )
    try:
        with export_progress(console):
            results = export_segment(
                exports,
                lambda name: resolve_connection(project, name)[1],
                Warehouse(),
                StateBackend.from_settings(settings.current()),
                options,
            )
    except ExportFailed as exc:
        if exc.approval is not None:
            console.print(plan_table(exc.export, exc.approval.plan))
            raise UsageError(
                f"{exc}: run `ac-export export {args.segment} --approve-removals {exc.approval.removals}` "
                f"to approve them"
            ) from None
        raise
    title = f"dry run of segment {args.segment}: nothing was sent" if args.dry_run else None
    console.print(counts_table([(r.name, r.counts) for r in results], title=title))
    for result in results:
        for warning in result.warnings:
            console.print(f"[yellow]warning[/yellow] {result.name}: {warning}")
        if result.preview is not None:
            console.print(plan_table(result.name, result.preview))
    return 0


def export_log(segment: str, *, verbose: bool) -> Path:
    """Send the engine's log lines to a file under the warehouse (and to stderr too when `verbose`)."""
    folder = settings.warehouse_dir() / "logs"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"export-{segment}-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.log"
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handlers: list[logging.Handler] = [handler]
    if verbose:
        handlers.append(logging.StreamHandler(sys.stderr))
    logging.basicConfig(level=logging.INFO, handlers=handlers, force=True)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    return path


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `check-connection` and `export`."""
    check = subparsers.add_parser(
        "check-connection", help="verify a connection's credentials and host, and list the account's lists"
    )
    check.add_argument("name", help="connection name in connections.yaml")
    check.set_defaults(handler=guarded("error")(_check_connection))
    export = subparsers.add_parser("export", help="run one segment's exports now, outside Dagster")
    export.add_argument("segment", help="segment name")
    export.add_argument("--dry-run", action="store_true", help="plan and count without a single write")
    export.add_argument(
        "--allow-large-removal",
        action="store_true",
        help="let this run remove more than removal_guard allows",
    )
    export.add_argument(
        "--approve-removals",
        type=int,
        metavar="N",
        help="approve the N removals (the number in the plan) that approval.removals_above stopped",
    )
    export.add_argument(
        "--full-reconcile",
        action="store_true",
        help="read the whole list from ActiveCampaign first and rebuild the ledger's view of it",
    )
    export.add_argument("--verbose", action="store_true", help="print the log lines too (always in a file)")
    export.set_defaults(handler=guarded("error")(_export))

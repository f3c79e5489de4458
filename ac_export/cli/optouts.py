"""The `forget-opt-out` sub-command: an operator forgets one person's opt-out from an export's list."""

from __future__ import annotations

import argparse
import getpass
import os

from ac_export import settings
from ac_export.activecampaign.api.hosts import normalize_api_host
from ac_export.cli.errors import UsageError, guarded


def _account_host(connection_name: str, api_host: str | None, api_host_env: str | None) -> str:
    """The account host the export's ledger is kept under (no API key needed: nothing is sent)."""
    raw = api_host or os.environ.get(api_host_env or "", "")
    if not raw:
        raise UsageError(f"connection {connection_name!r}: set the environment variable {api_host_env}")
    try:
        return normalize_api_host(raw).host
    except ValueError as exc:
        raise UsageError(f"connection {connection_name!r}: {exc}") from None


def _user() -> str:
    """The operator's user name, for the record; say it with --by where the system cannot."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        raise UsageError("cannot tell who you are from the system; say it with --by NAME") from None


def _forget(args: argparse.Namespace) -> int:
    """Forget one opt-out in the export's list ledger and say what the next run will do."""
    from ac_export.activecampaign.optouts import NotOptedOut, forget_opt_out
    from ac_export.project import load_project_config
    from ac_export.state.backend import StateBackend
    from ac_export.state.ledger import LedgerInUse
    from ac_export.warehouse import Warehouse

    project = load_project_config(settings.config_dir())
    export = project.exports.exports.get(args.export)
    if export is None:
        known = ", ".join(sorted(project.exports.exports)) or "none"
        raise UsageError(f"no export named {args.export!r} in exports.yaml (known: {known})")
    connection = project.connections.connections[export.connection]
    host = _account_host(export.connection, connection.api_host, connection.api_host_env)
    try:
        state = StateBackend.from_settings(settings.current())
        store = state.open_ledger(Warehouse().ledger_root, host, export.list_id)
    except LedgerInUse as exc:
        raise UsageError(str(exc)) from None
    try:
        record = forget_opt_out(store, args.email, args.by or _user(), args.note)
    except NotOptedOut as exc:
        raise UsageError(str(exc)) from None
    finally:
        store.close()
    print(
        f"forgot the opt-out of {record.email} from list {export.list_id} (was {record.status_before}), "
        f"recorded as by {record.by} at {record.at}; the next run of {args.export} subscribes them "
        f"again while they are a member of segment {export.segment}"
    )
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `forget-opt-out`."""
    forget = subparsers.add_parser(
        "forget-opt-out",
        help="forget one person's opt-out from an export's list (they asked to come back); recorded",
    )
    forget.add_argument("export", help="export name in exports.yaml")
    forget.add_argument("email", help="the person's email address")
    forget.add_argument("--by", help="who forgets it, for the record (default: your user name)")
    forget.add_argument("--note", default="", help="why, for the record (e.g. the ticket of their request)")
    forget.set_defaults(handler=guarded("error")(_forget))

"""The `check-connection` and `export` sub-commands of `ac-export`."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from typing import TYPE_CHECKING

from ac_export import settings
from ac_export.activecampaign.client import ActiveCampaignClient
from ac_export.activecampaign.errors import ActiveCampaignError, ExportStopped
from ac_export.activecampaign.pacing import AccountPacer, Limits, pacing_state_dir
from ac_export.config.exports import ApiHost, Connection, normalize_api_host
from ac_export.config.loading import ConfigError

if TYPE_CHECKING:
    from ac_export.config.project import ProjectConfig


class CommandError(Exception):
    """A problem the user must fix; printed as one line, exit code 2."""


def resolve_connection(project: ProjectConfig, name: str) -> tuple[Connection, ApiHost, str]:
    """A connection's validated host and its key, read from the environment variables it names."""
    connection = project.connections.connections.get(name)
    if connection is None:
        known = ", ".join(sorted(project.connections.connections)) or "none"
        raise CommandError(f"no connection named {name!r} in connections.yaml (known: {known})")
    raw_host = connection.api_host or os.environ.get(connection.api_host_env or "", "")
    if not raw_host:
        raise CommandError(f"connection {name!r}: set the environment variable {connection.api_host_env}")
    try:
        host = normalize_api_host(raw_host)
    except ValueError as exc:
        raise CommandError(f"connection {name!r}: {exc}") from None
    if host.warning:
        print(f"warning: {host.warning}", file=sys.stderr)
    key = os.environ.get(connection.api_key_env, "")
    if not key:
        raise CommandError(f"connection {name!r}: set the environment variable {connection.api_key_env}")
    return connection, host, key


def _load_project() -> ProjectConfig:
    # Imported here so `ac-export --help` and the emulator start without loading every area.
    from ac_export.config.project import load_project_config

    return load_project_config(settings.config_dir())


def _check_connection(args: argparse.Namespace) -> int:
    project = _load_project()
    connection, host, key = resolve_connection(project, args.name)
    pacer = AccountPacer(host.host, Limits(), pacing_state_dir())
    with ActiveCampaignClient(host.base_url, key, pacer=pacer, max_retries=2, timeout_s=15) as client:
        user = client.me()
        lists = client.lists()
    owner = user.get("email", "a user")
    print(f"{connection.display_name}: {host.base_url} answered; the key belongs to {owner}")
    consent = "given" if connection.data_privacy_consent else "NOT given: exports will refuse to run"
    print(f"data-privacy consent: {consent}")
    print(f"{len(lists)} list(s):")
    for item in lists:
        print(f"  {item.id:>5}  {item.name}")
    return 0


def _export(args: argparse.Namespace) -> int:
    """Run (or dry-run) one segment's exports outside Dagster, printing the plan and counts."""
    from ac_export.activecampaign.resource import ActiveCampaignResource
    from ac_export.activecampaign.sync import ExportRequest, run_export
    from ac_export.warehouse import Warehouse

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    project = _load_project()
    exports = project.exports.for_segment(args.segment)
    if not exports:
        raise CommandError(f"segment {args.segment!r} has no export in exports.yaml")
    for name, export in exports.items():
        connection, host, key = resolve_connection(project, export.connection)
        if not connection.data_privacy_consent and not args.dry_run:
            raise CommandError(
                f"connection {export.connection!r} has no data-privacy consent; nothing exported"
            )
        resource = ActiveCampaignResource(api_host=host.base_url, api_key=key)
        request = ExportRequest(
            name=name,
            export=export,
            account_host=host.host,
            attribute_types=project.attribute_types(),
            dry_run=args.dry_run,
            allow_large_removal=args.allow_large_removal,
        )
        with resource.get_client() as client:
            result = run_export(
                request, client, Warehouse(), resource.upload_settings(export.run_automations)
            )
        print(" ".join(f"{k}={v}" for k, v in result.counts.items()))
    return 0


def _guarded(handler: object) -> object:
    def run(args: argparse.Namespace) -> int:
        try:
            return handler(args)  # type: ignore[operator]
        except (CommandError, ConfigError, ActiveCampaignError, ExportStopped) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2

    return run


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `check-connection` and `export`."""
    check = subparsers.add_parser(
        "check-connection", help="verify a connection's credentials and host, and list the account's lists"
    )
    check.add_argument("name", help="connection name in connections.yaml")
    check.set_defaults(handler=_guarded(_check_connection))
    export = subparsers.add_parser("export", help="run one segment's exports now, outside Dagster")
    export.add_argument("segment", help="segment name")
    export.add_argument("--dry-run", action="store_true", help="plan and count without a single write")
    export.add_argument(
        "--allow-large-removal",
        action="store_true",
        help="let this run remove more than removal_guard allows",
    )
    export.set_defaults(handler=_guarded(_export))

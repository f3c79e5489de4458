"""What a run's config may not change: the deployment fixes where exports go and under which rules.

A launchpad or run config can set any resource's fields. For the export, the fields below are
policy — the account a connection reaches and its key, the configuration folder (which holds
usable_by, consent, the approval limit), where the ledgers live — so a run that sets one to
anything but the deployment's own value is refused, naming the setting.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dagster as dg

from ac_export import settings
from ac_export.activecampaign.config import ConnectionsConfig
from ac_export.defs.activecampaign.resources import resource_key
from ac_export.settings import DSN_ENV

# resource key → field → the deployment's value: a literal, or {"env": NAME} for a dg.EnvVar.
Deployed = dict[str, dict[str, Any]]


def deployed_settings(connections: ConnectionsConfig, config_dir: Path | None) -> Deployed:
    """The policy fields of every resource the export uses, as the deployment sets them."""
    deployed: Deployed = {}
    for name, connection in connections.connections.items():
        host = {"env": connection.api_host_env} if connection.api_host_env else connection.api_host
        deployed[resource_key(name)] = {"api_host": host, "api_key": {"env": connection.api_key_env}}
    deployed["project_config"] = {"config_dir": str(config_dir) if config_dir else None}
    edge = settings.current()
    deployed["warehouse"] = {"root": edge.warehouse_location}
    # As state_resource() builds it: the DSN is read from its variable for postgres, and left empty
    # otherwise (the launchpad's default config shows `dsn: ''`, which must not pass for a change).
    # A run pointing the pacer elsewhere would pace apart from every other run on the account.
    dsn: object = {"env": DSN_ENV} if edge.state == "postgres" else ""
    deployed["state"] = {"backend": edge.state, "dsn": dsn, "pacing_dir": str(edge.pacing_dir)}
    return deployed


def refuse_policy_overrides(run_config: Mapping[str, Any], deployed: Deployed) -> None:
    """Fail the run, naming the setting, when its config changes a policy field of a resource."""
    resources = run_config.get("resources") or {}
    for key, fields in deployed.items():
        given = (resources.get(key) or {}).get("config") or {}
        for name, value in given.items():
            if name in fields and value != fields[name]:
                raise dg.Failure(
                    description=f"resources.{key}.config.{name} is set by the deployment, not by a run: "
                    f"this run's config changes it, so nothing was exported. Remove it from the launchpad "
                    f"config; an admin changes it in connections.yaml or the deployment's environment"
                )

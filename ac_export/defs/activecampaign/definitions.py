"""The export area's definitions: `activecampaign_list[segment]` and one resource per connection."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from ac_export.activecampaign.config import ConnectionsConfig
from ac_export.defs.activecampaign.assets import build_export_asset
from ac_export.defs.activecampaign.resources import connection_resources


def build_defs(connections: ConnectionsConfig, config_dir: Path) -> dg.Definitions:
    """The export asset (policy fixed by `config_dir`, the deployment's), a resource per connection."""
    return dg.Definitions(
        assets=[build_export_asset(connections, config_dir)], resources=connection_resources(connections)
    )

"""The export area's definitions: `activecampaign_list[segment]` and one resource per connection."""

from __future__ import annotations

import dagster as dg

from ac_export.activecampaign.config import ConnectionsConfig
from ac_export.defs.activecampaign.assets import build_export_asset
from ac_export.defs.activecampaign.resources import connection_resources


def build_defs(connections: ConnectionsConfig) -> dg.Definitions:
    """The export asset, requiring the resource of every configured connection."""
    return dg.Definitions(
        assets=[build_export_asset(connections)], resources=connection_resources(connections)
    )

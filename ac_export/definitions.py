"""The one `dg.Definitions` of ac_export: assets, checks, resources, schedules and sensors.

Source assets and connection resources follow the configuration at load time; segments, exports
and everything else in the YAML files are read at run time, so editing them needs no reload.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from ac_export import settings
from ac_export.activecampaign.assets import build_export_asset, connection_resources
from ac_export.automation.segment_partitions import segment_partitions_sensor
from ac_export.config.exports import load_connections_config
from ac_export.config.sources import load_sources_config
from ac_export.profiles.assets import build_profile_assets
from ac_export.profiles.checks import build_profile_checks
from ac_export.resources import ProjectConfigResource, WarehouseResource
from ac_export.segments.assets import build_segment_assets


def build_definitions(config_dir: Path) -> dg.Definitions:
    """Assemble the project's definitions from a configuration folder."""
    sources = load_sources_config(config_dir)
    connections = load_connections_config(config_dir)
    return dg.Definitions(
        assets=[
            *build_profile_assets(sources),
            *build_segment_assets(sources),
            build_export_asset(connections),
        ],
        asset_checks=build_profile_checks(sources),
        sensors=[segment_partitions_sensor],
        resources={
            "warehouse": WarehouseResource(),
            "project_config": ProjectConfigResource(config_dir=str(config_dir)),
            **connection_resources(connections),
        },
    )


defs = build_definitions(settings.config_dir())

"""The one `dg.Definitions` of ac_export: assets, checks, resources, schedules and sensors.

Source assets, connection resources and the schedule and sensor settings (automation.yaml) follow
the configuration at load time; segments, exports and everything else in the YAML files are read
at run time, so editing them needs no reload.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from ac_export import settings
from ac_export.activecampaign.assets import build_export_asset, connection_resources
from ac_export.automation.jobs import export_segment_job, refresh_job
from ac_export.automation.schedules import build_refresh_schedule
from ac_export.automation.segment_partitions import segment_partitions_sensor
from ac_export.automation.sensors import (
    build_run_failure_sensor,
    build_source_files_sensor,
    segment_refresh_sensor,
)
from ac_export.config.automation import load_automation_config
from ac_export.config.exports import load_connections_config
from ac_export.config.sources import load_sources_config
from ac_export.profiles.assets import build_profile_assets
from ac_export.profiles.checks import build_profile_checks
from ac_export.profiles.parse_checks import build_parse_checks
from ac_export.resources import ProjectConfigResource, WarehouseResource
from ac_export.segments.assets import build_segment_assets


def build_definitions(config_dir: Path) -> dg.Definitions:
    """Assemble the project's definitions from a configuration folder."""
    sources = load_sources_config(config_dir)
    connections = load_connections_config(config_dir)
    automation = load_automation_config(config_dir)
    api_key_env_vars = [connection.api_key_env for connection in connections.connections.values()]
    return dg.Definitions(
        assets=[
            *build_profile_assets(sources),
            *build_segment_assets(sources),
            build_export_asset(connections),
        ],
        asset_checks=[*build_profile_checks(sources), *build_parse_checks(sources)],
        jobs=[refresh_job, export_segment_job],
        schedules=[build_refresh_schedule(automation.refresh)],
        sensors=[
            segment_partitions_sensor,
            segment_refresh_sensor,
            build_source_files_sensor(automation.source_files),
            build_run_failure_sensor(automation.alerts, api_key_env_vars),
        ],
        # One process per run, steps in order: parallelism comes from running segments side by side
        # (one run each) and from DuckDB's own threads, and a process per step would cost more
        # start-up than most steps take.
        executor=dg.in_process_executor,
        resources={
            "warehouse": WarehouseResource(),
            "project_config": ProjectConfigResource(config_dir=str(config_dir)),
            **connection_resources(connections),
        },
    )


defs = build_definitions(settings.config_dir())

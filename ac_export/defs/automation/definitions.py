"""The automation area's definitions: the jobs, the refresh schedule, the run sensors."""

from __future__ import annotations

import dagster as dg

from ac_export.activecampaign.config import ConnectionsConfig
from ac_export.automation.config import AutomationConfig
from ac_export.defs.automation.jobs import (
    evaluate_segments_job,
    export_lists_job,
    export_segment_job,
    preview_segment_job,
    refresh_job,
)
from ac_export.defs.automation.schedules import build_refresh_schedule
from ac_export.defs.automation.sensors import (
    build_run_failure_sensor,
    build_source_files_sensor,
    segment_exports_sensor,
    segment_refresh_sensor,
)


def build_defs(automation: AutomationConfig, connections: ConnectionsConfig) -> dg.Definitions:
    """Jobs, schedule and sensors as automation.yaml sets them; alerts mask every connection's key."""
    api_key_env_vars = [connection.api_key_env for connection in connections.connections.values()]
    return dg.Definitions(
        jobs=[refresh_job, evaluate_segments_job, export_lists_job, export_segment_job, preview_segment_job],
        schedules=[build_refresh_schedule(automation.refresh)],
        sensors=[
            segment_refresh_sensor,
            segment_exports_sensor,
            build_source_files_sensor(automation.source_files),
            build_run_failure_sensor(automation.alerts, api_key_env_vars),
        ],
    )

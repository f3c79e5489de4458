"""Definitions wiring: jobs, the schedule and sensors as automation.yaml sets them, loadable by Dagster."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from ac_export.definitions import build_definitions
from ac_export.defs.automation.sensors import RUN_FAILURE_SENSOR, SEGMENT_REFRESH_SENSOR, SOURCE_FILES_SENSOR
from ac_export.defs.resources import StateResource

SEGMENT_ASSETS = {dg.AssetKey("segment_members"), dg.AssetKey("activecampaign_list")}


def test_refresh_runs_every_shared_asset_and_no_segment(config_dir: Path) -> None:
    defs = build_definitions(config_dir)
    every_asset = set(defs.resolve_asset_graph().get_all_asset_keys())
    refresh = defs.resolve_job_def("refresh")
    assert refresh.asset_layer.selected_asset_keys == every_asset - SEGMENT_ASSETS
    assert dg.AssetKey("customer_measures") in refresh.asset_layer.selected_asset_keys
    assert refresh.tags["ac_export/refresh"] == "upstream"
    segment = defs.resolve_job_def("export_segment")
    assert segment.asset_layer.selected_asset_keys == SEGMENT_ASSETS
    assert segment.partitions_def == dg.DynamicPartitionsDefinition(name="segments")


def test_default_states_follow_automation_yaml(config_dir: Path) -> None:
    (config_dir / "automation.yaml").write_text(
        "refresh: {cron: '15 5 * * *', timezone: America/New_York, enabled: false}\n"
        "source_files: {enabled: false, minimum_interval_seconds: 90}\n"
    )
    defs = build_definitions(config_dir)
    dg.Definitions.validate_loadable(defs)
    schedule = defs.resolve_schedule_def("refresh_schedule")
    assert (schedule.cron_schedule, schedule.execution_timezone) == ("15 5 * * *", "America/New_York")
    states = {
        name: defs.resolve_sensor_def(name).default_status
        for name in (
            "segment_partitions_sensor",
            SEGMENT_REFRESH_SENSOR,
            SOURCE_FILES_SENSOR,
            RUN_FAILURE_SENSOR,
        )
    }
    running, stopped = dg.DefaultSensorStatus.RUNNING, dg.DefaultSensorStatus.STOPPED
    assert states == {
        "segment_partitions_sensor": running,
        SEGMENT_REFRESH_SENSOR: running,
        SOURCE_FILES_SENSOR: stopped,
        RUN_FAILURE_SENSOR: running,
    }
    assert schedule.default_status == dg.DefaultScheduleStatus.STOPPED
    assert defs.resolve_sensor_def(SOURCE_FILES_SENSOR).minimum_interval_seconds == 90


def test_the_demo_configuration_turns_schedule_and_file_sensor_on(config_dir: Path) -> None:
    defs = build_definitions(config_dir)
    assert defs.resolve_schedule_def("refresh_schedule").default_status == dg.DefaultScheduleStatus.RUNNING
    assert defs.resolve_sensor_def(SOURCE_FILES_SENSOR).default_status == dg.DefaultSensorStatus.RUNNING


def test_the_state_resource_follows_ac_export_state_and_reads_its_dsn_through_an_env_var(
    config_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert build_definitions(config_dir).resources["state"].backend == "embedded"
    monkeypatch.setenv("AC_EXPORT_STATE", "postgres")
    monkeypatch.setenv("AC_EXPORT_STATE_DSN", "postgresql://ac:s3cret@db.internal/state")
    state = build_definitions(config_dir).resources["state"]
    assert state.backend == "postgres"
    # The DSN stays a reference to the variable: its value (a password) is never in the definitions.
    assert isinstance(state.dsn, dg.EnvVar) and state.dsn.env_var_name == "AC_EXPORT_STATE_DSN"
    assert state.process_config_and_initialize().get().describe() == "postgres (ac@db.internal/state)"


def test_a_misspelt_state_backend_fails_the_run_naming_the_choices() -> None:
    with pytest.raises(dg.Failure, match="embedded or postgres"):
        StateResource(backend="postgress").get()


# Every Dagster run worker and code server imports the definitions before it does anything: a
# library only some runs need is imported where it is used (matplotlib, SciPy: over a second together).
DRAWN_OR_LINKED_ONLY = ("matplotlib", "scipy")


def test_loading_the_definitions_leaves_the_chart_and_linking_libraries_unimported() -> None:
    probe = (
        "import sys, ac_export.definitions; "
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({DRAWN_OR_LINKED_ONLY!r})))"
    )
    done = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", probe], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.strip() == "[]", done.stdout

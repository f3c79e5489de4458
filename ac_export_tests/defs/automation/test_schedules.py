"""The refresh schedule through Dagster: cron and state from automation.yaml, one refresh per tick."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import dagster as dg

from ac_export.automation.config import RefreshSchedule
from ac_export.automation.tags import TRIGGER_TAG
from ac_export.defs.automation.schedules import SCHEDULE_NAME, build_refresh_schedule
from ac_export.defs.resources import ProjectConfigResource


def _tick(schedule: dg.ScheduleDefinition, config_dir: Path, when: datetime) -> dg.RunRequest | dg.SkipReason:
    context = dg.build_schedule_context(
        scheduled_execution_time=when,
        resources={"project_config": ProjectConfigResource(config_dir=str(config_dir))},
    )
    return schedule(context)


def test_the_schedule_follows_automation_yaml() -> None:
    settings = RefreshSchedule(cron="30 7 * * MON-FRI", timezone="Europe/Paris", enabled=True)
    schedule = build_refresh_schedule(settings)
    assert schedule.name == SCHEDULE_NAME
    assert (schedule.cron_schedule, schedule.execution_timezone) == ("30 7 * * MON-FRI", "Europe/Paris")
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING
    assert schedule.job_name == "refresh"
    assert build_refresh_schedule(RefreshSchedule()).default_status == dg.DefaultScheduleStatus.STOPPED


def test_a_tick_requests_one_refresh_keyed_by_its_time(config_dir: Path) -> None:
    schedule = build_refresh_schedule(RefreshSchedule())
    when = datetime(2026, 3, 1, 6, 0, tzinfo=UTC)
    request = _tick(schedule, config_dir, when)
    assert isinstance(request, dg.RunRequest)
    assert request.run_key == when.isoformat()
    assert request.tags == {TRIGGER_TAG: "schedule"}
    assert request.partition_key is None


def test_an_invalid_configuration_skips_the_tick_naming_the_file(config_dir: Path) -> None:
    exports = config_dir / "exports.yaml"
    exports.write_text(exports.read_text().replace("segment: win_back", "segment: win_bak"))
    result = _tick(build_refresh_schedule(RefreshSchedule()), config_dir, datetime(2026, 3, 1, tzinfo=UTC))
    assert isinstance(result, dg.SkipReason)
    assert "No refresh: the configuration is invalid." in (result.skip_message or "")
    assert "exports.yaml" in (result.skip_message or "")
    assert "win_bak" in (result.skip_message or "")

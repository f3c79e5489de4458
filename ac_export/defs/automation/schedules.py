"""The scheduled refresh, on the cron and time zone of automation.yaml.

The schedule launches only the shared upstream (`refresh`); `segment_refresh_sensor` then starts one
run per configured segment once it has succeeded. Yielding both at once would race: segment runs
would read the profiles and measures of the previous refresh.
"""

# No `from __future__ import annotations` here: Dagster inspects the `context` annotation at runtime.

import dagster as dg

from ac_export.automation.config import RefreshSchedule
from ac_export.automation.tags import TRIGGER_TAG
from ac_export.config.loading import ConfigError
from ac_export.defs.automation.jobs import refresh_job
from ac_export.defs.resources import ProjectConfigResource
from ac_export.project import load_project_config

SCHEDULE_NAME = "refresh_schedule"


def _status(enabled: bool) -> dg.DefaultScheduleStatus:
    return dg.DefaultScheduleStatus.RUNNING if enabled else dg.DefaultScheduleStatus.STOPPED


def build_refresh_schedule(settings: RefreshSchedule) -> dg.ScheduleDefinition:
    """The refresh schedule; it starts RUNNING only when automation.yaml says `enabled: true`."""

    @dg.schedule(
        name=SCHEDULE_NAME,
        cron_schedule=settings.cron,
        execution_timezone=settings.timezone,
        target=refresh_job,
        default_status=_status(settings.enabled),
        description=f"Refreshes sources → profiles → measures at '{settings.cron}' ({settings.timezone}); "
        "segment_refresh_sensor then runs every segment and its exports.",
    )
    def refresh_schedule(
        context: dg.ScheduleEvaluationContext, project_config: ProjectConfigResource
    ) -> dg.RunRequest | dg.SkipReason:
        """Request the upstream refresh, unless the configuration is invalid."""
        try:
            load_project_config(project_config.path)
        except ConfigError as exc:
            # A refresh would fail half-way; the tick history shows the file and field to fix.
            return dg.SkipReason(f"No refresh: the configuration is invalid.\n{exc}")
        scheduled = context.scheduled_execution_time
        return dg.RunRequest(
            run_key=scheduled.isoformat() if scheduled else None, tags={TRIGGER_TAG: "schedule"}
        )

    return refresh_schedule

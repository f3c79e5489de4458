"""Sensors that keep the pipeline moving: new source files, segment runs after a refresh, failure alerts.

Segments after a refresh: `segment_refresh_sensor` starts one `evaluate_segments` run over all of
them, `segment_exports_sensor` one `export_lists` run per segment it accepted. The decisions live in
plain functions (`fingerprints`, `segment_runs`, `alerts`); this file only
turns them into Dagster sensors. `segment_partitions_sensor` (config changes → partitions and first
runs of new segments) lives in `segment_partitions.py`.
"""

# No `from __future__ import annotations` here: Dagster inspects the `context` annotation at runtime.

import os
from pathlib import Path

import dagster as dg

from ac_export.automation.alerts import FailureAlert, StepFailure, post_alert, redact, secret_values
from ac_export.automation.config import FailureAlerts, SourceFilesSensor
from ac_export.automation.fingerprints import compare, decode_cursor, encode_cursor, fingerprint_files
from ac_export.automation.segment_runs import plan_segment_ranges, plan_segment_runs
from ac_export.automation.tags import (
    CHANGED_FILES_TAG,
    EVALUATION_RUN_TAG,
    RANGE_END_TAG,
    RANGE_START_TAG,
    REFRESH_RUN_TAG,
    SEGMENT_TAG,
    TRIGGER_TAG,
    segment_of,
)
from ac_export.config.loading import ConfigError
from ac_export.contracts import SEGMENTS_PARTITIONS
from ac_export.defs.automation.jobs import (
    EVALUATE_SEGMENTS_JOB,
    evaluate_segments_job,
    export_lists_job,
    refresh_job,
)
from ac_export.defs.keys import SEGMENT_MEMBERS_KEY
from ac_export.defs.resources import ProjectConfigResource
from ac_export.profiles.sources_config import SourcesConfig
from ac_export.project import load_project_config
from ac_export.segments.loading import load_project_segments

SOURCE_FILES_SENSOR = "source_files_sensor"
SEGMENT_REFRESH_SENSOR = "segment_refresh_sensor"
SEGMENT_EXPORTS_SENSOR = "segment_exports_sensor"
RUN_FAILURE_SENSOR = "run_failure_sensor"
MAX_TAG_CHARS = 200


def _status(enabled: bool) -> dg.DefaultSensorStatus:
    return dg.DefaultSensorStatus.RUNNING if enabled else dg.DefaultSensorStatus.STOPPED


def source_paths(sources: SourcesConfig, data_dir: Path) -> dict[str, Path]:
    """Every file sources.yaml reads, keyed by its resolved path (the file's identity in the cursor)."""
    files = [*sources.profile_sources.values(), *sources.activity_sources.values()]
    paths = [source.resolve_path(data_dir).resolve() for source in files]
    return {str(path): path for path in paths}


def build_source_files_sensor(settings: SourceFilesSensor) -> dg.SensorDefinition:
    """The sensor that requests `refresh` when a configured source file appears or its content changes."""

    @dg.sensor(
        name=SOURCE_FILES_SENSOR,
        target=refresh_job,
        minimum_interval_seconds=settings.minimum_interval_seconds,
        default_status=_status(settings.enabled),
        description="Requests a refresh when a file named in sources.yaml appears or its content changes "
        "(content hash; saving a file unchanged or touching it does not count). The first check only "
        "records the files as they are.",
    )
    def source_files_sensor(
        context: dg.SensorEvaluationContext, project_config: ProjectConfigResource
    ) -> dg.SensorResult | dg.SkipReason:
        """Compare the source files with the fingerprints in the cursor."""
        try:
            project = load_project_config(project_config.path)
        except ConfigError as exc:
            # The cursor stays: files that changed meanwhile are still new once the config is fixed.
            return dg.SkipReason(f"Files not checked: the configuration is invalid.\n{exc}")
        previous = decode_cursor(context.cursor)
        current = fingerprint_files(source_paths(project.sources, project_config.data_path), previous or {})
        cursor = encode_cursor(current)
        if previous is None:
            return dg.SensorResult(
                skip_reason=f"Recorded {len(current)} source files; later changes trigger a refresh.",
                cursor=cursor,
            )
        changes = compare(previous, current)
        if not changes.triggers_refresh:
            return dg.SensorResult(skip_reason=f"Source files: {changes.describe()}.", cursor=cursor)
        context.log.info(f"source files {changes.describe()}; requesting a refresh")
        names = ", ".join(Path(name).name for name in [*changes.added, *changes.changed])
        tags = {TRIGGER_TAG: "source_files", CHANGED_FILES_TAG: names[:MAX_TAG_CHARS]}
        return dg.SensorResult(run_requests=[dg.RunRequest(tags=tags)], cursor=cursor)

    return source_files_sensor


@dg.run_status_sensor(
    name=SEGMENT_REFRESH_SENSOR,
    run_status=dg.DagsterRunStatus.SUCCESS,
    monitored_jobs=[refresh_job],
    request_job=evaluate_segments_job,
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=10,
    description="When a `refresh` run succeeds, requests one evaluate_segments run over every segment in "
    "segments.yaml (a range of the `segments` partitions), so every segment reads the fresh profiles; "
    "segment_exports_sensor then exports each segment it accepts.",
)
def segment_refresh_sensor(
    context: dg.RunStatusSensorContext, project_config: ProjectConfigResource
) -> list[dg.RunRequest] | dg.SkipReason:
    """One evaluation run over the configured segments after each successful refresh (once, by run key)."""
    try:
        config = load_project_segments(project_config.path)
    except ConfigError as exc:
        return dg.SkipReason(f"No segment runs: the configuration is invalid.\n{exc}")
    refresh_run_id = context.dagster_run.run_id
    partitions = context.instance.get_dynamic_partitions(SEGMENTS_PARTITIONS)
    waiting = plan_segment_runs(refresh_run_id, config.segments, partitions).waiting
    if waiting:
        context.log.info(
            f"segments without a partition yet (segment_partitions_sensor adds them and runs them once): "
            f"{', '.join(waiting)}"
        )
    tags = {TRIGGER_TAG: "refresh", REFRESH_RUN_TAG: refresh_run_id}
    return [
        dg.RunRequest(
            run_key=block.run_key, tags={**tags, RANGE_START_TAG: block.first, RANGE_END_TAG: block.last}
        )
        for block in plan_segment_ranges(refresh_run_id, config.segments, partitions)
    ]


MATERIALIZATIONS_PER_TICK = 1000


@dg.sensor(
    name=SEGMENT_EXPORTS_SENSOR,
    job=export_lists_job,
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=10,
    description="Requests one export_lists run per segment that an evaluate_segments run materialized "
    "(accepted by its guard), as soon as it is; held and failed segments are not exported.",
)
def segment_exports_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult:
    """Follow segment_members materializations (cursor: storage id) and export those of evaluation runs."""
    after = int(context.cursor) if context.cursor else None
    records = context.instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=SEGMENT_MEMBERS_KEY, after_storage_id=after),
        limit=MATERIALIZATIONS_PER_TICK,
        ascending=True,
    ).records
    if not records:
        return dg.SensorResult(skip_reason="No new segment materializations.", cursor=context.cursor)
    run_ids = list({record.run_id for record in records})
    runs = {
        r.dagster_run.run_id: r.dagster_run
        for r in context.instance.get_run_records(dg.RunsFilter(run_ids=run_ids))
        if r.dagster_run.job_name == EVALUATE_SEGMENTS_JOB
    }
    requests = [
        _export_request(runs[record.run_id], record.partition_key)
        for record in records
        if record.run_id in runs and record.partition_key is not None
    ]
    cursor = str(max(record.storage_id for record in records))
    if not requests:
        return dg.SensorResult(skip_reason="No segment materialized by evaluate_segments.", cursor=cursor)
    return dg.SensorResult(run_requests=requests, cursor=cursor)


def _export_request(evaluation: dg.DagsterRun, segment: str) -> dg.RunRequest:
    """The export run of one segment an evaluation run accepted; its run key makes it once."""
    refresh_run = evaluation.tags.get(REFRESH_RUN_TAG)
    tags = {
        TRIGGER_TAG: "refresh" if refresh_run else EVALUATE_SEGMENTS_JOB,
        EVALUATION_RUN_TAG: evaluation.run_id,
        SEGMENT_TAG: segment,
        **({REFRESH_RUN_TAG: refresh_run} if refresh_run else {}),
    }
    return dg.RunRequest(run_key=f"{evaluation.run_id}:{segment}", partition_key=segment, tags=tags)


def _failure_sensor_description(url_env: str | None) -> str:
    where = f" and, when ${url_env} is set, as a JSON POST to that URL" if url_env else ""
    return f"Reports each failed run (segment, export, failed step, error) in the run's own log{where}."


def build_run_failure_sensor(alerts: FailureAlerts, secret_env_vars: list[str]) -> dg.SensorDefinition:
    """The sensor that reports every failed run: in its run log, and to the webhook when one is set."""

    @dg.run_failure_sensor(
        name=RUN_FAILURE_SENSOR,
        default_status=dg.DefaultSensorStatus.RUNNING,
        minimum_interval_seconds=15,
        description=_failure_sensor_description(alerts.webhook_url_env),
    )
    def run_failure_sensor(
        context: dg.RunFailureSensorContext, project_config: ProjectConfigResource
    ) -> None:
        """Describe the failure, log it on the failed run and send it to the webhook."""
        url_env = alerts.webhook_url_env
        secrets = secret_values([*secret_env_vars, *([url_env] if url_env else [])])
        alert = failure_alert(context, project_config, secrets)
        context.log.error(alert.text())
        context.instance.report_engine_event(
            f"Failure alert: {alert.text()}", dagster_run=context.dagster_run
        )
        url = os.environ.get(url_env) if url_env else None
        if not url:
            return
        problem = post_alert(url, alert.payload(), alerts.timeout_seconds)
        outcome = f"not delivered: {problem}" if problem else "delivered"
        context.log.info(f"failure alert to ${url_env} {outcome}")
        context.instance.report_engine_event(
            f"Failure alert to the webhook in ${url_env} {outcome}", dagster_run=context.dagster_run
        )

    return run_failure_sensor


def failure_alert(
    context: dg.RunFailureSensorContext, project_config: ProjectConfigResource, secrets: list[str]
) -> FailureAlert:
    """The alert for a failed run, from its step failure events, with secrets masked."""
    run = context.dagster_run
    segment = segment_of(run.tags)
    return FailureAlert(
        run_id=run.run_id,
        job=run.job_name,
        segment=segment,
        reason=redact(context.failure_event.message or "run failed", secrets),
        failures=[_step_failure(event, secrets) for event in context.get_step_failure_events()],
        segment_exports=_segment_exports(project_config, segment),
    )


def _step_failure(event: dg.DagsterEvent, secrets: list[str]) -> StepFailure:
    data = event.step_failure_data
    user = data.user_failure_data if data is not None else None
    metadata = {key: value.value for key, value in (user.metadata if user else {}).items()}
    error = data.error.message if data is not None and data.error is not None else None
    message = (user.description if user is not None else None) or error or "step failed"
    export, list_id = metadata.get("export"), metadata.get("list_id")
    return StepFailure(
        step=event.step_key or "(run)",
        message=redact(message, secrets),
        export=str(export) if export is not None else None,
        list_id=int(list_id) if isinstance(list_id, int) else None,
    )


def _segment_exports(project_config: ProjectConfigResource, segment: str | None) -> list[str]:
    if segment is None:
        return []
    try:
        return sorted(load_project_config(project_config.path).exports.for_segment(segment))
    except ConfigError:
        return []

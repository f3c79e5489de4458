"""The sensor that keeps the `segments` partitions equal to the segments in segments.yaml.

New segments get a partition and a first run of `segment_members` and `activecampaign_list`.
Removed segments are retired: their partition key leaves Dagster, but their membership history
(`segments/members/<segment>`) stays in the warehouse. Deleting a key keeps its Dagster run
history, and a key added again may show that stale status for a while (dagster#14749).
"""

# No `from __future__ import annotations` here: Dagster inspects the `context` annotation at runtime.

from collections.abc import Iterable
from dataclasses import dataclass

import dagster as dg

from ac_export.automation.segment_runs import keys_in_range
from ac_export.automation.tags import RANGE_END_TAG, RANGE_START_TAG, SEGMENT_TAG, TRIGGER_TAG, segment_of
from ac_export.config.loading import ConfigError
from ac_export.contracts import MEASURES_TABLE, PROFILES_TABLE, SEGMENTS_PARTITIONS
from ac_export.defs.automation.jobs import export_segment_job
from ac_export.defs.partitions import segments_partitions
from ac_export.defs.resources import ProjectConfigResource, WarehouseResource
from ac_export.segments.loading import load_project_segments


@dataclass(frozen=True)
class PartitionChanges:
    """Partition keys to add (new segments, in config order) and to retire (removed segments)."""

    add: list[str]
    retire: list[str]


def reconcile_partitions(configured: Iterable[str], existing: Iterable[str]) -> PartitionChanges:
    """What turns the existing partition keys into the configured segment names."""
    wanted = list(dict.fromkeys(configured))
    present = set(existing)
    return PartitionChanges(
        add=[name for name in wanted if name not in present], retire=sorted(present - set(wanted))
    )


@dg.sensor(
    name="segment_partitions_sensor",
    description="Adds a partition (and a first run) for each new segment in segments.yaml and retires "
    "the partitions of removed segments (and of partitions that are not segments, once no run of them "
    "is queued or running), keeping their membership history in the warehouse.",
    job=export_segment_job,
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=30,
)
def segment_partitions_sensor(
    context: dg.SensorEvaluationContext, project_config: ProjectConfigResource, warehouse: WarehouseResource
) -> dg.SensorResult | dg.SkipReason:
    """Reconcile the `segments` partitions with segments.yaml, read afresh on every tick."""
    try:
        config = load_project_segments(project_config.path)
    except ConfigError as exc:
        # A broken file must not look like "every segment was removed".
        return dg.SkipReason(f"Partitions left unchanged: the configuration is invalid.\n{exc}")
    existing = context.instance.get_dynamic_partitions(SEGMENTS_PARTITIONS)
    changes = reconcile_partitions(config.segments, existing)
    busy = _with_active_runs(context.instance, changes.retire)
    if busy:
        # Deleting the partition of a queued or running run fails that run with an internal error;
        # its own step fails instead with "not a segment in segments.yaml", then it is retired.
        context.log.info(f"not retiring yet (a run of them is queued or running): {', '.join(busy)}")
        changes = PartitionChanges(add=changes.add, retire=[k for k in changes.retire if k not in busy])
    if not changes.add and not changes.retire:
        return dg.SkipReason(f"The partitions match the {len(config.segments)} segments in segments.yaml.")
    requests: list[dg.AddDynamicPartitionsRequest | dg.DeleteDynamicPartitionsRequest] = []
    if changes.add:
        requests.append(segments_partitions.build_add_request(changes.add))
        context.log.info(f"adding segment partitions: {', '.join(changes.add)}")
    if changes.retire:
        requests.append(segments_partitions.build_delete_request(changes.retire))
        context.log.info(f"retiring segment partitions (history kept): {', '.join(changes.retire)}")
    return dg.SensorResult(
        run_requests=_first_runs(context, warehouse, changes.add), dynamic_partitions_requests=requests
    )


ACTIVE_STATUSES = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
]


def _with_active_runs(instance: dg.DagsterInstance, keys: list[str]) -> list[str]:
    """The partition keys among `keys` that a queued or running run is for."""
    if not keys:
        return []
    runs = instance.get_run_records(dg.RunsFilter(statuses=ACTIVE_STATUSES))
    active = {segment_of(record.dagster_run.tags) for record in runs}
    partitions = instance.get_dynamic_partitions(SEGMENTS_PARTITIONS)
    for record in runs:
        tags = record.dagster_run.tags
        if RANGE_START_TAG in tags and RANGE_END_TAG in tags:
            # A run over many segments (evaluate_segments, a backfill) covers every key of its range.
            active.update(keys_in_range(partitions, tags[RANGE_START_TAG], tags[RANGE_END_TAG]))
    return [key for key in keys if key in active]


def _first_runs(
    context: dg.SensorEvaluationContext, warehouse: WarehouseResource, segments: list[str]
) -> list[dg.RunRequest]:
    store = warehouse.get()
    if segments and not (store.exists(PROFILES_TABLE) and store.exists(MEASURES_TABLE)):
        # Before the first full refresh there is nothing to evaluate; that refresh runs every segment.
        context.log.info("profiles or measures not materialized yet; new segments wait for the next refresh")
        return []
    return [
        dg.RunRequest(partition_key=name, tags={SEGMENT_TAG: name, TRIGGER_TAG: "new_segment"})
        for name in segments
    ]

"""Run tags: those the automation sets, so a run says what started it, and the segment a run is for."""

from __future__ import annotations

from collections.abc import Mapping

TRIGGER_TAG = "ac_export/trigger"
"""What requested the run: `schedule`, `source_files`, `refresh` (the segments' evaluation and exports
after a refresh), `evaluate_segments` (the exports after an evaluate_segments run launched by hand) or
`new_segment` (the first run of a segment just added to segments.yaml)."""

EVALUATION_RUN_TAG = "ac_export/evaluation_run"
"""On an export run started by segment_exports_sensor: the evaluate_segments run that accepted its members."""

REFRESH_RUN_TAG = "ac_export/refresh_run"
"""On a segment run: the id of the refresh run whose profiles and measures it reads."""

CHANGED_FILES_TAG = "ac_export/changed_files"
"""On a refresh requested by the file sensor: the names of the new or changed files."""

REFRESH_TAG = "ac_export/refresh"
"""On every `refresh` run. dagster.yaml runs one such run at a time: two refreshes would both rewrite
the shared tables (sources, profiles, measures) and could leave them from different runs."""

SEGMENT_TAG = "ac_export/segment"
"""On every run of a segment, however it was launched (sensor, UI, backfill): filter runs by segment."""

DRY_RUN_TAG = "ac_export/dry_run"
"""On a run that only previews its exports (`dry_run: true`, or the `preview_segment` job)."""

PARTITION_TAG = "dagster/partition"
RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"


def segment_of(tags: Mapping[str, str]) -> str | None:
    """The segment a run is for: its partition, or the one-partition range a backfill run carries."""
    if PARTITION_TAG in tags:
        return tags[PARTITION_TAG]
    if SEGMENT_TAG in tags:
        return tags[SEGMENT_TAG]
    start = tags.get(RANGE_START_TAG)
    return start if start is not None and start == tags.get(RANGE_END_TAG) else None

"""The segment partitions shared by `segment_members` and `activecampaign_list`: one key per segment name."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import dagster as dg

from ac_export.automation.tags import SEGMENT_TAG
from ac_export.contracts import SEGMENTS_PARTITIONS

segments_partitions = dg.DynamicPartitionsDefinition(name=SEGMENTS_PARTITIONS)


def unknown_segment_message(segment: str, configured: Iterable[str]) -> str | None:
    """Why a partition is not a segment, with the fix; None when it is one."""
    known = list(configured)
    if segment in known:
        return None
    shown = ", ".join(known[:10]) + (", …" if len(known) > 10 else "")
    return (
        f"{segment!r} is not a segment in segments.yaml (segments: {shown or 'none'}). Segment "
        "partitions come from segments.yaml: add the segment there and segment_partitions_sensor adds its "
        "partition, rather than adding a partition in the Materialize dialog. A partition that is not a "
        "segment is retired by that sensor once no run of it is queued or running."
    )


def require_segment(segment: str, configured: Iterable[str]) -> None:
    """Fail with the fix when a run's partition is not a segment (e.g. added in the Materialize dialog)."""
    message = unknown_segment_message(segment, configured)
    if message is not None:
        raise dg.Failure(description=message)


def tag_segment_run(context: dg.AssetExecutionContext, extra: Mapping[str, str] | None = None) -> None:
    """Tag the run with its segment (backfill runs carry only a partition range) and any `extra` tags."""
    tags = {SEGMENT_TAG: context.partition_key, **(extra or {})}
    missing = {key: value for key, value in tags.items() if context.run.tags.get(key) != value}
    if missing:
        context.instance.add_run_tags(context.run.run_id, missing)

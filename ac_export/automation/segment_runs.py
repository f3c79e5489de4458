"""Which segment runs follow a successful refresh: one per configured segment that has a partition."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class SegmentRun:
    """One segment to run after a refresh, and the run key that makes it happen once per refresh."""

    segment: str
    run_key: str


@dataclass(frozen=True)
class SegmentRunPlan:
    """Runs to request, in config order, and configured segments still waiting for their partition."""

    runs: list[SegmentRun]
    waiting: list[str]


def plan_segment_runs(
    refresh_run_id: str, configured: Iterable[str], partitions: Iterable[str]
) -> SegmentRunPlan:
    """The segment runs to request after the refresh run `refresh_run_id` succeeded."""
    # A segment without a partition yet gets its first run from segment_partitions_sensor, which
    # adds the partition; requesting a run for a partition that does not exist would fail.
    existing = set(partitions)
    segments = list(dict.fromkeys(configured))
    return SegmentRunPlan(
        runs=[SegmentRun(s, segment_run_key(refresh_run_id, s)) for s in segments if s in existing],
        waiting=[s for s in segments if s not in existing],
    )


def segment_run_key(refresh_run_id: str, segment: str) -> str:
    """The run key of a segment's run after one refresh (Dagster skips a key it has already launched)."""
    return f"{refresh_run_id}:{segment}"

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


@dataclass(frozen=True)
class SegmentRange:
    """Partitions next to each other in the `segments` order, evaluated in one run, and its run key."""

    first: str
    last: str
    segments: list[str]
    run_key: str


def plan_segment_ranges(
    refresh_run_id: str, configured: Iterable[str], partitions: Iterable[str]
) -> list[SegmentRange]:
    """The evaluation runs after a refresh: one per stretch of partitions that are all configured segments.

    A run over a partition range covers every partition between its ends, so a partition that is
    not a segment (one awaiting retirement) splits the range instead of failing inside it. Usually
    every partition is a segment and this is one run over all of them.
    """
    wanted = set(configured)
    ranges: list[list[str]] = [[]]
    for key in partitions:
        if key in wanted:
            ranges[-1].append(key)
        elif ranges[-1]:
            ranges.append([])
    return [
        SegmentRange(keys[0], keys[-1], keys, f"{refresh_run_id}:{keys[0]}..{keys[-1]}")
        for keys in ranges
        if keys
    ]


def keys_in_range(partitions: Iterable[str], first: str, last: str) -> list[str]:
    """The partitions a run over `first`..`last` covers, in the `segments` order."""
    keys = list(partitions)
    if first not in keys or last not in keys:
        return [key for key in (first, last) if key in keys]
    return keys[keys.index(first) : keys.index(last) + 1]

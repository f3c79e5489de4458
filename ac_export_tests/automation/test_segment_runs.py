"""Which segment runs follow a refresh: configured segments with a partition, once per refresh."""

from __future__ import annotations

from ac_export.automation.segment_runs import (
    SegmentRange,
    SegmentRun,
    SegmentRunPlan,
    keys_in_range,
    plan_segment_ranges,
    plan_segment_runs,
)


def test_every_configured_segment_with_a_partition_runs_in_config_order() -> None:
    plan = plan_segment_runs("run-1", ["vip", "loyal", "texans"], ["texans", "vip", "loyal"])
    assert plan == SegmentRunPlan(
        runs=[
            SegmentRun("vip", "run-1:vip"),
            SegmentRun("loyal", "run-1:loyal"),
            SegmentRun("texans", "run-1:texans"),
        ],
        waiting=[],
    )


def test_new_segments_wait_for_their_partition_and_retired_ones_do_not_run() -> None:
    plan = plan_segment_runs("run-1", ["vip", "brand_new"], ["vip", "retired"])
    assert plan.runs == [SegmentRun("vip", "run-1:vip")]
    assert plan.waiting == ["brand_new"]


def test_run_keys_differ_between_refreshes_and_repeat_within_one() -> None:
    first = plan_segment_runs("run-1", ["vip"], ["vip"]).runs
    again = plan_segment_runs("run-1", ["vip", "vip"], ["vip"]).runs
    second = plan_segment_runs("run-2", ["vip"], ["vip"]).runs
    assert first == again
    assert first[0].run_key != second[0].run_key


def test_after_a_refresh_every_segment_is_evaluated_in_one_range() -> None:
    [only] = plan_segment_ranges("run-1", ["vip", "loyal", "texans"], ["texans", "vip", "loyal"])
    assert only == SegmentRange("texans", "loyal", ["texans", "vip", "loyal"], "run-1:texans..loyal")


def test_a_partition_that_is_not_a_segment_splits_the_range_and_new_segments_wait() -> None:
    ranges = plan_segment_ranges(
        "run-1", ["vip", "loyal", "brand_new", "texans"], ["vip", "retired", "loyal", "texans"]
    )
    assert [(r.first, r.last, r.segments) for r in ranges] == [
        ("vip", "vip", ["vip"]),
        ("loyal", "texans", ["loyal", "texans"]),
    ]
    assert plan_segment_ranges("run-1", [], ["vip"]) == []


def test_keys_in_range_follow_the_partition_order() -> None:
    assert keys_in_range(["a", "b", "c", "d"], "b", "d") == ["b", "c", "d"]
    assert keys_in_range(["a", "b"], "b", "gone") == ["b"]

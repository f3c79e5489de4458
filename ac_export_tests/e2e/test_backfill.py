"""End to end: a backfill over two segments through GraphQL, and one segment exported on demand.

The backfill evaluates both segments in one run (segment_members' single-run policy), each
partition with its own materialization and metadata, then exports each in a run of its own.

Both are launched together (the backfill daemon takes up to 30 s to pick a backfill up) and run
after the refresh of the shared world, so every list already holds its segment: these runs must
find nothing to send, which also shows that exports are incremental.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from ac_export.automation.tags import SEGMENT_TAG
from ac_export_tests.e2e.conftest import RUN_TIMEOUT_S, World, materializations, members_of
from ac_export_tests.e2e.stack import LOCATION, REPOSITORY
from ac_export_tests.e2e.world import GOOD_SEGMENTS, expected_list

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

BACKFILL_SEGMENTS = ["california_email_subscribers", "high_value_online_buyers"]
ON_DEMAND_SEGMENT = "gold_tier_starters"
ON_DEMAND_TAG = "ac_export_e2e/on_demand"
# A backfill run names its partitions as a range; one segment per run means start == end.
RANGE_START = "dagster/asset_partition_range_start"
RANGE_END = "dagster/asset_partition_range_end"
SEGMENT_ASSETS = [{"path": ["segment_members"]}, {"path": ["activecampaign_list"]}]

LAUNCH_BACKFILL = """
mutation Launch($params: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $params) {
    __typename
    ... on LaunchBackfillSuccess { backfillId }
    ... on Error { message }
  }
}
"""
BACKFILL = """
query Backfill($id: String!) {
  partitionBackfillOrError(backfillId: $id) {
    __typename
    ... on PartitionBackfill { isAssetBackfill partitionNames assetSelection { path } }
  }
}
"""
MATERIALIZATIONS = """
query Materializations($partitions: [String!]) {
  assetOrError(assetKey: {path: ["activecampaign_list"]}) {
    ... on Asset {
      assetMaterializations(partitions: $partitions) {
        runId partition
        metadataEntries { label ... on IntMetadataEntry { intValue } }
      }
    }
  }
}
"""


@dataclass
class Launched:
    """The backfill's id and runs, and the on-demand run."""

    backfill_id: str
    backfill_runs: list[dict[str, Any]]
    on_demand: dict[str, Any]


@pytest.fixture(scope="module")
def launched(world: World) -> Launched:
    """Launch the backfill and the on-demand run, and wait for all three runs to finish."""
    params = {"assetSelection": SEGMENT_ASSETS, "partitionNames": BACKFILL_SEGMENTS, "title": "e2e backfill"}
    result = world.stack.graphql(LAUNCH_BACKFILL, {"params": params})["launchPartitionBackfill"]
    assert result["__typename"] == "LaunchBackfillSuccess", result
    run_id = world.stack.client().submit_job_execution(
        "export_segment",
        repository_location_name=LOCATION,
        repository_name=REPOSITORY,
        tags={"dagster/partition": ON_DEMAND_SEGMENT, ON_DEMAND_TAG: "1"},
    )
    backfill_tag = {"dagster/backfill": result["backfillId"]}
    # One run evaluating both segments, then one export run per segment.
    runs = world.stack.wait_for_runs(len(BACKFILL_SEGMENTS) + 1, RUN_TIMEOUT_S, tags=backfill_tag)
    [on_demand] = world.stack.wait_for_runs(1, RUN_TIMEOUT_S, tags={ON_DEMAND_TAG: "1"})
    assert on_demand["runId"] == run_id
    return Launched(result["backfillId"], runs, on_demand)


def _counts(world: World, run_id: str) -> dict[str, int]:
    records = world.stack.graphql(MATERIALIZATIONS, {"partitions": None})["assetOrError"][
        "assetMaterializations"
    ]
    [record] = [r for r in records if r["runId"] == run_id]
    return {e["label"]: e["intValue"] for e in record["metadataEntries"] if "intValue" in e}


def test_the_backfill_is_an_asset_backfill_over_the_two_segments(world: World, launched: Launched) -> None:
    backfill = world.stack.graphql(BACKFILL, {"id": launched.backfill_id})["partitionBackfillOrError"]
    assert backfill["isAssetBackfill"] is True
    assert sorted(backfill["partitionNames"]) == sorted(BACKFILL_SEGMENTS)
    assert sorted(key["path"][0] for key in backfill["assetSelection"]) == [
        "activecampaign_list",
        "segment_members",
    ]


def launched_ids(launched: Launched) -> set[str]:
    """The ids of the backfill's runs."""
    return {run["runId"] for run in launched.backfill_runs}


def _split(launched: Launched) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The backfill's evaluation run (a range over both segments) and its export runs (one segment each)."""
    ranged = [r for r in launched.backfill_runs if r["tags"][RANGE_START] != r["tags"][RANGE_END]]
    assert len(ranged) == 1, launched.backfill_runs
    return ranged[0], [r for r in launched.backfill_runs if r is not ranged[0]]


def test_the_backfill_evaluates_both_segments_in_one_run_then_exports_each_in_its_own(
    world: World, launched: Launched
) -> None:
    evaluation, exports = _split(launched)
    assert sorted((evaluation["tags"][RANGE_START], evaluation["tags"][RANGE_END])) == sorted(
        BACKFILL_SEGMENTS
    )
    assert sorted((run["tags"][RANGE_START], run["tags"][RANGE_END]) for run in exports) == sorted(
        (segment, segment) for segment in BACKFILL_SEGMENTS
    )
    # Backfill runs carry no partition tag; the segment tag (added as they run) finds them by segment.
    for segment in BACKFILL_SEGMENTS:
        [run] = [r for r in world.stack.runs({SEGMENT_TAG: segment}) if r["runId"] in launched_ids(launched)]
        assert run["tags"][RANGE_START] == segment
    assert [run["status"] for run in launched.backfill_runs] == ["SUCCESS"] * (len(BACKFILL_SEGMENTS) + 1)


def test_each_backfilled_partition_has_its_own_materialization_and_metadata(
    world: World, launched: Launched
) -> None:
    evaluation, _ = _split(launched)
    records = materializations(world, "segment_members", evaluation["runId"])
    assert sorted(records) == sorted(BACKFILL_SEGMENTS)
    for segment, metadata in records.items():
        assert metadata["members"] == metadata["dagster/row_count"] == members_of(world, segment)
        assert metadata["joined"] == metadata["left"] == 0  # the refresh had evaluated them already


def test_each_backfilled_list_holds_its_segment_and_nothing_was_sent_again(
    world: World, launched: Launched
) -> None:
    for run in _split(launched)[1]:
        segment = run["tags"][RANGE_START]
        expected = expected_list(world.warehouse, segment)
        assert world.emulator.list_members(GOOD_SEGMENTS[segment]) == expected
        counts = _counts(world, run["runId"])
        assert (counts["added"], counts["removed"], counts["unchanged"]) == (0, 0, len(expected))


def test_one_segment_exported_on_demand(world: World, launched: Launched) -> None:
    assert launched.on_demand["status"] == "SUCCESS"
    assert launched.on_demand["tags"]["dagster/partition"] == ON_DEMAND_SEGMENT
    expected = expected_list(world.warehouse, ON_DEMAND_SEGMENT)
    assert world.emulator.list_members(GOOD_SEGMENTS[ON_DEMAND_SEGMENT]) == expected
    assert _counts(world, launched.on_demand["runId"])["unchanged"] == len(expected)

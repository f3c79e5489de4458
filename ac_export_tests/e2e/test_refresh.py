"""End to end: a new source file → one refresh → one run evaluating every segment → one export run per
segment → lists in ActiveCampaign, alerts."""

from __future__ import annotations

import pytest

from ac_export.automation.tags import CHANGED_FILES_TAG, REFRESH_RUN_TAG, TRIGGER_TAG
from ac_export.defs.automation.sensors import (
    SEGMENT_EXPORTS_SENSOR,
    SEGMENT_REFRESH_SENSOR,
    SOURCE_FILES_SENSOR,
)
from ac_export_tests.e2e.conftest import SENSOR_NAME_TAG, World, materializations, members_of
from ac_export_tests.e2e.world import (
    BROKEN_SEGMENT,
    GOOD_SEGMENTS,
    LATE_SOURCE,
    MISSING_LIST,
    expected_list,
    export_name,
)

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

RANGE_START = "dagster/asset_partition_range_start"
RANGE_END = "dagster/asset_partition_range_end"


def test_a_new_source_file_requests_exactly_one_refresh(world: World) -> None:
    runs = world.stack.runs({SENSOR_NAME_TAG: SOURCE_FILES_SENSOR})
    assert [(run["jobName"], run["status"]) for run in runs] == [("refresh", "SUCCESS")]
    tags = runs[0]["tags"]
    assert tags[TRIGGER_TAG] == "source_files"
    assert tags[CHANGED_FILES_TAG] == LATE_SOURCE.split("/")[-1]
    assert tags["ac_export/refresh"] == "upstream"
    # The daemon may be in the middle of a tick: judge the latest finished one.
    latest = next(tick for tick in world.sensor_ticks(SOURCE_FILES_SENSOR) if tick["status"] != "STARTED")
    assert (latest["status"], latest["skipReason"]) == ("SKIPPED", "Source files: no change.")


def test_the_refresh_is_followed_by_one_evaluation_run_then_one_export_run_per_segment(world: World) -> None:
    refresh_id = world.refresh_run["runId"]
    [evaluation] = [run for run in world.segment_runs if run["jobName"] == "evaluate_segments"]
    assert evaluation["tags"][SENSOR_NAME_TAG] == SEGMENT_REFRESH_SENSOR
    assert evaluation["tags"][REFRESH_RUN_TAG] == refresh_id
    assert evaluation["status"] == "SUCCESS"
    first, last = evaluation["tags"][RANGE_START], evaluation["tags"][RANGE_END]
    assert evaluation["tags"]["dagster/run_key"] == f"{refresh_id}:{first}..{last}"
    exports = {run["tags"]["dagster/partition"]: run for run in world.segment_runs if run is not evaluation}
    assert sorted(exports) == sorted([*GOOD_SEGMENTS, BROKEN_SEGMENT])
    for segment, run in exports.items():
        assert run["jobName"] == "export_lists"
        assert run["tags"][SENSOR_NAME_TAG] == SEGMENT_EXPORTS_SENSOR
        assert run["tags"]["dagster/run_key"] == f"{evaluation['runId']}:{segment}"
        assert run["tags"][REFRESH_RUN_TAG] == refresh_id
        assert run["status"] == ("FAILURE" if segment == BROKEN_SEGMENT else "SUCCESS")


def test_the_evaluation_run_materialized_each_segment_with_its_own_metadata(world: World) -> None:
    [evaluation] = [run for run in world.segment_runs if run["jobName"] == "evaluate_segments"]
    records = materializations(world, "segment_members", evaluation["runId"])
    assert sorted(records) == sorted([*GOOD_SEGMENTS, BROKEN_SEGMENT])
    for segment, metadata in records.items():
        assert metadata["members"] == metadata["dagster/row_count"] == members_of(world, segment)


def test_each_segment_list_in_activecampaign_holds_its_members(world: World) -> None:
    for segment, list_id in GOOD_SEGMENTS.items():
        expected = expected_list(world.warehouse, segment)
        assert expected, f"segment {segment} has no members in the fixture data"
        assert world.emulator.list_members(list_id) == expected


def test_the_failed_export_is_reported_to_the_webhook(world: World) -> None:
    [alert] = [body for body in world.webhook.bodies if body["segment"] == BROKEN_SEGMENT]
    assert alert["job"] == "export_lists"
    assert alert["segment_exports"] == [export_name(BROKEN_SEGMENT)]
    [failure] = alert["failures"]
    assert failure["step"] == "activecampaign_list"
    assert failure["export"] == export_name(BROKEN_SEGMENT)
    assert failure["list_id"] == MISSING_LIST
    assert str(MISSING_LIST) in failure["message"]
    assert world.emulator.api_key not in str(alert)

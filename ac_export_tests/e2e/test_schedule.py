"""End to end: the schedule and sensors as the webserver shows them, and a schedule tick evaluated by it."""

from __future__ import annotations

from datetime import datetime

import pytest

from ac_export.automation.tags import TRIGGER_TAG
from ac_export_tests.e2e.conftest import World
from ac_export_tests.e2e.stack import LOCATION, REPOSITORY
from ac_export_tests.e2e.world import AUTOMATION

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

SELECTOR = {"repositoryLocationName": LOCATION, "repositoryName": REPOSITORY}
REPOSITORY_QUERY = """
query Repository($selector: RepositorySelector!) {
  repositoryOrError(repositorySelector: $selector) {
    ... on Repository {
      schedules { name cronSchedule executionTimezone pipelineName scheduleState { status } }
      sensors { name sensorState { status } }
    }
  }
}
"""
DRY_RUN = """
mutation DryRun($selector: ScheduleSelector!, $timestamp: Float) {
  scheduleDryRun(selectorData: $selector, timestamp: $timestamp) {
    __typename
    ... on DryRunInstigationTick {
      evaluationResult { runRequests { runKey tags { key value } } skipReason error { message } }
    }
    ... on PythonError { message }
  }
}
"""


def test_the_ui_shows_the_schedule_and_sensors_in_their_configured_states(world: World) -> None:
    repository = world.stack.graphql(REPOSITORY_QUERY, {"selector": SELECTOR})["repositoryOrError"]
    [schedule] = repository["schedules"]
    refresh = AUTOMATION["refresh"]
    assert schedule == {
        "name": "refresh_schedule",
        "cronSchedule": refresh["cron"],
        "executionTimezone": refresh["timezone"],
        "pipelineName": "refresh",
        "scheduleState": {"status": "STOPPED"},
    }
    assert {s["name"]: s["sensorState"]["status"] for s in repository["sensors"]} == {
        "segment_partitions_sensor": "RUNNING",
        "segment_refresh_sensor": "RUNNING",
        "segment_exports_sensor": "RUNNING",
        "source_files_sensor": "RUNNING",
        "run_failure_sensor": "RUNNING",
    }


def test_a_schedule_tick_requests_one_refresh(world: World) -> None:
    selector = {**SELECTOR, "scheduleName": "refresh_schedule"}
    before = datetime.fromisoformat("2026-03-02T09:30:00+01:00").timestamp()
    tick = world.stack.graphql(DRY_RUN, {"selector": selector, "timestamp": before})["scheduleDryRun"]
    assert tick["__typename"] == "DryRunInstigationTick", tick
    result = tick["evaluationResult"]
    assert result["error"] is None and result["skipReason"] is None
    [request] = result["runRequests"]
    assert {t["key"]: t["value"] for t in request["tags"]}[TRIGGER_TAG] == "schedule"
    # The tick after 09:30 in Paris is the 12:00 one of '0 6,12,18 * * *', keyed by its time.
    assert request["runKey"] == "2026-03-02T12:00:00+01:00"
